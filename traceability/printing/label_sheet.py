"""Printable label sheets: A4 pages of QR codes on real label stock, each code with the
product's name and its keys (lot, serial) beside or under it, in a font that prints Vietnamese.

Where the labels are is the layout's (:mod:`traceability.printing.layouts`); how the text is
fitted, :mod:`traceability.printing.captions`. A code fills its layout's square; when that
would make its modules smaller than a phone reliably reads, the sheet is refused, naming a
larger layout, rather than printed unscannable.

The modules are drawn as vector rectangles, one per horizontal run of dark modules, all of a
code in one filled path drawn in module units under a scaling transform. One path per code
instead of one fill per rectangle keeps the page stream small and leaves no hairline seams
between rows in viewers that anti-alias each fill on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from fpdf import FPDF

from traceability.errors import InvalidInput
from traceability.identifiers.gs1 import validate_serial
from traceability.printing.captions import CaptionFitter, draw_caption
from traceability.printing.layouts import (
    DEFAULT_LAYOUT,
    LAYOUT_NAMES,
    LAYOUTS,
    MIN_MODULE_MM,
    LabelLayout,
    describe,
)
from traceability.printing.qr import QUIET_ZONE, ErrorCorrection, QRMatrix, dark_runs, qr_matrix

MAX_LABELS: Final = 5_000
_RANGE: Final = re.compile(r"([0-9]+)-([0-9]+)")


@dataclass(frozen=True, slots=True)
class Label:
    """One code: the URI it encodes, the keys printed with it (``"(10) L1"``) and the name
    of the product above them."""

    uri: str
    caption: tuple[str, ...] = ()
    name: str = ""


def new_page_pdf(title: str = "") -> FPDF:
    """An empty A4 document in millimetres, drawn where told (no automatic breaks)."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0)
    pdf.c_margin = 0
    pdf.set_creator("Traceability portal")
    if title:
        pdf.set_title(title)
    return pdf


def label_sheet(
    labels: Sequence[Label],
    *,
    layout: LabelLayout = LAYOUTS[DEFAULT_LAYOUT],
    ecc: ErrorCorrection = "M",
    title: str = "",
) -> bytes:
    """An A4 PDF of ``layout.per_page`` labels a page, left to right then top to bottom."""
    pdf = new_page_pdf(title)
    captions = CaptionFitter(pdf)
    if not labels:
        pdf.add_page()
    for i, label in enumerate(labels):
        slot = i % layout.per_page
        if slot == 0:
            pdf.add_page()
        x, y = layout.code_box(slot)
        _draw_code(pdf, _matrix(label.uri, ecc, layout), x, y, layout.code)
        box = layout.text_box(slot)
        lines = captions.fit(label.name, label.caption, box[2], box[3])
        draw_caption(pdf, lines, box, layout.text_beside)
    return bytes(pdf.output())


def _matrix(uri: str, ecc: ErrorCorrection, layout: LabelLayout) -> QRMatrix:
    """The code of ``uri``, if it fits ``layout``'s square with modules a phone reads."""
    matrix = qr_matrix(uri, ecc)
    modules = matrix.size + 2 * QUIET_ZONE
    if layout.code / modules < MIN_MODULE_MM:
        larger = [
            f"{n} ({describe(LAYOUTS[n])})"
            for n in LAYOUT_NAMES
            if LAYOUTS[n].code / modules >= MIN_MODULE_MM
        ]
        raise InvalidInput(
            f"the codes of these labels are {modules} modules wide (quiet zone included), "
            f"{layout.code / modules:.2f} mm each on {layout.name} labels "
            f"({describe(layout)}): under the {MIN_MODULE_MM} mm a phone reliably reads. "
            + (f"Choose layout {' or '.join(larger)}" if larger else "Use fewer characters")
            + (", or a lower error-correction level" if ecc != "L" else ""),
            field="layout",
        )
    return matrix


def _draw_code(pdf: FPDF, matrix: QRMatrix, left: float, top: float, side: float) -> None:
    """``matrix`` with its quiet zone in the ``side`` mm square at (left, top) mm."""
    module = side / (matrix.size + 2 * QUIET_ZONE) * pdf.k  # points
    x = (left * pdf.k) + QUIET_ZONE * module
    y = (pdf.h - top) * pdf.k - QUIET_ZONE * module  # PDF y grows upwards
    runs = " ".join(f"{c} {r} {length} 1 re" for r, c, length in dark_runs(matrix))
    # fpdf2 has no public call for a raw path; rect() would emit one fill per rectangle.
    pdf._out(f"q 0 g {module:.4f} 0 0 {-module:.4f} {x:.3f} {y:.3f} cm {runs} f Q")


def parse_serials(spec: str, limit: int = MAX_LABELS) -> list[str]:
    """Serial numbers from ``"1-500"``, ``"0001-0500"`` or ``"7,9,20-30,AB12"``, in order.

    A range ``A-B`` of digits counts from A to B, each number zero-padded to the width of A;
    anything else between commas is one serial as it is. Repeats are dropped.
    """
    items = [item.strip() for item in spec.split(",")]
    if not spec.strip() or not all(items):
        raise InvalidInput(
            f"serials {spec!r} must be ranges like 1-500 or serials, separated by commas",
            field="serials",
        )
    counted = 0
    parsed: list[tuple[int, int, int] | str] = []
    for item in items:
        match = _RANGE.fullmatch(item)
        if match is None:
            parsed.append(validate_serial(item))
            counted += 1
        else:
            first, last = int(match[1]), int(match[2])
            if last < first:
                raise InvalidInput(f"range {item!r} ends before it starts", field="serials")
            parsed.append((first, last, len(match[1])))
            counted += last - first + 1
        if counted > limit:
            raise InvalidInput(
                f"serials {spec!r} name more than {limit:,} labels; print them in parts",
                field="serials",
            )
    serials: dict[str, None] = {}
    for part in parsed:
        if isinstance(part, str):
            serials[part] = None
        else:
            first, last, width = part
            for number in range(first, last + 1):
                serials[validate_serial(str(number).zfill(width))] = None
    return list(serials)
