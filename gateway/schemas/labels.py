"""Query parameters of the label sheets: which label stock to print on."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query

from traceability.printing.layouts import LAYOUT_NAMES, LAYOUTS, LayoutName, describe

LAYOUT_TEXT: Final = "the A4 label stock to print on, columns x rows: " + "; ".join(
    f"{n}: {LAYOUTS[n].stock}, {describe(LAYOUTS[n])}" for n in LAYOUT_NAMES
)

LayoutQuery = Annotated[LayoutName, Query(description=LAYOUT_TEXT)]
