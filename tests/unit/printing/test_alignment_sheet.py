"""The print margin test page: each label of the stock outlined where it lies on the sheet,
the stock named, and rulers counting millimetres from the paper's edges."""

from __future__ import annotations

import pytest
from pypdf.generic import ContentStream

from tests.unit.printing.sheets import MM, reader_of
from traceability.printing.alignment_sheet import alignment_sheet
from traceability.printing.layouts import A4, LAYOUTS, LabelLayout


def rectangles(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) in mm from the top-left of every rectangle drawn on page 1."""
    contents = reader_of(pdf).pages[0].get_contents()
    assert isinstance(contents, ContentStream)
    found = []
    for operands, operator in contents.operations:
        if operator == b"re":
            x, y, width, height = (float(v) / MM for v in operands)
            # fpdf2 draws from the bottom-left, y up: a negative height goes down the page.
            top = A4[1] - y if height < 0 else A4[1] - y - height
            found.append((round(x, 2), round(top, 2), round(width, 2), round(abs(height), 2)))
    return found


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_every_label_of_the_stock_is_outlined_where_it_lies(layout: LabelLayout) -> None:
    pdf = alignment_sheet(layout)
    assert len(reader_of(pdf).pages) == 1
    drawn = rectangles(pdf)
    for slot in range(layout.per_page):
        x, y = layout.origin(slot)
        assert (round(x, 2), round(y, 2), layout.width, layout.height) in drawn
        code_x, code_y = layout.code_box(slot)
        assert (round(code_x, 2), round(code_y, 2), layout.code, layout.code) in drawn


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_the_page_names_the_stock_and_says_how_to_print_it(layout: LabelLayout) -> None:
    text = reader_of(alignment_sheet(layout)).pages[0].extract_text()
    assert f"{layout.name}: {layout.stock}, {layout.width:g} x {layout.height:g} mm" in text
    assert "100%" in text and "Trang thử căn lề nhãn" in text
    assert "100 mm" in text
    numbers = {int(word) for word in text.split() if word.isdigit()}
    assert {10, 100, 200, 290} <= numbers  # the rulers' centimetres
