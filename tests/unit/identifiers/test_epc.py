"""Specification of EPC pure-identity URNs and their GS1 keys (GS1 EPC Tag Data Standard)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import DigitalLink, build_digital_link
from traceability.identifiers.epc import (
    digital_link_to_lgtin,
    digital_link_to_sgtin,
    epc_to_digital_link,
    gln_to_sgln,
    gtin_from_epc,
    identifier_kind,
    lot_key_from_epc,
    parse_sgtin,
    sgln_to_gln,
    sscc_to_urn,
    sscc_urn_to_sscc,
    urn_escape,
    urn_unescape,
)
from traceability.identifiers.gs1 import CHARSET_82

SGTIN = "urn:epc:id:sgtin:0614141.112345.400"
SGTIN_GTIN = "10614141123459"  # check digit computed: 1061414112345 -> 9
LGTIN = "urn:epc:class:lgtin:4012345.012345.998877"
SGLN = "urn:epc:id:sgln:0614141.00777.0"
GLN = "0614141007776"  # check digit computed: 061414100777 -> 6
SSCC_URN = "urn:epc:id:sscc:0614141.1234567890"
SSCC = "106141412345678908"
GS1 = "https://id.gs1.org"


def invalid(call: Callable[..., object], *args: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as exc:
        call(*args)
    return exc.value


# --- SGTIN and LGTIN <-> Digital Link -------------------------------------------------------------


def test_sgtin_moves_the_indicator_digit_to_the_front_of_the_gtin() -> None:
    link = epc_to_digital_link(SGTIN)
    assert link == DigitalLink(SGTIN_GTIN, serial="400")
    assert build_digital_link(GS1, link) == f"{GS1}/01/{SGTIN_GTIN}/21/400"


def test_tds_example_sgtin_with_indicator_8() -> None:
    link = DigitalLink("80614141123458", serial="6789")
    assert digital_link_to_sgtin(link, 7) == "urn:epc:id:sgtin:0614141.812345.6789"
    assert epc_to_digital_link("urn:epc:id:sgtin:0614141.812345.6789") == link


def test_digital_link_to_sgtin_needs_the_company_prefix_length() -> None:
    link = DigitalLink(SGTIN_GTIN, serial="400")
    assert digital_link_to_sgtin(link, 7) == SGTIN
    assert digital_link_to_sgtin(link, 9) == "urn:epc:id:sgtin:061414112.1345.400"


def test_lgtin_maps_to_gtin_and_lot() -> None:
    assert epc_to_digital_link(LGTIN) == DigitalLink("04012345123456", lot="998877")
    assert digital_link_to_lgtin(DigitalLink("04012345123456", lot="998877"), 7) == LGTIN


def test_vietnamese_product_as_sgtin() -> None:
    link = DigitalLink("8934588013102", serial="A1")
    assert digital_link_to_sgtin(link, 7) == "urn:epc:id:sgtin:8934588.001310.A1"


def test_serial_and_lot_are_urn_escaped() -> None:
    link = DigitalLink(SGTIN_GTIN, lot='a/b%"<&>?', serial="x!'()*+,-.:;=_")
    assert digital_link_to_lgtin(link, 7) == (
        "urn:epc:class:lgtin:0614141.112345.a%2Fb%25%22%3C%26%3E%3F"
    )
    assert digital_link_to_sgtin(link, 7) == "urn:epc:id:sgtin:0614141.112345.x!'()*+,-.:;=_"


def test_serial_may_contain_dots() -> None:
    assert parse_sgtin("urn:epc:id:sgtin:0614141.112345.4.0.0") == (SGTIN_GTIN, "4.0.0")


def test_urn_prefix_is_matched_case_insensitively() -> None:
    assert epc_to_digital_link("URN:EPC:ID:SGTIN:0614141.112345.400").serial == "400"


def test_sgtin_needs_a_serial_and_lgtin_a_lot() -> None:
    assert invalid(digital_link_to_sgtin, DigitalLink(SGTIN_GTIN, lot="L"), 7).field == "serial"
    assert invalid(digital_link_to_lgtin, DigitalLink(SGTIN_GTIN, serial="S"), 7).field == "lot"


@pytest.mark.parametrize("length", [5, 13, 0, -1])
def test_company_prefix_length_must_be_6_to_12(length: int) -> None:
    error = invalid(digital_link_to_sgtin, DigitalLink(SGTIN_GTIN, serial="1"), length)
    assert error.field == "company_prefix_length"


@pytest.mark.parametrize(
    ("urn", "field"),
    [
        ("urn:epc:id:sgtin:0614141.112345", "uri"),  # no serial field
        ("urn:epc:id:sgtin:0614141.11234.400", "uri"),  # 12 digits, not 13
        ("urn:epc:id:sgtin:06141.11234567.400", "uri"),  # prefix too short
        ("urn:epc:id:sgtin:0614141123456..400", "uri"),  # prefix too long, no indicator
        ("urn:epc:id:sgtin:061414A.112345.400", "uri"),
        ("urn:epc:id:sgtin:0614141.112345.", "serial"),
        ("urn:epc:id:sgtin:0614141.112345.a/b", "serial"),  # '/' must be escaped
        ("urn:epc:id:sgtin:0614141.112345.a#b", "serial"),
        ("urn:epc:id:sgtin:0614141.112345.%23", "serial"),  # escapes '#', not in set 82
        ("urn:epc:id:sgtin:0614141.112345." + "9" * 21, "serial"),
        ("urn:epc:class:lgtin:4012345.012345.l t", "lot"),
        ("urn:epc:id:sgln:0614141.00777.0", "uri"),  # not an SGTIN or LGTIN
        ("https://id.gs1.org/01/10614141123459/21/400", "uri"),
    ],
)
def test_malformed_sgtin_or_lgtin_is_rejected(urn: str, field: str) -> None:
    assert invalid(epc_to_digital_link, urn).field == field


# --- SGLN and SSCC -------------------------------------------------------------------------------


def test_sgln_with_extension_0_is_a_plain_gln() -> None:
    assert sgln_to_gln(SGLN) == (GLN, None)
    assert gln_to_sgln(GLN, 7) == SGLN


def test_sgln_with_extension() -> None:
    assert sgln_to_gln("urn:epc:id:sgln:0614141.12345.400") == ("0614141123452", "400")
    assert gln_to_sgln("0614141123452", 7, "400") == "urn:epc:id:sgln:0614141.12345.400"
    assert gln_to_sgln(GLN, 7, "a/b") == "urn:epc:id:sgln:0614141.00777.a%2Fb"


def test_sgln_with_a_12_digit_company_prefix_has_an_empty_location_reference() -> None:
    assert gln_to_sgln("8934588013102", 12) == "urn:epc:id:sgln:893458801310..0"
    assert sgln_to_gln("urn:epc:id:sgln:893458801310..0") == ("8934588013102", None)


def test_sgln_errors() -> None:
    assert invalid(gln_to_sgln, "0614141007778", 7).field == "gln"
    assert invalid(gln_to_sgln, GLN, 7, "").field == "gln_extension"
    assert invalid(sgln_to_gln, "urn:epc:id:sgln:0614141.0077.0").field == "uri"
    assert invalid(sgln_to_gln, SGTIN).field == "uri"


def test_sscc_moves_the_extension_digit_to_the_front() -> None:
    assert sscc_urn_to_sscc(SSCC_URN) == SSCC
    assert sscc_to_urn(SSCC, 7) == SSCC_URN


def test_sscc_errors() -> None:
    assert invalid(sscc_to_urn, "106141412345678901", 7).field == "sscc"
    assert invalid(sscc_urn_to_sscc, "urn:epc:id:sscc:0614141.123456789").field == "uri"
    assert invalid(sscc_urn_to_sscc, "urn:epc:id:sscc:0614141.1234567890.1").field == "uri"
    assert invalid(sscc_to_urn, SSCC, 13).field == "company_prefix_length"


# --- classification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (SGTIN, "sgtin"),
        (LGTIN, "lgtin"),
        (SGLN, "sgln"),
        (SSCC_URN, "sscc"),
        (f"{GS1}/01/{SGTIN_GTIN}/21/400", "digital_link"),
        ("https://truyxuat.vn/prefix/01/8934588013102/10/L1", "digital_link"),
        ("urn:epc:class:lgtin:bad", "other"),
        ("urn:epc:id:sgtin:0614141.112345.a#b", "other"),
        ("urn:epc:idpat:sgtin:0614141.112345.*", "other"),
        ("urn:epc:id:grai:0614141.12345.400", "other"),
        ("https://example.com/products/42", "other"),
        ("/01/09506000134352", "other"),
        ("", "other"),
    ],
)
def test_identifier_kind(value: str, kind: str) -> None:
    assert identifier_kind(value) == kind


def test_lot_key_of_an_lgtin_or_a_digital_link_with_a_lot() -> None:
    assert lot_key_from_epc(LGTIN) == ("04012345123456", "998877")
    assert lot_key_from_epc("https://truyxuat.vn/01/8934588013102/10/L%2F1") == (
        "08934588013102",
        "L/1",
    )
    assert lot_key_from_epc(f"{GS1}/01/{SGTIN_GTIN}/10/L1/21/400") == (SGTIN_GTIN, "L1")


def test_instance_identifiers_and_others_have_no_lot_key() -> None:
    assert lot_key_from_epc(SGTIN) is None
    assert lot_key_from_epc(f"{GS1}/01/{SGTIN_GTIN}/21/400") is None
    assert lot_key_from_epc(SGLN) is None
    assert lot_key_from_epc("https://example.com/x") is None


def test_gtin_from_sgtin_lgtin_or_digital_link() -> None:
    assert gtin_from_epc(SGTIN) == SGTIN_GTIN
    assert gtin_from_epc(LGTIN) == "04012345123456"
    assert gtin_from_epc("https://truyxuat.vn/01/8934588013102") == "08934588013102"
    assert gtin_from_epc(SSCC_URN) is None
    assert gtin_from_epc("urn:epc:id:sgtin:bad") is None


# --- round trips ---------------------------------------------------------------------------------

prefix_lengths = st.integers(min_value=6, max_value=12)
set82 = st.text(alphabet=sorted(CHARSET_82), min_size=1, max_size=20)


def numeric(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def gtin_fields(length: int) -> st.SearchStrategy[str]:
    return st.tuples(numeric(length), numeric(13 - length)).map(lambda p: f"{p[0]}.{p[1]}")


@given(prefix_lengths.flatmap(lambda n: st.tuples(st.just(n), gtin_fields(n), set82)))
def test_sgtin_to_digital_link_and_back_is_the_same_urn(case: tuple[int, str, str]) -> None:
    length, fields, serial = case
    urn = f"urn:epc:id:sgtin:{fields}.{urn_escape(serial)}"
    link = epc_to_digital_link(urn)
    assert link.serial == serial
    assert digital_link_to_sgtin(link, length) == urn
    assert identifier_kind(urn) == "sgtin"


@given(prefix_lengths.flatmap(lambda n: st.tuples(st.just(n), gtin_fields(n), set82)))
def test_lgtin_to_digital_link_and_back_is_the_same_urn(case: tuple[int, str, str]) -> None:
    length, fields, lot = case
    urn = f"urn:epc:class:lgtin:{fields}.{urn_escape(lot)}"
    link = epc_to_digital_link(urn)
    assert lot_key_from_epc(urn) == (link.gtin, lot)
    assert digital_link_to_lgtin(link, length) == urn
    assert lot_key_from_epc(build_digital_link(GS1, link)) == (link.gtin, lot)


@given(
    prefix_lengths.flatmap(
        lambda n: st.tuples(st.just(n), numeric(n), numeric(12 - n), st.none() | set82)
    )
)
def test_sgln_to_gln_and_back_is_the_same_urn(case: tuple[int, str, str, str | None]) -> None:
    length, company_prefix, location_ref, extension = case
    urn = f"urn:epc:id:sgln:{company_prefix}.{location_ref}.{urn_escape(extension or '0')}"
    gln, ext = sgln_to_gln(urn)
    assert ext == (None if extension == "0" else extension)
    assert gln_to_sgln(gln, length, ext) == urn


@given(prefix_lengths.flatmap(lambda n: st.tuples(st.just(n), numeric(n), numeric(17 - n))))
def test_sscc_urn_to_sscc_and_back_is_the_same_urn(case: tuple[int, str, str]) -> None:
    length, company_prefix, serial_ref = case
    urn = f"urn:epc:id:sscc:{company_prefix}.{serial_ref}"
    assert sscc_to_urn(sscc_urn_to_sscc(urn), length) == urn


@given(set82)
def test_urn_escaping_round_trips(value: str) -> None:
    assert urn_unescape(urn_escape(value), field="serial") == value
