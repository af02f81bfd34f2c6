"""Specification of GS1 keys, attribute strings and AI 17 dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.errors import InvalidInput
from traceability.identifiers.gs1 import (
    CHARSET_82,
    GS1_VIETNAM_PREFIX,
    format_expiry,
    gs1_check_digit,
    gtin_company_prefix_matches,
    normalize_gtin,
    parse_expiry,
    validate_cpv,
    validate_gln,
    validate_gln_extension,
    validate_lot,
    validate_serial,
    validate_sscc,
)

TODAY = date(2025, 6, 15)
SET_82_PUNCTUATION = "!\"%&'()*+,-./:;<=>?_"


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def with_check_digit(body: str) -> str:
    return body + gs1_check_digit(body)


# --- check digits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("0950600013435", "2"),  # GS1's own example GTIN 09506000134352
        ("950600013435", "2"),  # the same item as GTIN-13
        ("893458801310", "2"),  # Vietnamese (893) GTIN-13 8934588013102
        ("1061414112345", "9"),  # GTIN of TDS SGTIN 0614141.112345
        ("8061414112345", "8"),  # TDS example GTIN 80614141123458
        ("0401234512345", "6"),  # TDS example GTIN 04012345123456
        ("061414100777", "6"),  # GLN 0614141007776
        ("10614141234567890", "8"),  # SSCC 106141412345678908
        ("9638507", "4"),  # GTIN-8 96385074
    ],
)
def test_check_digit_follows_the_gs1_mod_10_algorithm(body: str, check: str) -> None:
    assert gs1_check_digit(body) == check


def test_check_digit_refuses_anything_but_ascii_digits() -> None:
    for bad in ("", "12a4", "١٢٣"):
        with pytest.raises(InvalidInput):
            gs1_check_digit(bad)


@given(digits(13))
def test_leading_zeros_do_not_change_the_check_digit(body: str) -> None:
    assert gs1_check_digit(body) == gs1_check_digit("0000" + body)


# --- GTIN -------------------------------------------------------------------------------------


def test_gtin_13_normalises_to_14_digits() -> None:
    assert normalize_gtin("9506000134352") == "09506000134352"


def test_gtin_14_is_returned_unchanged() -> None:
    assert normalize_gtin("09506000134352") == "09506000134352"


def test_vietnamese_gtin_13_normalises() -> None:
    assert normalize_gtin("8934588013102") == "08934588013102"


def test_gtin_8_and_12_are_left_padded() -> None:
    assert normalize_gtin("96385074") == "00000096385074"
    assert normalize_gtin("614141123452") == "00614141123452"


def test_surrounding_whitespace_is_ignored() -> None:
    assert normalize_gtin("  9506000134352\n") == "09506000134352"


def test_wrong_check_digit_is_reported_with_the_expected_one() -> None:
    with pytest.raises(InvalidInput) as exc:
        normalize_gtin("8934567890124")
    assert exc.value.field == "gtin"
    assert exc.value.message == "GTIN 8934567890124 has check digit 4, expected 0"


@pytest.mark.parametrize("length", [2, 7, 9, 10, 11, 15, 18])
def test_gtin_of_another_length_is_rejected(length: int) -> None:
    value = with_check_digit("1" * (length - 1))
    with pytest.raises(InvalidInput, match=r"expected 8, 12, 13 or 14") as exc:
        normalize_gtin(value)
    assert exc.value.field == "gtin"


@pytest.mark.parametrize(
    "value", ["", "950600013435X", "9506-00013435", "９５０６０００１３４３５２"]
)
def test_gtin_with_non_digits_is_rejected(value: str) -> None:
    with pytest.raises(InvalidInput, match="only digits") as exc:
        normalize_gtin(value)
    assert exc.value.field == "gtin"


@given(st.sampled_from([8, 12, 13, 14]).flatmap(lambda n: digits(n - 1)))
def test_every_valid_gtin_normalises_to_its_zero_padded_14_digits(body: str) -> None:
    gtin = with_check_digit(body)
    gtin14 = gtin.zfill(14)
    assert normalize_gtin(gtin) == gtin14
    assert normalize_gtin(gtin14) == gtin14
    for length in (8, 12, 13):
        shorter = gtin14[-length:]
        if gtin14[:-length].strip("0") == "":
            assert normalize_gtin(shorter) == gtin14


@given(digits(13), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_is_detected(body: str, delta: int) -> None:
    gtin = with_check_digit(body)
    wrong = gtin[:-1] + str((int(gtin[-1]) + delta) % 10)
    with pytest.raises(InvalidInput):
        normalize_gtin(wrong)


# --- GLN and SSCC -------------------------------------------------------------------------------


def test_valid_gln_is_returned() -> None:
    assert validate_gln("0614141007776") == "0614141007776"


def test_gln_with_wrong_check_digit_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="check digit 8, expected 6") as exc:
        validate_gln("0614141007778")
    assert exc.value.field == "gln"


def test_gln_must_have_13_digits() -> None:
    with pytest.raises(InvalidInput, match="expected 13") as exc:
        validate_gln("09506000134352")
    assert exc.value.field == "gln"


def test_valid_sscc_is_returned() -> None:
    assert validate_sscc("106141412345678908") == "106141412345678908"


def test_sscc_with_wrong_check_digit_or_length_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="expected 8") as exc:
        validate_sscc("106141412345678901")
    assert exc.value.field == "sscc"
    with pytest.raises(InvalidInput, match="expected 18"):
        validate_sscc("10614141234567890")


# --- set-82 attributes ---------------------------------------------------------------------------


VALIDATORS = [
    (validate_lot, "lot"),
    (validate_serial, "serial"),
    (validate_cpv, "cpv"),
    (validate_gln_extension, "gln_extension"),
]


@pytest.mark.parametrize(("validate", "field"), VALIDATORS)
def test_attribute_accepts_every_character_of_set_82(
    validate: Callable[[str], str], field: str
) -> None:
    assert validate("LOT-2025/06.A_b") == "LOT-2025/06.A_b"
    assert validate(SET_82_PUNCTUATION) == SET_82_PUNCTUATION
    assert validate("x" * 20) == "x" * 20


@pytest.mark.parametrize(("validate", "field"), VALIDATORS)
@pytest.mark.parametrize("value", ["", "x" * 21, "LÔ 01", "A B", "a#b", "tab\t", "é", "~"])
def test_attribute_outside_1_to_20_characters_of_set_82_is_rejected(
    validate: Callable[[str], str], field: str, value: str
) -> None:
    with pytest.raises(InvalidInput, match="1-20 characters of GS1 AI encodable set 82") as exc:
        validate(value)
    assert exc.value.field == field


def test_lot_error_names_the_offending_character() -> None:
    with pytest.raises(InvalidInput, match="contains '#'"):
        validate_lot("A#1")


def test_set_82_has_82_characters() -> None:
    assert len(CHARSET_82) == 82


@given(st.text(alphabet=sorted(CHARSET_82), min_size=1, max_size=20))
def test_any_set_82_string_of_up_to_20_characters_is_a_valid_lot(value: str) -> None:
    assert validate_lot(value) == value


# --- AI 17 expiry ------------------------------------------------------------------------------


def test_expiry_is_read_as_a_date() -> None:
    assert parse_expiry("261231", today=TODAY) == date(2026, 12, 31)


def test_day_00_means_the_last_day_of_the_month() -> None:
    assert parse_expiry("250200", today=TODAY) == date(2025, 2, 28)
    assert parse_expiry("240200", today=TODAY) == date(2024, 2, 29)
    assert parse_expiry("251100", today=TODAY) == date(2025, 11, 30)


def test_year_up_to_50_years_ahead_is_in_the_future() -> None:
    assert parse_expiry("750101", today=TODAY) == date(2075, 1, 1)


def test_year_more_than_50_years_ahead_is_in_the_past_century() -> None:
    assert parse_expiry("760101", today=TODAY) == date(1976, 1, 1)


def test_year_more_than_49_years_back_is_in_the_next_century() -> None:
    today = date(2080, 1, 1)
    assert parse_expiry("310101", today=today) == date(2031, 1, 1)
    assert parse_expiry("300101", today=today) == date(2130, 1, 1)


def test_default_reference_is_today() -> None:
    assert parse_expiry(format_expiry(date.today())) == date.today()


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("25011", "6 digits YYMMDD"),
        ("2501011", "6 digits YYMMDD"),
        ("25-101", "6 digits YYMMDD"),
        ("251301", "month 13, expected 01-12"),
        ("250001", "month 00, expected 01-12"),
        ("250230", "day 30, but 2025-02 has 28 days"),
        ("250431", "day 31, but 2025-04 has 30 days"),
    ],
)
def test_malformed_expiry_is_rejected(value: str, match: str) -> None:
    with pytest.raises(InvalidInput, match=match) as exc:
        parse_expiry(value, today=TODAY)
    assert exc.value.field == "expiry"


def test_expiry_is_formatted_as_yymmdd() -> None:
    assert format_expiry(date(2026, 3, 1)) == "260301"


@given(st.dates(min_value=date(1976, 1, 1), max_value=date(2075, 12, 31)))
def test_expiry_round_trips_within_the_century_window(value: date) -> None:
    assert parse_expiry(format_expiry(value), today=TODAY) == value


# --- company prefixes ----------------------------------------------------------------------------


def test_vietnam_prefix_is_893() -> None:
    assert GS1_VIETNAM_PREFIX == "893"


def test_company_prefix_is_matched_after_the_indicator_digit() -> None:
    assert gtin_company_prefix_matches("08934588013102", GS1_VIETNAM_PREFIX)
    assert gtin_company_prefix_matches("18934588013109", "8934588")
    assert not gtin_company_prefix_matches("08934588013102", "0893")
    assert not gtin_company_prefix_matches("09506000134352", GS1_VIETNAM_PREFIX)


def test_malformed_gtin_or_prefix_never_matches() -> None:
    assert not gtin_company_prefix_matches("8934588013102", "893")
    assert not gtin_company_prefix_matches("08934588013102", "")
    assert not gtin_company_prefix_matches("08934588013102", "89x")
