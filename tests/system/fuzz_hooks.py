"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.system.fuzz_hooks): values for the formats the
OpenAPI schema names for what JSON Schema cannot state.

``gs1-gtin`` and ``gs1-gln`` carry a check digit, and ``gs1-lot-key`` (01/{gtin}/10/{lot})
holds a GTIN; ``date-time`` and ``date`` values are drawn from the years the portal takes
(1900 up to now, where it refuses what is implausibly far off), so schema-valid is valid.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources

import schemathesis
from hypothesis import strategies as st

from traceability.identifiers.gs1 import gs1_check_digit


def _with_check_digit(lengths: list[int]) -> st.SearchStrategy[str]:
    def key(length: int) -> st.SearchStrategy[str]:
        body = st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1)
        return body.map(lambda digits: digits + gs1_check_digit(digits))

    return st.sampled_from(lengths).flatmap(key)


# The demo's own keys now and then, so some requests reach records that exist.
_DEMO = json.loads(
    resources.files("traceability.seeding")
    .joinpath("data")
    .joinpath("demo.json")
    .read_text("utf-8")
)
KNOWN_GTINS = sorted({lot["gtin"] for lot in _DEMO["lots"]})
KNOWN_GLNS = sorted({location["gln"] for location in _DEMO["locations"]})

schemathesis.openapi.format(
    "gs1-gtin", st.sampled_from(KNOWN_GTINS) | _with_check_digit([8, 12, 13, 14])
)
schemathesis.openapi.format(
    "gs1-gln",
    st.sampled_from(KNOWN_GLNS) | _with_check_digit([13]),
)

_LOT = st.from_regex(r"\A[!\"%-?A-Z_a-z]{1,20}\Z")
schemathesis.openapi.format(
    "gs1-lot-key",
    st.builds(
        lambda gtin, lot: f"01/{gtin}/10/{lot}",
        st.sampled_from(KNOWN_GTINS) | _with_check_digit([8, 12, 13, 14]),
        _LOT,
    ),
)

_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_OFFSETS = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timedelta(minutes=minutes)
)


def _moment(seconds: int, offset: timedelta) -> str:
    return (_EARLIEST + timedelta(seconds=seconds)).astimezone(timezone(offset)).isoformat()


schemathesis.openapi.format(
    "date-time",
    st.builds(
        _moment,
        st.integers(min_value=0, max_value=int((datetime.now(UTC) - _EARLIEST).total_seconds())),
        _OFFSETS,
    ),
)
schemathesis.openapi.format(
    "date",
    st.dates(min_value=_EARLIEST.date(), max_value=datetime.now(UTC).date()).map(
        lambda day: day.isoformat()
    ),
)
