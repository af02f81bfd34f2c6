"""Anchors, the GS1 link type vocabulary and how a request picks a business link.

From the GS1-Conformant Resolver standard 1.2: a link type is a term of the GS1 Web
Vocabulary, named ``gs1:xxx`` or by its IRI ``https://gs1.org/voc/xxx``; among the targets of
one link type, the resolver follows the request's preferred language (Accept-Language
against ``hreflang``), then its media type (Accept against ``type``).
"""

from __future__ import annotations

import pytest

from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import DigitalLink
from traceability.resolver.anchors import parse_anchor
from traceability.resolver.fields import link_spec
from traceability.resolver.link_types import attachable_link_type
from traceability.resolver.links import LinkSpec
from traceability.resolver.selection import choose, default_link, links_at
from traceability.resolver.upload import plan_upload

GTIN = "08936012345674"


def link(anchor: str, link_type: str = "gs1:pip", **fields: object) -> LinkSpec:
    return link_spec(
        {"anchor": anchor, "linkType": link_type, "href": "https://example.vn/x", "title": "T"}
        | fields
    )


# --- anchors ------------------------------------------------------------------------------


def test_an_anchor_covers_its_own_uri_and_every_more_specific_one_under_it() -> None:
    product = parse_anchor(f"/01/{GTIN}")
    lot = parse_anchor(f"/01/{GTIN}/10/LOT1")
    serial = parse_anchor(f"/01/{GTIN}/21/S9")
    serials = parse_anchor(f"/01/{GTIN}", ("100", "199"))
    item = DigitalLink(GTIN, lot="LOT1", serial="150")
    assert product.covers(item) and lot.covers(item) and serials.covers(item)
    assert not serial.covers(item)
    assert serial.covers(DigitalLink(GTIN, lot="OTHER", serial="S9"))
    assert not lot.covers(DigitalLink(GTIN, lot="LOT2"))
    assert not serials.covers(DigitalLink(GTIN, serial="200"))
    assert not serials.covers(DigitalLink(GTIN, serial="A150"))
    assert not product.covers(DigitalLink("08936012345681"))


def test_a_gtin_13_anchor_is_stored_as_its_canonical_gtin_14_path() -> None:
    assert parse_anchor(f"/01/{GTIN[1:]}/10/LOT1").path == f"/01/{GTIN}/10/LOT1"


@pytest.mark.parametrize(
    ("path", "serials", "field"),
    [
        ("https://example.vn/x", None, "anchor"),
        (f"/01/{GTIN[:-1]}3", None, "anchor"),  # wrong check digit
        (f"/01/{GTIN}/10/L1/21/S1", None, "anchor"),
        (f"/01/{GTIN}/10/L1", ("1", "9"), "anchor"),
        (f"/01/{GTIN}", ("9", "1"), "serialRange"),
        (f"/01/{GTIN}", ("A1", "A9"), "serialRange.first"),
    ],
)
def test_a_malformed_anchor_is_refused_naming_the_field(
    path: str, serials: tuple[str, str] | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_anchor(path, serials)
    assert refused.value.field == field


# --- link types ----------------------------------------------------------------------------


def test_a_link_type_is_named_by_its_curie_or_its_gs1_iri() -> None:
    assert attachable_link_type("gs1:pip") == "pip"
    assert attachable_link_type("https://gs1.org/voc/whatsInTheBox") == "whatsInTheBox"


@pytest.mark.parametrize(
    ("given", "suggestion"),
    [
        ("gs1:nutritionInfo", "gs1:nutritionalInfo"),
        ("gs1:PIP", "gs1:pip"),
        ("recallStatus", "gs1:recallStatus"),
        ("gs1:nosuchtype", ""),
    ],
)
def test_an_unknown_link_type_is_refused_naming_it_and_the_closest(
    given: str, suggestion: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        attachable_link_type(given)
    assert given in refused.value.message
    assert refused.value.facts["suggestion"] == suggestion
    if suggestion:
        assert f"did you mean {suggestion}?" in refused.value.message


def test_default_link_and_delegation_are_not_attached_by_name() -> None:
    for name in ("gs1:defaultLink", "gs1:handledBy"):
        with pytest.raises(InvalidInput):
            attachable_link_type(name)


# --- link fields ---------------------------------------------------------------------------


def test_languages_are_a_set_in_conventional_case_and_part_of_the_identity() -> None:
    one = link(f"/01/{GTIN}", hreflang=["EN-gb", "vi", "vi"])
    other = link(f"/01/{GTIN}", hreflang="vi, en-GB")
    assert one.hreflang == ("en-GB", "vi")
    assert one.identity == other.identity
    assert link(f"/01/{GTIN}", hreflang=["vi"]).identity != one.identity


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"href": "ftp://example.vn/x"}, "href"),
        ({"href": "/relative"}, "href"),
        ({"href": "https://exa mple.vn"}, "href"),
        ({"title": "  "}, "title"),
        ({"hreflang": ["not a tag"]}, "hreflang"),
        ({"type": "html"}, "type"),
        ({"default": "maybe"}, "default"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_wrong_field_is_refused_by_name(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        link(f"/01/{GTIN}", **fields)
    assert refused.value.field == field


# --- selection -----------------------------------------------------------------------------


def test_the_most_specific_anchor_with_links_of_a_type_supplies_that_type() -> None:
    product_pip = link(f"/01/{GTIN}")
    lot_pip = link(f"/01/{GTIN}/10/L1")
    range_pip = link(f"/01/{GTIN}", serialRange={"first": "1", "last": "999"})
    serial_pip = link(f"/01/{GTIN}/21/7")
    product_faqs = link(f"/01/{GTIN}", "gs1:faqs")
    stored = [product_pip, lot_pip, range_pip, serial_pip, product_faqs]
    assert links_at(stored, DigitalLink(GTIN)) == [product_pip, product_faqs]
    assert links_at(stored, DigitalLink(GTIN, lot="L1")) == [lot_pip, product_faqs]
    assert links_at(stored, DigitalLink(GTIN, lot="L1", serial="8")) == [range_pip, product_faqs]
    assert links_at(stored, DigitalLink(GTIN, lot="L1", serial="7")) == [serial_pip, product_faqs]


def test_the_request_language_chooses_among_targets_then_the_media_type() -> None:
    vi = link(f"/01/{GTIN}", hreflang=["vi"], type="text/html", href="https://x.vn/vi")
    en = link(f"/01/{GTIN}", hreflang=["en"], type="text/html", href="https://x.vn/en")
    en_pdf = link(f"/01/{GTIN}", hreflang=["en"], type="application/pdf", href="https://x.vn/p")
    links = [vi, en, en_pdf]
    assert choose(links, "pip", "en-GB,en;q=0.9", None) == en
    assert choose(links, "pip", "vi-VN, en;q=0.5", None) == vi
    assert choose(links, "pip", "en", "application/pdf") == en_pdf
    assert choose(links, "pip", "fr", "text/html") == vi  # none matches: the first that suits
    assert choose(links, "faqs", "en", None) is None


def test_the_default_link_of_the_most_specific_anchor_wins() -> None:
    product = link(f"/01/{GTIN}", default=True, href="https://x.vn/p")
    lot = link(f"/01/{GTIN}/10/L1", "gs1:faqs", default=True, href="https://x.vn/l")
    assert default_link(links_at([product, lot], DigitalLink(GTIN, lot="L1"))) == lot
    assert default_link(links_at([product, lot], DigitalLink(GTIN, lot="L2"))) == product


# --- uploads -------------------------------------------------------------------------------


def test_an_upload_adds_changes_or_leaves_each_link_it_names_and_no_other() -> None:
    kept = link(f"/01/{GTIN}", "gs1:faqs")
    same = link(f"/01/{GTIN}", hreflang=["vi"])
    moved = link(f"/01/{GTIN}", hreflang=["en"], href="https://old.vn")
    plans, errors = plan_upload(
        [kept, same, moved],
        [
            (1, link(f"/01/{GTIN}", hreflang=["vi"])),
            (2, link(f"/01/{GTIN}", hreflang=["en"], href="https://new.vn")),
            (3, link(f"/01/{GTIN}/10/L1")),
        ],
    )
    assert errors == []
    assert [(p.row, p.outcome) for p in plans] == [(1, "unchanged"), (2, "changed"), (3, "added")]


def test_an_upload_leaving_an_anchor_two_defaults_or_naming_a_link_twice_is_refused() -> None:
    stored = [link(f"/01/{GTIN}", default=True)]
    _, errors = plan_upload(
        stored,
        [
            (1, link(f"/01/{GTIN}", "gs1:faqs", default=True)),
            (2, link(f"/01/{GTIN}/10/L1")),
            (3, link(f"/01/{GTIN}/10/L1")),
        ],
    )
    assert [(e.row, e.field) for e in errors] == [(1, "default"), (3, None)]


def test_a_target_without_a_media_type_suits_any_accept_and_no_header_accepts_all() -> None:
    untyped = link(f"/01/{GTIN}", hreflang=["en"], href="https://x.vn/any")
    html = link(f"/01/{GTIN}", hreflang=["en"], type="text/html", href="https://x.vn/html")
    assert choose([untyped, html], "pip", "en", "*/*") == untyped
    assert choose([untyped, html], "pip", "en", "text/html") == html
    assert choose([html, untyped], "pip", None, None) == html
