"""A genealogy picture: boxes (lots, logistic units, places) joined by labelled arrows, laid out
left to right in layers (:mod:`.layered_layout`), as an SVG document.

The caller says everything the picture shows, in the reader's language (:class:`Picture`);
this module only draws it. Every text comes from tenants (product and organisation names),
so it is written as XML text by ElementTree, never pasted into markup: ``<script>`` or ``&``
in a name comes out as those characters. Styling is by presentation attributes only (no
``<style>``, no script), so the picture shows the same inline in a page whose CSP forbids
styles and opened on its own. The same picture always gives the same bytes: no clock, no
randomness, and sizes computed from the text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from traceability.printing.layered_layout import Slot, layered_layout

Mark = Literal["plain", "traced", "recalled", "affected"]
Shape = Literal["lot", "unit", "place"]

SVG_NS: Final = "http://www.w3.org/2000/svg"
XML_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Families that hold every Vietnamese letter (Latin Extended Additional), most common first.
FONT_FAMILY: Final = "'Noto Sans', 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
FONT_SIZE: Final = 13
LINE_HEIGHT: Final = 18
LABEL_SIZE: Final = 11
# Mean advance of a character at FONT_SIZE (bold a little wider): an estimate on the generous
# side, since no font metrics are at hand and a box must never be narrower than its text.
CHAR_WIDTH: Final = 7.0
BOLD_CHAR_WIDTH: Final = 7.6
LABEL_CHAR_WIDTH: Final = 6.3
MAX_LINE_CHARS: Final = 56
MAX_LABEL_CHARS: Final = 26
PAD_X: Final = 10
PAD_Y: Final = 8
MIN_BOX_WIDTH: Final = 150
COLUMN_GAP: Final = 170
ROW_GAP: Final = 18
MARGIN: Final = 20

# (fill, stroke, stroke width) of each mark.
MARKS: Final[dict[Mark, tuple[str, str, str]]] = {
    "plain": ("#ffffff", "#7d8a83", "1.5"),
    "traced": ("#e3f1e8", "#0b5a36", "3"),
    "recalled": ("#fdecec", "#b0151c", "3"),
    "affected": ("#fff4dc", "#d99a1e", "2.5"),
}
CORNERS: Final[dict[Shape, str]] = {"lot": "6", "unit": "0", "place": "16"}
INK: Final = "#16201a"
MUTED: Final = "#4b5750"
WARNING_INK: Final = "#b0151c"

# Characters XML 1.0 cannot hold at all (C0 controls but tab and newline, lone surrogates,
# U+FFFE/U+FFFF): a name holding one would make the document unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Box:
    """One node: ``title`` in bold, then ``lines``; ``id`` is what arrows name."""

    id: str
    title: str
    lines: tuple[str, ...] = ()
    shape: Shape = "lot"
    mark: Mark = "plain"


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class Picture:
    heading: str
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    legend: tuple[tuple[Mark, str], ...] = ()
    # Said in red above the graph: that the trace was cut short, say.
    warning: str | None = None
    # How to read the picture, for those who cannot see it.
    description: str = ""


@dataclass(frozen=True)
class _Placed:
    box: Box
    title: str
    lines: tuple[str, ...]
    x: float
    y: float
    width: float
    height: float


def clean(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """``text`` as one line of at most ``limit`` characters that XML can hold."""
    line = _SPACES.sub(" ", _NOT_XML.sub("\ufffd", text)).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _number(value: float) -> str:
    """Coordinates to a tenth of a pixel, written the same way every time."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def genealogy_svg(picture: Picture, ids: str = "genealogy") -> str:
    """The picture as an ``<svg>`` element (no XML declaration: prepend
    :data:`XML_DECLARATION` for a file). ``ids`` prefixes the element ids, so two pictures
    can sit in one HTML page."""
    slots = layered_layout(
        [b.id for b in picture.boxes], [(a.source, a.target) for a in picture.arrows]
    )
    top = MARGIN + _header_height(picture)
    placed = _placed(picture.boxes, slots, top)
    width = max(
        [p.x + p.width for p in placed.values()] + [MARGIN + _header_width(picture)], default=0
    )
    height = max([p.y + p.height for p in placed.values()], default=top)
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": _number(width + MARGIN),
            "height": _number(height + MARGIN),
            "viewBox": f"0 0 {_number(width + MARGIN)} {_number(height + MARGIN)}",
            "role": "img",
            "aria-labelledby": f"{ids}-title",
            "font-family": FONT_FAMILY,
            "font-size": str(FONT_SIZE),
            "fill": INK,
        },
    )
    ET.SubElement(root, "title", {"id": f"{ids}-title"}).text = clean(picture.heading, 200)
    if picture.description:
        ET.SubElement(root, "desc").text = clean(picture.description, 500)
    _defs(root, ids)
    ET.SubElement(
        root, "rect", {"width": "100%", "height": "100%", "fill": "#ffffff", "stroke": "none"}
    )
    _header(root, picture)
    _arrows(root, picture.arrows, placed, ids)
    for index, box in enumerate(picture.boxes):
        _box(root, placed[box.id], f"{ids}-n{index}")
    return ET.tostring(root, encoding="unicode") + "\n"


def _text_width(text: str, bold: bool = False) -> float:
    return len(text) * (BOLD_CHAR_WIDTH if bold else CHAR_WIDTH)


def _placed(boxes: Sequence[Box], slots: dict[str, Slot], top: float) -> dict[str, _Placed]:
    """Each box's text, size and position: columns as wide as their widest box, each column
    centred on the tallest one."""
    sized: dict[str, tuple[str, tuple[str, ...], float, float]] = {}
    for box in boxes:
        title = clean(box.title)
        lines = tuple(clean(line) for line in box.lines if line)
        width = max([_text_width(title, bold=True)] + [_text_width(line) for line in lines])
        height = 2 * PAD_Y + LINE_HEIGHT * (1 + len(lines))
        sized[box.id] = (title, lines, max(MIN_BOX_WIDTH, width + 2 * PAD_X), height)
    columns: dict[int, list[Box]] = {}
    for box in sorted(boxes, key=lambda b: (slots[b.id].column, slots[b.id].row)):
        columns.setdefault(slots[box.id].column, []).append(box)
    heights = {
        c: sum(sized[b.id][3] + ROW_GAP for b in col) - ROW_GAP for c, col in columns.items()
    }
    tallest = max(heights.values(), default=0.0)
    placed: dict[str, _Placed] = {}
    x = float(MARGIN)
    for column in sorted(columns):
        y = top + (tallest - heights[column]) / 2
        for box in columns[column]:
            text, rows, box_width, box_height = sized[box.id]
            placed[box.id] = _Placed(box, text, rows, x, y, box_width, box_height)
            y += box_height + ROW_GAP
        x += max(sized[b.id][2] for b in columns[column]) + COLUMN_GAP
    return placed


def _header_height(picture: Picture) -> float:
    rows = 1 + (picture.warning is not None) + bool(picture.legend)
    return rows * (LINE_HEIGHT + 6) + 8


def _legend_width(picture: Picture) -> float:
    return sum(22 + _text_width(clean(label)) + 18 for _, label in picture.legend)


def _header_width(picture: Picture) -> float:
    texts = [_text_width(clean(picture.heading, 200), bold=True) * 1.15]
    if picture.warning is not None:
        texts.append(_text_width(clean(picture.warning, 200), bold=True))
    return max([*texts, _legend_width(picture)])


def _header(root: ET.Element, picture: Picture) -> None:
    y = MARGIN + LINE_HEIGHT
    heading = {"x": str(MARGIN), "y": str(y), "font-size": "15", "font-weight": "bold"}
    ET.SubElement(root, "text", heading).text = clean(picture.heading, 200)
    if picture.warning is not None:
        y += LINE_HEIGHT + 6
        attributes = {"x": str(MARGIN), "y": str(y), "font-weight": "bold", "fill": WARNING_INK}
        ET.SubElement(root, "text", attributes).text = clean(picture.warning, 200)
    if picture.legend:
        y += LINE_HEIGHT + 6
        x = float(MARGIN)
        for mark, label in picture.legend:
            fill, stroke, _ = MARKS[mark]
            swatch = {"x": _number(x), "y": str(y - 12), "width": "16", "height": "14"}
            swatch |= {"rx": "3", "fill": fill, "stroke": stroke, "stroke-width": "2"}
            ET.SubElement(root, "rect", swatch)
            text = clean(label)
            ET.SubElement(root, "text", {"x": _number(x + 22), "y": str(y)}).text = text
            x += 22 + _text_width(text) + 18


def _defs(root: ET.Element, ids: str) -> None:
    defs = ET.SubElement(root, "defs")
    marker = ET.SubElement(
        defs,
        "marker",
        {
            "id": f"{ids}-arrow",
            "viewBox": "0 0 10 10",
            "refX": "9",
            "refY": "5",
            "markerWidth": "7",
            "markerHeight": "7",
            "orient": "auto",
        },
    )
    ET.SubElement(marker, "path", {"d": "M0,0 L10,5 L0,10 z", "fill": MUTED})


def _arrows(
    root: ET.Element, arrows: Sequence[Arrow], placed: dict[str, _Placed], ids: str
) -> None:
    """One arrow per pair of boxes; the labels of several events between them joined."""
    labels: dict[tuple[str, str], list[str]] = {}
    for arrow in arrows:
        if arrow.source in placed and arrow.target in placed and arrow.source != arrow.target:
            found = labels.setdefault((arrow.source, arrow.target), [])
            if arrow.label and arrow.label not in found:
                found.append(arrow.label)
    group = ET.SubElement(root, "g", {"class": "arrows", "fill": "none"})
    for (source, target), words in labels.items():
        a, b = placed[source], placed[target]
        x1, y1 = a.x + a.width, a.y + a.height / 2
        x2, y2 = b.x, b.y + b.height / 2
        bend = (x2 - x1) / 2 if x2 > x1 else 60.0
        path = (
            f"M{_number(x1)},{_number(y1)} C{_number(x1 + bend)},{_number(y1)} "
            f"{_number(x2 - bend)},{_number(y2)} {_number(x2)},{_number(y2)}"
        )
        edge = {"d": path, "stroke": MUTED, "stroke-width": "1.5"}
        ET.SubElement(group, "path", edge | {"marker-end": f"url(#{ids}-arrow)"})
        if words:
            label = {
                "x": _number((x1 + x2) / 2),
                "y": _number((y1 + y2) / 2 - 4),
                "text-anchor": "middle",
                "font-size": str(LABEL_SIZE),
                "fill": MUTED,
                "stroke": "#ffffff",
                "stroke-width": "4",
                "paint-order": "stroke",
            }
            ET.SubElement(group, "text", label).text = clean(", ".join(words), MAX_LABEL_CHARS)


def _box(root: ET.Element, item: _Placed, element_id: str) -> None:
    box = item.box
    fill, stroke, stroke_width = MARKS[box.mark]
    attributes = {"id": element_id, "class": f"box {box.shape} {box.mark}"}
    group = ET.SubElement(root, "g", attributes | {"data-node": clean(box.id, 500)})
    # The whole text, uncut, as the box's tooltip and accessible name.
    ET.SubElement(group, "title").text = "\n".join(
        clean(t, 500) for t in (box.title, *box.lines) if t
    )
    rect = {
        "x": _number(item.x),
        "y": _number(item.y),
        "width": _number(item.width),
        "height": _number(item.height),
        "rx": CORNERS[box.shape],
        "fill": fill,
        "stroke": stroke,
        "stroke-width": stroke_width,
    }
    if box.shape == "unit":
        rect["stroke-dasharray"] = "6 3"
    ET.SubElement(group, "rect", rect)
    x = _number(item.x + PAD_X)
    y = item.y + PAD_Y + LINE_HEIGHT - 5
    ET.SubElement(group, "text", {"x": x, "y": _number(y), "font-weight": "bold"}).text = item.title
    for line in item.lines:
        y += LINE_HEIGHT
        ET.SubElement(group, "text", {"x": x, "y": _number(y), "fill": MUTED}).text = line
