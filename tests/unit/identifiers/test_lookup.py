"""Specification of reading what a person typed into the lookup box as GS1 keys."""

from __future__ import annotations

import pytest

from traceability.identifiers.digital_link import DigitalLink, digital_link_path
from traceability.identifiers.lookup import Unreadable, read_lookup

GTIN = "08930000000019"  # a valid GTIN-14 under Vietnam's GS1 prefix
GTIN13 = GTIN[1:]


def path_of(found: DigitalLink | Unreadable) -> str:
    assert isinstance(found, DigitalLink), found
    return digital_link_path(found)


def problem_of(found: DigitalLink | Unreadable) -> Unreadable:
    assert isinstance(found, Unreadable), found
    return found


@pytest.mark.parametrize(
    ("gtin", "lot", "path"),
    [
        pytest.param(GTIN, "LO-1", f"/01/{GTIN}/10/LO-1", id="gtin14-and-lot"),
        pytest.param(GTIN13, "LO-1", f"/01/{GTIN}/10/LO-1", id="gtin13-padded"),
        pytest.param(f" {GTIN13} ", " LO-1 ", f"/01/{GTIN}/10/LO-1", id="spaces-around"),
        pytest.param(GTIN, "", f"/01/{GTIN}", id="product-only"),
        pytest.param(GTIN, "A/B", f"/01/{GTIN}/10/A%2FB", id="lot-with-slash-encoded"),
    ],
)
def test_a_gtin_and_a_lot_name_their_canonical_path(gtin: str, lot: str, path: str) -> None:
    assert path_of(read_lookup(gtin, lot)) == path


@pytest.mark.parametrize(
    ("text", "path"),
    [
        pytest.param(f"https://id.gs1.org/01/{GTIN}/10/LO-1", f"/01/{GTIN}/10/LO-1", id="uri"),
        pytest.param(f"/01/{GTIN13}/10/LO-1?17=261231", f"/01/{GTIN}/10/LO-1", id="path"),
        pytest.param(f"https://x.vn/01/{GTIN}/21/77/10/A", f"/01/{GTIN}/10/A/21/77", id="item"),
        pytest.param(f"(01){GTIN}(10)LO-1", f"/01/{GTIN}/10/LO-1", id="hri"),
        pytest.param(f"(01) {GTIN} (10) LO-1", f"/01/{GTIN}/10/LO-1", id="hri-as-printed"),
        pytest.param(f"(01){GTIN}(17)261231(10)LO-1", f"/01/{GTIN}/10/LO-1", id="hri-expiry"),
        pytest.param(f"01{GTIN}10LO-1\x1d21ABC", f"/01/{GTIN}/10/LO-1/21/ABC", id="raw-gs"),
        pytest.param(f"]C101{GTIN}10LO-1", f"/01/{GTIN}/10/LO-1", id="raw-symbology-id"),
        pytest.param(GTIN13, f"/01/{GTIN}", id="bare-gtin"),
    ],
)
def test_a_pasted_code_names_its_canonical_path(text: str, path: str) -> None:
    assert path_of(read_lookup(text=text)) == path


@pytest.mark.parametrize(
    "text",
    [
        f"https://evil.example/01/{GTIN}/10/LO-1",
        f"//evil.example/01/{GTIN}/10/LO-1",
        f"https://evil.example/phish/01/{GTIN}/10/LO-1?next=https://evil.example#x",
        f"https://user:pass@evil.example:8443/01/{GTIN}/10/LO-1",
    ],
)
def test_a_pasted_uri_gives_only_its_keys_never_its_host(text: str) -> None:
    assert path_of(read_lookup(text=text)) == f"/01/{GTIN}/10/LO-1"


def test_the_pasted_code_wins_over_the_fields() -> None:
    assert path_of(read_lookup("12345", "x y", f"(01){GTIN}")) == f"/01/{GTIN}"


@pytest.mark.parametrize(
    ("found", "reason", "field", "values"),
    [
        pytest.param(read_lookup(), "empty", "gtin", {}, id="nothing"),
        pytest.param(read_lookup("", "LO-1"), "gtin.missing", "gtin", {}, id="lot-only"),
        pytest.param(read_lookup("0893-000"), "gtin.digits", "gtin", {"gtin": "0893-000"}),
        pytest.param(read_lookup("12345"), "gtin.length", "gtin", {"gtin": "12345", "length": "5"}),
        pytest.param(
            read_lookup("08930000000018"),
            "gtin.check_digit",
            "gtin",
            {"gtin": "08930000000018", "got": "8", "expected": "9"},
            id="check-digit",
        ),
        pytest.param(
            read_lookup(text="https://x.vn/01/08930000000011/10/A"),
            "gtin.check_digit",
            "q",
            {"gtin": "08930000000011", "got": "1", "expected": "9"},
            id="check-digit-in-uri",
        ),
        pytest.param(
            read_lookup(text="(01)08930000000012"),
            "gtin.check_digit",
            "q",
            {"gtin": "08930000000012", "got": "2", "expected": "9"},
            id="check-digit-in-element-string",
        ),
        pytest.param(read_lookup(text="(10)LO-1"), "text.no_gtin", "q", {}, id="no-gtin"),
    ],
)
def test_what_names_no_product_says_why(
    found: DigitalLink | Unreadable, reason: str, field: str, values: dict[str, str]
) -> None:
    problem = problem_of(found)
    assert (problem.reason, problem.field, problem.values) == (reason, field, values)


def test_a_lot_outside_gs1_set_82_is_named_with_the_validators_words() -> None:
    problem = problem_of(read_lookup(GTIN, "Lô 1"))
    assert (problem.reason, problem.field, problem.values) == (
        "lot.invalid",
        "lot",
        {"value": "Lô 1"},
    )
    assert "'ô'" in problem.detail


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "javascript:alert(1)//01/08930000000019",
        "ftp://x.vn/01/08930000000019",
        "https://x.vn/02/08930000000019",
        f"https://x.vn/01/{GTIN}/10/",
        "(01)893",
        "(99",
    ],
)
def test_text_that_is_no_gs1_code_is_unreadable(text: str) -> None:
    problem = problem_of(read_lookup(text=text))
    assert (problem.reason, problem.field) == ("text.unreadable", "q")
    assert problem.detail
