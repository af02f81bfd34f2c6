"""Step 5: the canonical text of a value: UTC timestamps, numbers, web-vocabulary IRIs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Final

from traceability.epcis.prehash.cbv_vocabulary import CBV
from traceability.epcis.prehash.gs1_uris import canonical_gs1_uri

_TIMESTAMP: Final = re.compile(
    r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}|[0-9](?=:)):?([0-9]{2})(?::?([0-9]{2})(?:[.,]([0-9]+)|[.,](?![Zz]))?)?)?"
    r"\s*(?:([Zz]|UTC|GMT)|([+-])([0-9]{2}|[0-9](?=:))(?::?([0-9]{2}))?)?"
)


@lru_cache(maxsize=4096)
def utc_timestamp(text: str) -> str:
    """``2020-03-04T11:00:30+01:00`` → ``2020-03-04T10:00:30.000Z``; non-timestamps unchanged."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return text
    year, month, day, hour, minute, second, fraction, _utc, sign, off_h, off_m = match.groups()
    micros = int((fraction or "")[:6].ljust(6, "0"))
    try:
        zone = UTC
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
            zone = timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=zone,
        )
        moment = (moment + timedelta(microseconds=round(micros, -3))).astimezone(UTC)
    except (ValueError, OverflowError):
        return text
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


_OLD_CBV_URNS: Final = (
    ("urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", CBV + "Disp-"),
    ("urn:epcglobal:cbv:btt:", CBV + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", CBV + "SDT-"),
    ("urn:epcglobal:cbv:er:", CBV + "ER-"),
)
_NUMBER_START: Final = frozenset("0123456789+-.iInN")


@lru_cache(maxsize=65536)
def canonical_value(text: str) -> str:
    if "urn:epcglobal:cbv:" in text:
        for old, new in _OLD_CBV_URNS:
            text = text.replace(old, new)
    if text and (text[0] in _NUMBER_START or not text[0].isascii()):
        text = _canonical_number(text)
    if "." in text and (text.startswith("urn:epc:") or text.startswith("http")):
        canonical = canonical_gs1_uri(text)
        if canonical is not None:
            return canonical
    return text


def _canonical_number(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    integer = int(number)
    return str(integer) if integer == number else repr(number)
