"""Printable label sheets: A4 pages of QR codes, each with its human-readable lines beneath.

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
from traceability.printing.qr import QUIET_ZONE, ErrorCorrection, dark_runs, qr_matrix

MAX_LABELS: Final = 5_000
COLUMNS: Final = 4
ROWS: Final = 6
LABELS_PER_PAGE: Final = COLUMNS * ROWS
CAPTION_LINES: Final = 3

_PAGE_W, _PAGE_H, _MARGIN = 210.0, 297.0, 10.0  # A4, millimetres
_CELL_W: Final = (_PAGE_W - 2 * _MARGIN) / COLUMNS
_CELL_H: Final = (_PAGE_H - 2 * _MARGIN) / ROWS
_SYMBOL: Final = 32.0  # side of a code with its quiet zone, mm
_TOP: Final = 1.5  # space above a code in its cell, mm
_LINE_H: Final = 3.2  # caption line height, mm (7 pt text)
_RANGE: Final = re.compile(r"([0-9]+)-([0-9]+)")


@dataclass(frozen=True, slots=True)
class Label:
    """One code: the URI it encodes and up to three short lines printed under it."""

    uri: str
    caption: tuple[str, ...] = ()


def label_sheet(labels: Sequence[Label], *, ecc: ErrorCorrection = "M", title: str = "") -> bytes:
    """An A4 PDF, ``LABELS_PER_PAGE`` labels a page, left to right then top to bottom."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(_MARGIN, _MARGIN)
    pdf.set_creator("Traceability portal")
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=7)
    if not labels:
        pdf.add_page()
    for i, label in enumerate(labels):
        if len(label.caption) > CAPTION_LINES:
            raise ValueError(f"a label has room for {CAPTION_LINES} caption lines")
        slot = i % LABELS_PER_PAGE
        if slot == 0:
            pdf.add_page()
        x = _MARGIN + (slot % COLUMNS) * _CELL_W
        y = _MARGIN + (slot // COLUMNS) * _CELL_H
        _draw_code(pdf, label.uri, ecc, x + (_CELL_W - _SYMBOL) / 2, y + _TOP)
        for n, line in enumerate(label.caption):
            pdf.set_xy(x, y + _TOP + _SYMBOL + n * _LINE_H)
            # The core fonts are Latin-1; GS1 keys and set-82 values always are.
            text = line.encode("latin-1", "replace").decode("latin-1")
            pdf.cell(w=_CELL_W, h=_LINE_H, text=text, align="C")
    return bytes(pdf.output())


def _draw_code(pdf: FPDF, uri: str, ecc: ErrorCorrection, left: float, top: float) -> None:
    """The code of ``uri`` with its quiet zone in the ``_SYMBOL`` square at (left, top) mm."""
    matrix = qr_matrix(uri, ecc)
    module = _SYMBOL / (matrix.size + 2 * QUIET_ZONE) * pdf.k  # points
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
