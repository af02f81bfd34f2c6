"""GS1 keys and attributes: check digits, GTIN/GLN/SSCC, AI 10/21/22/254 strings, AI 17 dates.

Everything here is pure and raises :class:`~traceability.errors.InvalidInput` with a message that
names the value, the rule it breaks and, where it helps, what was expected.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Final

from traceability.errors import InvalidInput

GS1_VIETNAM_PREFIX: Final = "893"

# GS1 General Specifications figure 7.11-1: the "AI encodable character set 82".
CHARSET_82: Final = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)

_GTIN_LENGTHS: Final = (8, 12, 13, 14)


def _is_digits(value: str) -> bool:
    # str.isdigit() also accepts non-ASCII digits such as '²' or Arabic-Indic numerals.
    return value.isascii() and value.isdigit()


def gs1_check_digit(digits: str) -> str:
    """Check digit of a GS1 key given without it (GS1 General Specifications 7.9.1).

    Weights 3 and 1 alternate starting with 3 at the rightmost digit, so the same function serves
    every key length.
    """
    if not _is_digits(digits):
        raise InvalidInput(
            f"{digits!r} is not a non-empty string of digits 0-9 for a GS1 check digit",
            field="digits",
        )
    # Every other digit from the rightmost one weighs 3, the rest 1.
    total = 3 * sum(map(int, digits[-1::-2])) + sum(map(int, digits[-2::-2]))
    return str((10 - total % 10) % 10)


def _check_key(value: object, *, name: str, lengths: tuple[int, ...], field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string of digits", field=field)
    key = value.strip()
    if not _is_digits(key):
        raise InvalidInput(
            f"{name} {key!r} must contain only digits 0-9",
            field=field,
            reason="key_digits",
            facts={"key": name, "value": key},
        )
    if len(key) not in lengths:
        *head, tail = (str(n) for n in lengths)
        allowed = f"{', '.join(head)} or {tail}" if head else tail
        raise InvalidInput(
            f"{name} {key} has {len(key)} digits, expected {allowed}",
            field=field,
            reason="key_length",
            facts={
                "key": name,
                "value": key,
                "length": len(key),
                "allowed": ", ".join(str(n) for n in lengths),
            },
        )
    expected = gs1_check_digit(key[:-1])
    if key[-1] != expected:
        raise InvalidInput(
            f"{name} {key} has check digit {key[-1]}, expected {expected}",
            field=field,
            reason="check_digit",
            facts={"key": name, "value": key, "found": key[-1], "expected": expected},
        )
    return key


def normalize_gtin(value: str) -> str:
    """Validate a GTIN-8, -12, -13 or -14 and return it as 14 digits (left-padded with zeros)."""
    return _check_key(value, name="GTIN", lengths=_GTIN_LENGTHS, field="gtin").zfill(14)


def validate_gln(value: str) -> str:
    """Validate a 13-digit GLN (AI 414) including its check digit; returns it stripped."""
    return _check_key(value, name="GLN", lengths=(13,), field="gln")


def validate_sscc(value: str) -> str:
    """Validate an 18-digit SSCC (AI 00) including its check digit; returns it stripped."""
    return _check_key(value, name="SSCC", lengths=(18,), field="sscc")


def _check_cset82(value: object, *, name: str, ai: str, field: str) -> str:
    rule = f"{name} must be 1-20 characters of GS1 AI encodable set 82 (AI {ai})"
    if not isinstance(value, str):
        raise InvalidInput(rule, field=field)
    if not 1 <= len(value) <= 20:
        raise InvalidInput(
            f"{rule}; got {len(value)} characters",
            field=field,
            reason="text_length",
            facts={"length": len(value)},
        )
    bad = sorted({c for c in value if c not in CHARSET_82})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise InvalidInput(
            f"{rule}; {value!r} contains {shown}",
            field=field,
            reason="text_characters",
            facts={"value": repr(value)[1:-1], "characters": shown},
        )
    return value


def validate_lot(value: str) -> str:
    """Batch/lot number, AI 10. Not stripped: surrounding spaces are not in set 82."""
    return _check_cset82(value, name="lot", ai="10", field="lot")


def validate_serial(value: str) -> str:
    """Serial number, AI 21."""
    return _check_cset82(value, name="serial", ai="21", field="serial")


def validate_cpv(value: str) -> str:
    """Consumer product variant, AI 22."""
    return _check_cset82(value, name="cpv", ai="22", field="cpv")


def validate_gln_extension(value: str) -> str:
    """GLN extension component, AI 254."""
    return _check_cset82(value, name="GLN extension", ai="254", field="gln_extension")


def parse_expiry(value: str, *, today: date | None = None) -> date:
    """Read an AI 17 expiry date YYMMDD.

    The century follows GS1 General Specifications 7.12: the year lies between 49 years before
    and 50 years after the current year. DD = 00 means the last day of the month. ``today`` is
    the reference date (UTC today by default) so that callers and tests can pin it.
    """
    if not isinstance(value, str) or len(value) != 6 or not _is_digits(value):
        raise InvalidInput(f"expiry {value!r} must be 6 digits YYMMDD (AI 17)", field="expiry")
    yy, mm, dd = int(value[0:2]), int(value[2:4]), int(value[4:6])
    if not 1 <= mm <= 12:
        raise InvalidInput(f"expiry {value} has month {mm:02d}, expected 01-12", field="expiry")
    ref = today if today is not None else datetime.now(UTC).date()
    year = ref.year - ref.year % 100 + yy
    if year - ref.year > 50:
        year -= 100
    elif year - ref.year < -49:
        year += 100
    last = calendar.monthrange(year, mm)[1]
    if dd == 0:
        dd = last
    elif dd > last:
        raise InvalidInput(
            f"expiry {value} has day {dd:02d}, but {year}-{mm:02d} has {last} days",
            field="expiry",
        )
    return date(year, mm, dd)


def format_expiry(value: date) -> str:
    """AI 17 form YYMMDD of a date (always a real day, never DD = 00)."""
    return value.strftime("%y%m%d")


def gtin_company_prefix_matches(gtin14: str, prefix: str) -> bool:
    """Whether ``prefix`` (a GS1 company or country prefix) leads the GTIN-13 inside ``gtin14``.

    The first digit of a GTIN-14 is the packaging indicator, not part of the company prefix.
    """
    return (
        len(gtin14) == 14
        and _is_digits(gtin14)
        and _is_digits(prefix)
        and len(prefix) <= 13
        and gtin14[1:].startswith(prefix)
    )
