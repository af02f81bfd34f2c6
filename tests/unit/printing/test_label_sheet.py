"""Label sheets: the codes drawn on the page scan to their URIs; the serial ranges parse."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tests.unit.printing.test_qr import scan as scan_png
from traceability.errors import InvalidInput
from traceability.printing.label_sheet import (
    LABELS_PER_PAGE,
    MAX_LABELS,
    Label,
    label_sheet,
    parse_serials,
)
from traceability.printing.qr import QRMatrix, png_bytes, qr_matrix

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


def serial_labels(serials: list[str]) -> list[Label]:
    return [Label(BASE + s, ("(01) 08930000100013", "(10) L0001", f"(21) {s}")) for s in serials]


def test_each_code_on_the_sheet_scans_to_its_uri_with_its_serial_printed_under_it() -> None:
    labels = serial_labels([str(n) for n in range(1, LABELS_PER_PAGE + 4)])
    reader = PdfReader(io.BytesIO(label_sheet(labels)))
    assert len(reader.pages) == 2
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == pytest.approx(A4_POINTS, abs=0.01)
    first, second = drawn_codes(reader, 0), drawn_codes(reader, 1)
    assert (len(first), len(second)) == (LABELS_PER_PAGE, 3)
    for code, label in zip(first + second, labels, strict=True):
        assert scan(code.rows) == label.uri
        assert code.rows == qr_matrix(label.uri).rows
    text = "\n".join(page.extract_text() for page in reader.pages)
    for label in labels:
        assert label.caption[2] in text.splitlines()
    assert "(10) L0001" in text and "(01) 08930000100013" in text


def test_codes_sit_in_a_grid_inside_the_page_each_about_3_cm_with_its_quiet_zone() -> None:
    codes = drawn_codes(PdfReader(io.BytesIO(label_sheet(serial_labels(["1"] * 24)))), 0)
    mm = 72 / 25.4
    for code in codes:
        side = (len(code.rows) + 8) * code.module  # quiet zone of 4 modules each side
        assert 30 * mm < side < 34 * mm
        assert code.left - 4 * code.module > 0 and code.left + side < A4_POINTS[0]
        assert code.top - side > 0 and code.top + 4 * code.module < A4_POINTS[1]
    assert len({(round(c.left), round(c.top)) for c in codes}) == LABELS_PER_PAGE


def test_no_labels_still_makes_a_valid_one_page_pdf() -> None:
    assert len(PdfReader(io.BytesIO(label_sheet([]))).pages) == 1


def test_a_caption_over_three_lines_is_refused() -> None:
    with pytest.raises(ValueError, match="caption"):
        label_sheet([Label(BASE + "1", ("a", "b", "c", "d"))])


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
