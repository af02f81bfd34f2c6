"""The recorded time has one spelling, whatever zone or precision it arrives in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from traceability.chain.record import format_record_time, parse_record_time

REFERENCE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _reference(moment: datetime) -> str:
    """The spelling as first defined: UTC through strftime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(REFERENCE_FORMAT)


def test_a_time_is_written_in_utc_with_microseconds_and_a_z() -> None:
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2026, 11, 24, 9, 5, 3, 42, tzinfo=hanoi)
    assert format_record_time(moment) == "2026-11-24T02:05:03.000042Z"
    assert format_record_time(moment.replace(tzinfo=None)) == "2026-11-24T09:05:03.000042Z"


zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-9, minutes=-30))]
)


@given(st.datetimes(min_value=datetime(2, 1, 1), timezones=st.none() | zones))
def test_every_time_is_spelled_as_the_strftime_reference_spells_it(moment: datetime) -> None:
    assert format_record_time(moment) == _reference(moment)


@given(st.datetimes(min_value=datetime(1000, 1, 1), timezones=zones))
def test_a_written_time_reads_back_as_the_same_instant(moment: datetime) -> None:
    assert parse_record_time(format_record_time(moment)) == moment
