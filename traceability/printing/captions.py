"""The text of a label fitted to its box: the product's name wrapped at spaces and shrunk until
the name and the keys (lot, serial) all fit, and never drawn past the box.

The keys are what a person copies when a code will not scan, so they are always printed
whole (wrapped if a 20-character lot is wider than a small label). Only a name too long for
the box at the smallest size is cut, its last line ending in an ellipsis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, WrapMode

from traceability.printing.fonts import use_label_font

NAME_SIZE: Final = 7.0  # points: the product's name, when there is room
KEY_SIZE: Final = 6.0  # points: the lot and serial lines, when there is room
SMALLEST: Final = 4.5  # points: nothing is printed smaller (about 1.1 mm capital letters)
_STEP: Final = 0.5
_LEADING: Final = 1.15  # line height / font size
_MM_PER_PT: Final = 25.4 / 72
_ELLIPSIS: Final = "…"


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    size: float  # points

    @property
    def height(self) -> float:
        """mm"""
        return self.size * _LEADING * _MM_PER_PT


class CaptionFitter:
    """Fits the captions of one document. A sheet prints one product's name on every label:
    how a text wraps at a size is worked out once (fpdf2's line breaking is as slow as
    drawing a code)."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self._wrapped: dict[tuple[str, float, float, WrapMode], list[Line]] = {}

    def fit(self, name: str, keys: Sequence[str], width: float, height: float) -> list[Line]:
        """The lines to print in a ``width`` x ``height`` mm box, largest sizes that fit first."""
        size = NAME_SIZE
        while size >= SMALLEST:
            lines = self._wrap(name, size, width, WrapMode.WORD)
            for key in keys:
                lines += self._wrap(key, min(size, KEY_SIZE), width, WrapMode.CHAR)
            if sum(line.height for line in lines) <= height:
                return lines
            size -= _STEP
        key_lines = [
            line for key in keys for line in self._wrap(key, SMALLEST, width, WrapMode.CHAR)
        ]
        room = height - sum(line.height for line in key_lines)
        if room < 0:
            raise ValueError(f"the keys {list(keys)} do not fit a {width:g} x {height:g} mm label")
        name_lines = self._wrap(name, SMALLEST, width, WrapMode.WORD)
        kept = name_lines[: int(room // Line("", SMALLEST).height)]
        if kept and len(kept) < len(name_lines):
            kept[-1] = Line(_cut(self.pdf, kept[-1].text, width), SMALLEST)
        return kept + key_lines

    def _wrap(self, text: str, size: float, width: float, mode: WrapMode) -> list[Line]:
        if not text:
            return []
        known = self._wrapped.get((text, size, width, mode))
        if known is None:
            use_label_font(self.pdf, size)
            if self.pdf.get_string_width(text) <= width:
                known = [Line(text, size)]
            else:
                texts = self.pdf.multi_cell(
                    w=width, text=text, wrapmode=mode, dry_run=True, output=MethodReturnValue.LINES
                )
                assert isinstance(texts, list)  # what output=LINES returns
                known = [Line(t.strip(), size) for t in texts]
            self._wrapped[(text, size, width, mode)] = known
        return list(known)


def draw_caption(
    pdf: FPDF, lines: Sequence[Line], box: tuple[float, float, float, float], beside: bool
) -> None:
    """Under a code: centred, from the top of the box. Beside it: left-aligned, centred
    vertically."""
    x, y, width, height = box
    if beside:
        y += (height - sum(line.height for line in lines)) / 2
    for line in lines:
        use_label_font(pdf, line.size)
        pdf.set_xy(x, y)
        pdf.cell(w=width, h=line.height, text=line.text, align="L" if beside else "C")
        y += line.height


def _cut(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened until it and an ellipsis fit ``width`` mm."""
    while text and pdf.get_string_width(text + _ELLIPSIS) > width:
        text = text[:-1]
    return text.rstrip() + _ELLIPSIS
