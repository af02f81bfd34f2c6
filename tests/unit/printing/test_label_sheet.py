"""Label sheets: on each stock, every code scans from the printed page, every label reads the
product's Vietnamese name, lot and serial; the serial ranges parse."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tests.unit.printing.sheets import (
    MM,
    embedded_fonts,
    reader_of,
    scanned_codes,
    texts_by_label,
)
from tests.unit.printing.test_qr import scan as scan_png
from traceability.errors import InvalidInput
from traceability.printing.label_sheet import MAX_LABELS, Label, label_sheet, parse_serials
from traceability.printing.layouts import A4, LAYOUTS, MIN_MODULE_MM, LabelLayout
from traceability.printing.qr import QRMatrix, png_bytes

BASE = "https://truyxuat.example.vn/01/08930000100013/10/L0001/21/"
A4_POINTS = (595.28, 841.89)


@dataclass
class DrawnCode:
    left: float  # points from the page's left edge
    top: float  # points from the page's bottom edge (PDF space)
    module: float  # points
    rows: tuple[str, ...]


def drawn_codes(reader: PdfReader, page: int) -> list[DrawnCode]:
    """Each code on a page, rebuilt from its 'cm' transform and its 're' rectangles."""
    contents = reader.pages[page].get_contents()
    assert isinstance(contents, ContentStream)
    codes = []
    transform: list[float] | None = None
    runs: list[tuple[int, int, int]] = []
    for operands, operator in contents.operations:
        if operator == b"cm":
            transform = [float(v) for v in operands]
            runs = []
        elif operator == b"re" and transform is not None:
            x, y, width, height = (float(v) for v in operands)
            assert height == 1 and x == int(x) and y == int(y) and width == int(width)
            runs.append((int(y), int(x), int(width)))
        elif operator == b"Q" and transform is not None:
            module, _, _, flipped, left, top = transform
            assert flipped == -module
            size = max(r for r, _, _ in runs) + 1
            grid = [["0"] * size for _ in range(size)]
            for r, c, width in runs:
                grid[r][c : c + width] = ["1"] * width
            codes.append(DrawnCode(left, top, module, tuple("".join(row) for row in grid)))
            transform = None
    return codes


def scan(rows: tuple[str, ...]) -> str:
    """What a code drawn on a sheet reads as, from a PNG of exactly its modules."""
    text: str = scan_png(png_bytes(QRMatrix(rows, version=0, ecc="M", mask=0), 4)).text
    return text


RICE = "Gạo thơm ST25 Sóc Trăng – túi 5 kg"
COFFEE = "Cà phê rang xay Buôn Ma Thuột"
EVERY_STACKED_LETTER = "ắằẳẵặ ẮẰẲẴẶ ếềểễệ ẾỀỂỄỆ ốồổỗộ ỐỒỔỖỘ ớờởỡợ ỚỜỞỠỢ ứừửữự ỨỪỬỮỰ đĐ ơư ƠƯ"


def serial_labels(serials: list[str], names: tuple[str, ...] = (RICE,)) -> list[Label]:
    return [
        Label(BASE + s, ("(10) L0001", f"(21) {s}"), names[i % len(names)])
        for i, s in enumerate(serials)
    ]


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_a_sheet_has_one_scannable_code_per_label_of_its_stock(layout: LabelLayout) -> None:
    labels = serial_labels([f"{n:06d}" for n in range(layout.per_page + 3)], (RICE, COFFEE))
    pdf = label_sheet(labels, layout=layout)
    reader = reader_of(pdf)
    assert len(reader.pages) == 2
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == pytest.approx(A4_POINTS, abs=0.01)
    found = scanned_codes(pdf, 0)
    assert len(found) == layout.per_page
    assert sorted(code.text for code in found) == sorted(
        label.uri for label in labels[: layout.per_page]
    )
    assert sorted(code.text for code in scanned_codes(pdf, 1)) == [
        label.uri for label in labels[-3:]
    ]
    first, second = drawn_codes(reader, 0), drawn_codes(reader, 1)
    assert (len(first), len(second)) == (layout.per_page, 3)
    for code, label in zip(first + second, labels, strict=True):
        assert scan(code.rows) == label.uri


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_each_label_prints_the_vietnamese_name_then_lot_and_serial(layout: LabelLayout) -> None:
    labels = serial_labels([str(n) for n in range(layout.per_page)], (RICE, COFFEE))
    reader = reader_of(label_sheet(labels, layout=layout))
    texts = texts_by_label(reader, 0, layout)
    assert sorted(texts) == list(range(layout.per_page))
    for slot, label in enumerate(labels):
        *name, lot, serial = texts[slot]
        assert " ".join(name) == label.name  # wrapped at spaces, never cut
        assert (lot, serial) == label.caption


def test_the_sheet_embeds_a_font_with_every_vietnamese_letter() -> None:
    labels = [Label(BASE + "1", ("(10) L0001",), EVERY_STACKED_LETTER)]
    reader = reader_of(label_sheet(labels, layout=LAYOUTS["3x8"]))
    assert embedded_fonts(reader) == {"NotoSans"}
    *name, _ = texts_by_label(reader, 0, LAYOUTS["3x8"])[0]
    assert " ".join(name) == EVERY_STACKED_LETTER
    assert "?" not in reader.pages[0].extract_text()


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_codes_keep_their_quiet_zone_on_the_label_and_a_readable_module(
    layout: LabelLayout,
) -> None:
    labels = serial_labels([str(n) for n in range(layout.per_page)])
    codes = drawn_codes(reader_of(label_sheet(labels, layout=layout)), 0)
    for slot, code in enumerate(codes):
        side = (len(code.rows) + 8) * code.module  # quiet zone of 4 modules each side
        left_mm, top_mm = code.left / MM - 4 * code.module / MM, A4[1] - (code.top / MM)
        top_mm -= 4 * code.module / MM
        x, y = layout.origin(slot)
        assert x + layout.padding <= left_mm + 0.001
        assert left_mm + side / MM <= x + layout.width - layout.padding + 0.001
        assert y + layout.padding <= top_mm + 0.001
        assert top_mm + side / MM <= y + layout.height - layout.padding + 0.001
        assert code.module / MM >= MIN_MODULE_MM


def test_a_name_too_long_for_the_label_is_cut_with_an_ellipsis_inside_its_box() -> None:
    layout = LAYOUTS["5x13"]
    name = " ".join([COFFEE] * 8)
    reader = reader_of(
        label_sheet([Label(BASE + "1", ("(10) L0001", "(21) 1"), name)], layout=layout)
    )
    *printed, lot, serial = texts_by_label(reader, 0, layout)[0]
    assert (lot, serial) == ("(10) L0001", "(21) 1")
    assert printed[-1].endswith("…")
    assert name.startswith(" ".join(printed)[:-1].rstrip())


def test_a_lot_of_twenty_characters_wraps_whole_on_the_smallest_labels() -> None:
    layout = LAYOUTS["5x13"]
    lot = "(10) ABCDEFGHIJKLMNOPQRST"
    reader = reader_of(label_sheet([Label(BASE + "1", (lot, "(21) 1"), RICE)], layout=layout))
    lines = texts_by_label(reader, 0, layout)[0]
    assert "".join(lines).replace(" ", "").find(lot.replace(" ", "")) >= 0


def test_codes_too_dense_for_the_labels_are_refused_naming_a_layout_that_fits() -> None:
    uri = BASE + "A" * 24  # version 8 at level H: 57 modules with the quiet zone
    fits = r"Choose layout 3x8 \(70 x 37 mm, 24 a page\) or 4x10"
    with pytest.raises(InvalidInput, match=fits) as refused:
        label_sheet([Label(uri)], layout=LAYOUTS["5x13"], ecc="H")
    assert refused.value.field == "layout"
    assert "0.375 mm" in refused.value.message
    label_sheet([Label(uri)], layout=LAYOUTS["3x8"], ecc="H")  # the larger stock takes it


def test_no_labels_still_makes_a_valid_one_page_pdf() -> None:
    assert len(PdfReader(io.BytesIO(label_sheet([]))).pages) == 1


@pytest.mark.parametrize(
    ("spec", "serials"),
    [
        ("1-5", ["1", "2", "3", "4", "5"]),
        ("0098-0101", ["0098", "0099", "0100", "0101"]),
        ("7, 9,20-22,AB12", ["7", "9", "20", "21", "22", "AB12"]),
        ("3-4,1-5", ["3", "4", "1", "2", "5"]),  # repeats dropped, first place kept
        ("42", ["42"]),
        (f"1-{MAX_LABELS}", [str(n) for n in range(1, MAX_LABELS + 1)]),
    ],
)
def test_serial_ranges_and_lists(spec: str, serials: list[str]) -> None:
    assert parse_serials(spec) == serials


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "separated by commas"),
        ("1-3,,4", "separated by commas"),
        ("5-1", "ends before it starts"),
        (f"1-{MAX_LABELS + 1}", f"more than {MAX_LABELS:,} labels"),
        ("1-4000,5000-6000", f"more than {MAX_LABELS:,} labels"),
        ("1-99999999999999999999999999", "more than"),  # refused before counting to it
        ("A B", "serial"),
        ("1" * 21, "serial"),
    ],
)
def test_bad_or_oversized_serial_specs_are_invalid_input(spec: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        parse_serials(spec)
    assert raised.value.field in ("serials", "serial")
