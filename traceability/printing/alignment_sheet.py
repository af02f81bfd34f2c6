"""The print margin test page of a layout: one A4 page to print on plain paper and lay over a
sheet of labels against the light before wasting label stock.

It draws each label's outline, the square its code will fill and the room for its text
(dashed), millimetre rulers along the four page edges (the first mark a printer prints
shows how far from the edge it starts printing) and two 100 mm bars that show whether the
page was scaled ("fit to page") on its way to the printer.
"""

from __future__ import annotations

from typing import Final

from fpdf import FPDF

from traceability.printing.fonts import use_label_font
from traceability.printing.label_sheet import new_page_pdf
from traceability.printing.layouts import A4, LabelLayout, describe

_OUTLINE: Final = 0.25  # mm
_HAIRLINE: Final = 0.1  # mm
_DASH: Final = 1.0  # mm
_GREY: Final = 150
_BAR: Final = 100.0  # mm


def alignment_sheet(layout: LabelLayout) -> bytes:
    """A one-page A4 PDF: ``layout``'s labels outlined, with rulers and scale bars."""
    pdf = new_page_pdf(f"Label alignment test page, layout {layout.name}")
    pdf.add_page()
    for slot in range(layout.per_page):
        _draw_label(pdf, layout, slot)
    for edge in ("top", "bottom", "left", "right"):
        _draw_ruler(pdf, edge)
    _draw_instructions(pdf, layout)
    return bytes(pdf.output())


def _draw_label(pdf: FPDF, layout: LabelLayout, slot: int) -> None:
    x, y = layout.origin(slot)
    pdf.set_draw_color(0)
    pdf.set_line_width(_OUTLINE)
    pdf.rect(x, y, layout.width, layout.height)
    pdf.set_draw_color(_GREY)
    pdf.set_line_width(_HAIRLINE)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=_DASH, gap=_DASH)
        code_x, code_y = layout.code_box(slot)
        pdf.rect(code_x, code_y, layout.code, layout.code)
        pdf.rect(*layout.text_box(slot))
    use_label_font(pdf, 5)
    pdf.set_xy(x + 0.8, y + 0.8)
    pdf.cell(text=str(slot + 1))


def _draw_ruler(pdf: FPDF, edge: str) -> None:
    """A tick each millimetre from the page's ``edge`` inwards, numbered each centimetre."""
    width, height = A4
    along = width if edge in ("top", "bottom") else height
    pdf.set_draw_color(0)
    pdf.set_line_width(_HAIRLINE)
    use_label_font(pdf, 4.5)
    for mm in range(1, int(along)):
        tick = 5.0 if mm % 10 == 0 else 3.0 if mm % 5 == 0 else 1.5
        if edge in ("top", "bottom"):
            y0 = 0.0 if edge == "top" else height
            y1 = tick if edge == "top" else height - tick
            pdf.line(mm, y0, mm, y1)
            if mm % 10 == 0:
                pdf.set_xy(mm - 3, y1 if edge == "top" else y1 - 2)
                pdf.cell(w=6, h=2, text=str(mm), align="C")
        else:
            x0 = 0.0 if edge == "left" else width
            x1 = tick if edge == "left" else width - tick
            pdf.line(x0, mm, x1, mm)
            if mm % 10 == 0:
                pdf.set_xy(x1 + 0.5 if edge == "left" else x1 - 6.5, mm - 1)
                pdf.cell(w=6, h=2, text=str(mm), align="L" if edge == "left" else "R")


def _draw_instructions(pdf: FPDF, layout: LabelLayout) -> None:
    width, height = A4
    box_w, box_h = 150.0, 50.0
    x, y = (width - box_w) / 2, (height - box_h) / 2
    pdf.set_fill_color(255)
    pdf.set_draw_color(0)
    pdf.set_line_width(_OUTLINE)
    pdf.rect(x, y, box_w, box_h, style="DF")
    pdf.set_xy(x + 4, y + 3)
    use_label_font(pdf, 9)
    pdf.multi_cell(
        w=box_w - 8,
        h=4.2,
        text=f"Trang thử căn lề nhãn · Label alignment test\n"
        f"Bố cục / layout {layout.name}: {layout.stock}, {describe(layout)}",
        align="C",
    )
    use_label_font(pdf, 7)
    pdf.set_x(x + 4)
    pdf.multi_cell(w=box_w - 8, h=3.3, text=_INSTRUCTIONS, align="L")
    bar_x, bar_y = (width - _BAR) / 2, y + box_h - 7
    pdf.set_line_width(0.5)
    pdf.line(bar_x, bar_y, bar_x + _BAR, bar_y)
    for end in (bar_x, bar_x + _BAR):
        pdf.line(end, bar_y - 2, end, bar_y + 2)
    pdf.set_xy(bar_x, bar_y + 1)
    pdf.cell(w=_BAR, h=3, text="100 mm", align="C")
    # The same bar upright, beside the box: a printer may scale the two directions apart.
    upright_x, upright_y = x + box_w + 5, (height - _BAR) / 2
    pdf.line(upright_x, upright_y, upright_x, upright_y + _BAR)
    for end in (upright_y, upright_y + _BAR):
        pdf.line(upright_x - 2, end, upright_x + 2, end)


_INSTRUCTIONS: Final = (
    "In trang này trên giấy thường, tỉ lệ 100% (tắt “Vừa trang”). Đặt lên tờ nhãn, soi "
    "ngược sáng: mỗi khung phải trùng mép một nhãn, mã QR sẽ nằm trong ô vuông nét đứt. "
    "Thước ở mép giấy tính từ 0 mm: vạch đầu tiên in ra cho biết lề của máy in. "
    "Hai thanh dài đúng 100 mm: đo để biết trang có bị thu nhỏ.\n"
    "Print this page on plain paper at 100% (no “fit to page”). Lay it on a sheet of labels "
    "against the light: each outline must fall on a label's edges; the QR code will fill the "
    "dashed square. The rulers count from the paper's edge: the first mark printed shows "
    "your printer's margin. Both bars are exactly 100 mm long: measure them to see whether "
    "the page was scaled."
)
