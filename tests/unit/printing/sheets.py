"""Reading a printed PDF back as a person with a phone would: the codes found on a rendered
page, the text printed on each label, the fonts the file carries."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from traceability.printing.layouts import A4, LabelLayout

MM = 72 / 25.4  # points in a millimetre
PRINTER_DPI = 300


def scanned_codes(pdf: bytes, page: int = 0) -> list[zxingcpp.Barcode]:
    """Every QR code zxing-cpp finds on ``page`` rendered in grey at a laser printer's 300 dpi."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=PRINTER_DPI / 72, grayscale=True).to_pil()
    finally:
        document.close()
    return list(zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))


def texts_by_label(reader: PdfReader, page: int, layout: LabelLayout) -> dict[int, list[str]]:
    """The lines of text drawn inside each label of a page (by slot), top to bottom."""
    found: dict[int, list[str]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if not text.strip():
            return
        x_mm, y_mm = tm[4] / MM, A4[1] - tm[5] / MM  # fpdf2 draws text unscaled (cm = 1)
        for slot in range(layout.per_page):
            left, top = layout.origin(slot)
            if left <= x_mm <= left + layout.width and top <= y_mm <= top + layout.height:
                found.setdefault(slot, []).append(text.strip())
                return
        raise AssertionError(f"{text!r} at ({x_mm:.1f}, {y_mm:.1f}) mm is on no label")

    reader.pages[page].extract_text(visitor_text=visit)
    return found


def embedded_fonts(reader: PdfReader) -> set[str]:
    """Base names of the fonts whose files the PDF carries (subset prefixes removed)."""
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor_of = descendants[0].get_object() if descendants else font
            descriptor = descriptor_of["/FontDescriptor"].get_object()
            if "/FontFile2" in descriptor:
                names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    return names


def reader_of(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))
