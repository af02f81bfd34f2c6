"""The genealogy picture: a valid SVG whose every text is text, sized to what it says, marked
as asked, and the same bytes for the same picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

from traceability.printing.genealogy_svg import (
    MAX_LINE_CHARS,
    Arrow,
    Box,
    Picture,
    genealogy_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script> & co"


RICE = Picture(
    heading="Phả hệ lô GX-260810",
    boxes=(
        Box("paddy", "Lúa tươi ST25", ("Lô HT26-MX-T01", "HTX Mỹ Xuyên", "Cần Thơ")),
        Box("rice", "Gạo ST25", ("Lô GX-260810", "Kênh Xáng", "Cần Thơ"), mark="traced"),
        Box("shop", "Cửa hàng Bếp Việt", ("Hà Nội",), shape="place"),
    ),
    arrows=(Arrow("paddy", "rice", "Chế biến"), Arrow("rice", "shop", "Giao hàng")),
    legend=(("traced", "Lô đang xem"),),
)


def rice(**changes: Any) -> Picture:
    return replace(RICE, **changes)


def boxes(svg: ET.Element) -> dict[str, ET.Element]:
    return {g.attrib["data-node"]: g for g in svg.iter(f"{SVG}g") if "data-node" in g.attrib}


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_the_picture_is_an_svg_document_with_every_box_and_label() -> None:
    svg = ET.fromstring(genealogy_svg(rice()))
    assert svg.tag == f"{SVG}svg"
    assert set(boxes(svg)) == {"paddy", "rice", "shop"}
    assert texts(boxes(svg)["rice"]) == ["Gạo ST25", "Lô GX-260810", "Kênh Xáng", "Cần Thơ"]
    assert {"Chế biến", "Giao hàng"} <= set(texts(svg))
    assert "traced" in boxes(svg)["rice"].attrib["class"].split()


def test_names_holding_markup_come_out_as_text() -> None:
    picture = rice(boxes=(Box("x", HOSTILE, (f"Công ty {HOSTILE}",)),), arrows=())
    text = genealogy_svg(picture)
    svg = ET.fromstring(text)
    assert texts(boxes(svg)["x"]) == [HOSTILE, f"Công ty {HOSTILE}"]
    assert not list(svg.iter(f"{SVG}script"))
    assert "<script" not in text


def test_characters_xml_cannot_hold_do_not_break_the_document() -> None:
    picture = rice(boxes=(Box("x", "Gạo\x00\x01 ST25\ufffe", ("a\nb",)),), arrows=())
    svg = ET.fromstring(genealogy_svg(picture))
    assert texts(boxes(svg)["x"]) == ["Gạo\ufffd\ufffd ST25\ufffd", "a b"]


def width(picture: Picture) -> float:
    return float(ET.fromstring(genealogy_svg(picture)).attrib["width"])


def test_the_picture_grows_with_its_text_and_cuts_a_very_long_name() -> None:
    named = "Công ty Cổ phần Phân phối Nông sản Sài Gòn Xanh"
    one = width(rice(heading="", legend=(), boxes=(Box("x", "Gạo"),), arrows=()))
    wider = width(rice(heading="", legend=(), boxes=(Box("x", named),), arrows=()))
    very_long = rice(heading="", legend=(), boxes=(Box("x", named * 10),), arrows=())
    line = texts(boxes(ET.fromstring(genealogy_svg(very_long)))["x"])[0]
    assert one < wider < width(very_long) < wider * 2
    assert len(line) <= MAX_LINE_CHARS and line.endswith("…")
    taller = rice(boxes=(*RICE.boxes, Box("more", "Gạo", ("1", "2", "3", "4", "5"))))
    assert float(ET.fromstring(genealogy_svg(taller)).attrib["height"]) > float(
        ET.fromstring(genealogy_svg(RICE)).attrib["height"]
    )


def test_a_warning_says_the_picture_was_cut_short() -> None:
    svg = ET.fromstring(genealogy_svg(rice(warning="Hình bị cắt bớt")))
    assert "Hình bị cắt bớt" in texts(svg)


def test_the_same_picture_gives_the_same_bytes() -> None:
    assert genealogy_svg(rice()) == genealogy_svg(rice())


def test_two_pictures_in_one_page_use_their_own_ids() -> None:
    trace = genealogy_svg(rice(), "trace")
    recall = genealogy_svg(rice(), "recall")
    assert 'id="trace-arrow"' in trace and "url(#trace-arrow)" in trace
    assert 'id="recall-arrow"' in recall and "trace-" not in recall


def test_the_picture_carries_no_script_and_no_stylesheet() -> None:
    svg = ET.fromstring(genealogy_svg(rice()))
    tags = {e.tag.removeprefix(SVG) for e in svg.iter()}
    assert not tags & {"script", "style", "foreignObject", "image", "a"}
    assert all("style" not in e.attrib for e in svg.iter())
    assert "Noto Sans" in svg.attrib["font-family"]
