"""The pure rules of webhook subscriptions: when a scheduled query runs, how a delivery is
signed, which destinations are refused, how long a failed delivery waits."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from traceability.errors import InvalidInput
from traceability.subscriptions.delivery import (
    dest_problem,
    gs1_signature,
    retry_delay,
    signature_matches,
)
from traceability.subscriptions.schedule import Schedule

NOON = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)  # a Thursday


def test_the_bindings_example_schedule_runs_every_morning_at_five_past_one() -> None:
    # REST binding, QueryScheduleSubscription: {"hour": "1", "minute": "5"}.
    schedule = Schedule.parse({"hour": "1", "minute": "5"})
    first = schedule.next_after(NOON)
    assert first == datetime(2026, 12, 4, 1, 5, 0, tzinfo=UTC)
    assert schedule.next_after(first) == datetime(2026, 12, 5, 1, 5, 0, tzinfo=UTC)


def test_steps_ranges_and_lists_select_the_matching_times() -> None:
    every_30_seconds = Schedule.parse({"second": "0/30"})  # the binding's GET example
    assert every_30_seconds.next_after(NOON) == datetime(2026, 12, 3, 12, 0, 30, tzinfo=UTC)
    weekdays_at_nine = Schedule.parse({"hour": "9", "minute": "0", "dayOfWeek": "[1-5]"})
    friday = weekdays_at_nine.next_after(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    assert friday == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the next Monday
    listed = Schedule.parse({"minute": "10,40"})
    assert listed.next_after(NOON) == datetime(2026, 12, 3, 12, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "fields",
    [{}, {"hour": "24"}, {"minute": "x"}, {"weekday": "1"}, {"dayOfMonth": "31", "month": "2"}],
)
def test_a_schedule_that_cannot_run_is_refused(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        Schedule.parse(fields).next_after(NOON)


def test_the_signature_is_hmac_sha256_of_the_body_keyed_with_the_token() -> None:
    body = b'{"type":"EPCISQueryDocument"}'
    expected = hmac.new(b"13df38d8", body, hashlib.sha256).hexdigest()
    assert gs1_signature("13df38d8", body) == f"sha256={expected}"
    assert signature_matches("13df38d8", body, f"sha256={expected}")
    assert not signature_matches("another token", body, f"sha256={expected}")
    assert not signature_matches("13df38d8", body + b" ", f"sha256={expected}")


@pytest.mark.parametrize(
    "dest",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:192.168.1.1]/hook",
    ],
)
def test_a_private_or_loopback_destination_is_refused(dest: str) -> None:
    assert dest_problem(dest, allow_private=False) is not None
    assert dest_problem(dest, allow_private=True) is None


@pytest.mark.parametrize(
    "dest", ["ftp://example.com/x", "file:///etc/passwd", "https://", "https://u:p@example.com/"]
)
def test_only_http_and_https_urls_with_a_host_may_receive(dest: str) -> None:
    assert dest_problem(dest, allow_private=True) is not None


def test_a_failed_delivery_waits_twice_as_long_each_time_up_to_the_cap() -> None:
    assert [retry_delay(n, 1.0, 10.0) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
