"""Label stock layouts: every label lies on the A4 page and apart from its neighbours, and
its code and text stay inside the label's printable part."""

from __future__ import annotations

import itertools

import pytest

from traceability.errors import InvalidInput
from traceability.printing.layouts import (
    A4,
    DEFAULT_LAYOUT,
    LAYOUT_NAMES,
    LAYOUTS,
    LabelLayout,
    layout_named,
)

# The stock each layout reproduces: columns x rows, label width x height in mm.
STOCK = {
    "3x8": (3, 8, 70.0, 37.0),
    "4x10": (4, 10, 48.5, 25.4),
    "5x13": (5, 13, 38.1, 21.2),
}


def test_the_layouts_are_the_common_a4_stocks_named_by_columns_and_rows() -> None:
    assert tuple(LAYOUTS) == LAYOUT_NAMES == tuple(STOCK)
    assert DEFAULT_LAYOUT in LAYOUTS
    for name, layout in LAYOUTS.items():
        assert layout.name == name
        assert (layout.columns, layout.rows, layout.width, layout.height) == STOCK[name]
        assert layout.per_page == layout.columns * layout.rows


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_labels_lie_on_the_page_without_overlapping(layout: LabelLayout) -> None:
    width, height = A4
    corners = [layout.origin(slot) for slot in range(layout.per_page)]
    for x, y in corners:
        assert x >= 0 and x + layout.width <= width + 1e-9
        assert y >= 0 and y + layout.height <= height + 1e-9
    for (x1, y1), (x2, y2) in itertools.combinations(corners, 2):
        apart_x = x1 + layout.width <= x2 + 1e-9 or x2 + layout.width <= x1 + 1e-9
        apart_y = y1 + layout.height <= y2 + 1e-9 or y2 + layout.height <= y1 + 1e-9
        assert apart_x or apart_y
    # The margins left and right, and above and below, are equal: the sheet is centred.
    last_x, last_y = corners[-1]
    assert width - (last_x + layout.width) == pytest.approx(corners[0][0], abs=0.05)
    assert height - (last_y + layout.height) == pytest.approx(corners[0][1], abs=0.05)


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_code_and_text_stay_within_the_padding_and_apart(layout: LabelLayout) -> None:
    for slot in (0, layout.per_page - 1):
        x, y = layout.origin(slot)
        inside = (x + layout.padding, y + layout.padding)
        outside = (x + layout.width - layout.padding, y + layout.height - layout.padding)
        code_x, code_y = layout.code_box(slot)
        text_x, text_y, text_w, text_h = layout.text_box(slot)
        for left, top, right, bottom in (
            (code_x, code_y, code_x + layout.code, code_y + layout.code),
            (text_x, text_y, text_x + text_w, text_y + text_h),
        ):
            assert inside[0] - 1e-9 <= left < right <= outside[0] + 1e-9
            assert inside[1] - 1e-9 <= top < bottom <= outside[1] + 1e-9
        if layout.text_beside:
            assert code_x + layout.code < text_x
        else:
            assert code_y + layout.code <= text_y


def test_an_unknown_layout_is_invalid_input_listing_the_choices() -> None:
    assert layout_named("4x10") is LAYOUTS["4x10"]
    with pytest.raises(InvalidInput) as refused:
        layout_named("A4")
    assert refused.value.field == "layout"
    for name, layout in LAYOUTS.items():
        assert f"{name} ({layout.stock}" in refused.value.message
