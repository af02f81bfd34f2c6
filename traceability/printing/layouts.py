"""Sheets of A4 label stock the label sheet is printed on: where each label is, in mm.

Each layout is one product sold by the big label makers (and by the many brands that copy
their sizes), measured from the page's top-left corner as their templates give them. A
layout also says how a label is shared between its code and its text: on a tall label the
text goes under the code; on a short one it goes beside it, since a code under which three
lines of text must fit would be too small to scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from traceability.errors import InvalidInput

A4: Final = (210.0, 297.0)  # width, height in mm
# A module (the side of one square of a code) under 0.375 mm is too small to promise a
# phone camera will read it: the least X-dimension the GS1 General Specifications allow a
# QR Code on a consumer unit, and about 4.4 dots of a 300 dpi printer.
MIN_MODULE_MM: Final = 0.375

LayoutName = Literal["3x8", "4x10", "5x13"]
LAYOUT_NAMES: Final[tuple[LayoutName, ...]] = get_args(LayoutName)
DEFAULT_LAYOUT: Final[LayoutName] = "3x8"


@dataclass(frozen=True, slots=True)
class LabelLayout:
    name: LayoutName
    stock: str  # the products this is the size of
    columns: int
    rows: int
    width: float  # of one label, mm
    height: float
    left: float  # page edge to the first column, mm
    top: float  # page edge to the first row, mm
    pitch_x: float  # left edge of a label to the left edge of the next one, mm
    pitch_y: float
    padding: float  # label edge to anything printed, mm
    code: float  # side of the code's square, quiet zone included, mm
    text_beside: bool  # the text to the right of the code rather than under it

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        """Top-left corner (x, y) in mm of label ``slot`` of a page, row by row."""
        return (
            self.left + (slot % self.columns) * self.pitch_x,
            self.top + (slot // self.columns) * self.pitch_y,
        )

    def code_box(self, slot: int) -> tuple[float, float]:
        """Top-left corner (x, y) of the code's square in label ``slot``."""
        x, y = self.origin(slot)
        if self.text_beside:
            return x + self.padding, y + (self.height - self.code) / 2
        return x + (self.width - self.code) / 2, y + self.padding

    def text_box(self, slot: int) -> tuple[float, float, float, float]:
        """(x, y, width, height) of the room for the text of label ``slot``."""
        x, y = self.origin(slot)
        inner_w, inner_h = self.width - 2 * self.padding, self.height - 2 * self.padding
        if self.text_beside:
            gap = self.padding
            return (
                x + self.padding + self.code + gap,
                y + self.padding,
                inner_w - self.code - gap,
                inner_h,
            )
        return x + self.padding, y + self.padding + self.code, inner_w, inner_h - self.code


LAYOUTS: Final[dict[LayoutName, LabelLayout]] = {
    # Avery Zweckform 3474: 70 x 37 mm, 24 a sheet, edge to edge (8 x 37 = 296 mm: the
    # last millimetre is shared above and below). Nothing is printed within 3 mm of a label's
    # edge, so the top and bottom rows stay clear of what most printers cannot reach.
    "3x8": LabelLayout(
        "3x8", "Avery Zweckform 3474", 3, 8, 70.0, 37.0, 0.0, 0.5, 70.0, 37.0, 3.0, 23.0, False
    ),
    # Avery Zweckform 4780: 48.5 x 25.4 mm, 40 a sheet, in columns that touch.
    "4x10": LabelLayout(
        "4x10", "Avery Zweckform 4780", 4, 10, 48.5, 25.4, 8.0, 21.5, 48.5, 25.4, 1.5, 22.4, True
    ),
    # Avery L7651 (J8651, and Avery Zweckform's 38.1 x 21.2 mm sheets): 65 a sheet, 2.5 mm
    # between columns, rounded corners.
    "5x13": LabelLayout(
        "5x13", "Avery L7651", 5, 13, 38.1, 21.2, 4.75, 10.7, 40.6, 21.2, 1.2, 18.8, True
    ),
}


def layout_named(name: str) -> LabelLayout:
    """The layout called ``name``; an unknown name is invalid input naming the choices."""
    for layout in LAYOUTS.values():
        if layout.name == name:
            return layout
    raise InvalidInput(
        f"unknown label layout {name!r}; choose one of "
        + ", ".join(f"{n} ({LAYOUTS[n].stock}, {describe(LAYOUTS[n])})" for n in LAYOUT_NAMES),
        field="layout",
    )


def describe(layout: LabelLayout) -> str:
    """``"70 x 37 mm, 24 a page"``."""
    return f"{layout.width:g} x {layout.height:g} mm, {layout.per_page} a page"
