"""Specification of GS1 Digital Link URIs for trade items."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import (
    DigitalLink,
    build_digital_link,
    digital_link_path,
    parse_digital_link,
)
from traceability.identifiers.gs1 import CHARSET_82, gs1_check_digit

TODAY = date(2025, 6, 15)
GTIN = "09506000134352"
BASE = "https://id.gs1.org"


def parse(uri: str) -> DigitalLink:
    return parse_digital_link(uri, today=TODAY).link


gtins = st.text(alphabet="0123456789", min_size=13, max_size=13).map(
    lambda body: body + gs1_check_digit(body)
)
set82 = st.text(alphabet=sorted(CHARSET_82), min_size=1, max_size=20)
links = st.builds(
    DigitalLink,
    gtin=gtins,
    lot=st.none() | set82,
    serial=st.none() | set82,
    cpv=st.none() | set82,
    expiry=st.none() | st.dates(min_value=date(1976, 1, 1), max_value=date(2075, 12, 31)),
)


# --- the value object --------------------------------------------------------------------------


def test_digital_link_stores_the_gtin_as_14_digits() -> None:
    assert DigitalLink("9506000134352").gtin == GTIN
    assert DigitalLink("9506000134352") == DigitalLink(GTIN)


def test_digital_link_validates_its_components() -> None:
    with pytest.raises(InvalidInput) as exc:
        DigitalLink(GTIN, lot="A#1")
    assert exc.value.field == "lot"
    with pytest.raises(InvalidInput) as exc:
        DigitalLink("09506000134353")
    assert exc.value.field == "gtin"


def test_digital_link_is_immutable() -> None:
    link = DigitalLink(GTIN)
    with pytest.raises(AttributeError):
        link.lot = "X"  # type: ignore[misc]


# --- building ------------------------------------------------------------------------------------


def test_gtin_only_link() -> None:
    assert build_digital_link(BASE, DigitalLink("9506000134352")) == f"{BASE}/01/{GTIN}"


def test_qualifiers_are_written_in_the_order_22_10_21_and_expiry_goes_in_the_query() -> None:
    link = DigitalLink(GTIN, lot="ABC", serial="123", cpv="2A", expiry=date(2026, 12, 31))
    assert build_digital_link(BASE, link) == f"{BASE}/01/{GTIN}/22/2A/10/ABC/21/123?17=261231"


def test_trailing_slash_and_path_prefix_of_the_base_are_kept_tidy() -> None:
    link = DigitalLink(GTIN, lot="L1")
    assert (
        build_digital_link("https://truyxuat.vn/", link) == f"https://truyxuat.vn/01/{GTIN}/10/L1"
    )
    assert (
        build_digital_link("https://truyxuat.vn/id/", link)
        == f"https://truyxuat.vn/id/01/{GTIN}/10/L1"
    )


@pytest.mark.parametrize(
    ("lot", "encoded"),
    [
        ("A/B", "A%2FB"),
        ("50%", "50%25"),
        ("a?b", "a%3Fb"),
        ('"q"', "%22q%22"),
        ("<x>", "%3Cx%3E"),
        ("!&'()*+,:;=", "%21%26%27%28%29%2A%2B%2C%3A%3B%3D"),
        ("Az09-._", "Az09-._"),
    ],
)
def test_set_82_punctuation_is_percent_encoded_but_unreserved_characters_are_not(
    lot: str, encoded: str
) -> None:
    assert digital_link_path(DigitalLink(GTIN, lot=lot)) == f"/01/{GTIN}/10/{encoded}"


def test_path_excludes_the_expiry() -> None:
    link = DigitalLink(GTIN, serial="7", expiry=date(2026, 1, 1))
    assert digital_link_path(link) == f"/01/{GTIN}/21/7"


@pytest.mark.parametrize("base", ["id.gs1.org", "ftp://id.gs1.org", "https://x.vn/?a=1", "/01"])
def test_base_must_be_an_absolute_http_url(base: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        build_digital_link(base, DigitalLink(GTIN))
    assert exc.value.field == "base_url"


# --- parsing -------------------------------------------------------------------------------------


def test_canonical_uri_is_parsed() -> None:
    parsed = parse_digital_link(f"{BASE}/01/{GTIN}/10/ABC/21/123?17=261231", today=TODAY)
    assert parsed.link == DigitalLink(GTIN, lot="ABC", serial="123", expiry=date(2026, 12, 31))
    assert parsed.is_canonical
    assert parsed.canonical_path == f"/01/{GTIN}/10/ABC/21/123"
    assert parsed.query == {}


def test_bare_path_is_parsed() -> None:
    assert parse(f"/01/{GTIN}/21/400") == DigitalLink(GTIN, serial="400")


def test_any_host_and_path_prefix_are_accepted() -> None:
    parsed = parse_digital_link(f"https://id.example.com/some/prefix/01/{GTIN}/10/L1")
    assert parsed.link == DigitalLink(GTIN, lot="L1")
    assert parsed.is_canonical


def test_a_path_prefix_may_contain_a_01_segment() -> None:
    assert parse(f"https://x.vn/01/01/{GTIN}/10/01") == DigitalLink(GTIN, lot="01")


def test_shorter_gtin_is_accepted_but_not_canonical() -> None:
    parsed = parse_digital_link("https://x.vn/01/9506000134352/10/L1")
    assert parsed.link.gtin == GTIN
    assert not parsed.is_canonical
    assert parsed.canonical_path == f"/01/{GTIN}/10/L1"


def test_qualifiers_in_another_order_are_accepted_but_not_canonical() -> None:
    parsed = parse_digital_link(f"/01/{GTIN}/21/S1/10/L1/22/V")
    assert parsed.link == DigitalLink(GTIN, lot="L1", serial="S1", cpv="V")
    assert not parsed.is_canonical
    assert parsed.canonical_path == f"/01/{GTIN}/22/V/10/L1/21/S1"


@pytest.mark.parametrize(
    ("raw", "lot"),
    [("A%2fB", "A/B"), ("A!B", "A!B"), ("%41B", "AB"), ("a(1)", "a(1)")],
)
def test_non_canonical_encoding_is_decoded_but_flagged(raw: str, lot: str) -> None:
    parsed = parse_digital_link(f"/01/{GTIN}/10/{raw}")
    assert parsed.link.lot == lot
    assert not parsed.is_canonical


def test_trailing_slash_is_tolerated_but_not_canonical() -> None:
    parsed = parse_digital_link(f"/01/{GTIN}/10/L1/")
    assert parsed.link == DigitalLink(GTIN, lot="L1")
    assert not parsed.is_canonical


def test_other_query_parameters_are_returned_untouched() -> None:
    parsed = parse_digital_link(
        f"{BASE}/01/{GTIN}?linkType=gs1:certificationInfo&17=250100&lang=vi", today=TODAY
    )
    assert parsed.link.expiry == date(2025, 1, 31)
    assert parsed.query == {"linkType": "gs1:certificationInfo", "lang": "vi"}
    assert parsed.is_canonical


def test_fragment_is_ignored() -> None:
    assert parse(f"{BASE}/01/{GTIN}/21/9#top") == DigitalLink(GTIN, serial="9")


def invalid(uri: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as exc:
        parse_digital_link(uri, today=TODAY)
    return exc.value


def test_serial_without_gtin_is_rejected() -> None:
    error = invalid(f"{BASE}/21/123")
    assert error.field == "uri"
    assert "requires /01/" in error.message


def test_uri_without_a_gtin_is_rejected() -> None:
    assert invalid(f"{BASE}/about").field == "uri"
    assert invalid("").field == "uri"


def test_qualifier_appearing_twice_is_rejected() -> None:
    error = invalid(f"/01/{GTIN}/10/A/10/B")
    assert error.field == "uri"
    assert "AI 10 (lot) appears twice" in error.message


def test_gtin_appearing_twice_is_rejected() -> None:
    assert "appears twice" in invalid(f"/01/{GTIN}/01/{GTIN}").message


def test_unknown_ai_in_the_path_is_rejected() -> None:
    error = invalid(f"/01/{GTIN}/99/x")
    assert error.field == "uri"
    assert "unknown AI 99" in error.message
    assert "unknown AI 17" in invalid(f"/01/{GTIN}/17/261231").message


def test_ai_without_a_value_is_rejected() -> None:
    assert "has no value" in invalid(f"/01/{GTIN}/10").message


def test_other_schemes_are_rejected() -> None:
    assert invalid(f"ftp://id.gs1.org/01/{GTIN}").field == "uri"
    assert invalid("urn:epc:id:sgtin:0614141.112345.400").field == "uri"


def test_whitespace_inside_the_uri_is_rejected() -> None:
    assert invalid(f"/01/{GTIN}/10/A\tB").field == "uri"


@pytest.mark.parametrize(
    ("uri", "field"),
    [
        ("/01/09506000134353", "gtin"),
        ("/01/95060001343", "gtin"),
        ("/01/%2009506000134352", "gtin"),
        (f"/01/{GTIN}/10/A%23B", "lot"),
        (f"/01/{GTIN}/10/A%G1", "lot"),
        (f"/01/{GTIN}/10/A%2", "lot"),
        (f"/01/{GTIN}/21/%C3%A9", "serial"),
        (f"/01/{GTIN}/21/%FF", "serial"),
        (f"/01/{GTIN}/21/{'x' * 21}", "serial"),
        (f"/01/{GTIN}/22/", "uri"),
        (f"/01/{GTIN}/22//10/L", "cpv"),
        (f"/01/{GTIN}?17=251301", "expiry"),
        (f"/01/{GTIN}?17=2512", "expiry"),
        (f"/01/{GTIN}?17=251231&17=261231", "expiry"),
    ],
)
def test_invalid_components_name_their_field(uri: str, field: str) -> None:
    assert invalid(uri).field == field


# --- round trips ---------------------------------------------------------------------------------


@given(links)
def test_build_then_parse_gives_back_the_same_link(link: DigitalLink) -> None:
    uri = build_digital_link("https://truyxuat.gov.vn/", link)
    parsed = parse_digital_link(uri, today=TODAY)
    assert parsed.link == link
    assert parsed.is_canonical
    assert parsed.query == {}
    assert uri == "https://truyxuat.gov.vn" + parsed.canonical_path + (
        "" if link.expiry is None else f"?17={link.expiry:%y%m%d}"
    )


@given(links)
def test_canonical_path_of_a_parse_is_a_fixed_point(link: DigitalLink) -> None:
    path = digital_link_path(link)
    assert parse_digital_link(path).canonical_path == path
