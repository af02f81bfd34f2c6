"""QR codes: they scan back to the URI, the fast mask choice is the standard's, SVG = PNG."""

from __future__ import annotations

import io
import re
from typing import Any, cast

import png
import pytest
import qrcode
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from qrcode import constants, util

from bench import qr as bench_qr
from traceability.errors import InvalidInput
from traceability.printing.qr import (
    ERROR_CORRECTION_LEVELS,
    QUIET_ZONE,
    ErrorCorrection,
    pixel_side,
    png_bytes,
    qr_matrix,
    svg_text,
    symbol_penalty,
)

URI = "https://truyxuat.example.vn/01/08930000100013/10/ST25-2611%2FA/21/000123"
LEVELS = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}


def scan(png_data: bytes) -> zxingcpp.Barcode:
    found = zxingcpp.read_barcode(Image.open(io.BytesIO(png_data)).convert("L"))
    assert found is not None, "the code does not scan"
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    return found


def png_modules(png_data: bytes, scale: int) -> set[tuple[int, int]]:
    """Dark modules (row, column) of a PNG, quiet zone included, sampled at module centres."""
    width, _, pixels, info = png.Reader(bytes=png_data).read()
    assert (info["bitdepth"], info["greyscale"]) == (1, True)
    rows = list(pixels)
    return {
        (r, c)
        for r in range(width // scale)
        for c in range(width // scale)
        if rows[r * scale + scale // 2][c * scale + scale // 2] == 0
    }


def svg_modules(svg: str) -> set[tuple[int, int]]:
    (path,) = re.findall(r'<path fill="#000" d="([^"]*)"', svg)
    dark: set[tuple[int, int]] = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path):
        dark.update((int(y), int(x) + i) for i in range(int(width)))
    assert len(re.findall("M", path)) == len(re.findall(r"M\d+ \d+h\d+v1h-\d+z", path))
    return dark


def qrcode_symbol(data: str, ecc: ErrorCorrection, mask: int) -> list[list[bool]]:
    """The symbol the qrcode library builds itself, with a given mask."""
    code = qrcode.QRCode(error_correction=LEVELS[ecc], mask_pattern=mask, border=0)
    code.add_data(data)
    code.make(fit=True)
    modules: list[list[bool]] = code.modules
    return modules


@pytest.mark.parametrize("ecc", ERROR_CORRECTION_LEVELS)
def test_the_png_scans_back_to_exactly_the_uri_at_every_level(ecc: ErrorCorrection) -> None:
    matrix = qr_matrix(URI, ecc)
    found = scan(png_bytes(matrix, 4))
    assert found.text == URI
    assert found.ec_level == ecc
    extra = cast(dict[str, Any], found.extra)
    assert extra["DataMask"] == matrix.mask
    assert int(extra["Version"]) == matrix.version


def test_a_higher_level_needs_a_larger_symbol_for_the_same_uri() -> None:
    sizes = [qr_matrix(URI, ecc).size for ecc in ERROR_CORRECTION_LEVELS]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


@pytest.mark.parametrize("scale", [1, 3, 8])
def test_size_is_pixels_a_module_with_a_four_module_quiet_zone(scale: int) -> None:
    matrix = qr_matrix(URI)
    data = png_bytes(matrix, scale)
    width, height, _, _ = png.Reader(bytes=data).read()
    assert width == height == pixel_side(matrix, scale) == (matrix.size + 8) * scale
    dark = png_modules(data, scale)
    side = matrix.size + 2 * QUIET_ZONE
    assert all(QUIET_ZONE <= r < side - QUIET_ZONE for r, _ in dark)
    assert all(QUIET_ZONE <= c < side - QUIET_ZONE for _, c in dark)
    assert scan(data).text == URI


def test_the_svg_has_exactly_the_modules_of_the_png() -> None:
    matrix = qr_matrix(URI, "H")
    svg = svg_text(matrix, 5)
    assert svg_modules(svg) == png_modules(png_bytes(matrix, 5), 5)
    side = (matrix.size + 8) * 5
    assert f'width="{side}" height="{side}"' in svg
    assert svg.count("<path") == 1


@pytest.mark.parametrize(
    ("data", "ecc"),
    [
        (URI, "M"),
        ("https://truyxuat.example.vn/01/08930000100013/10/L1", "L"),
        ("x" * 200, "Q"),  # version >= 7: version information blocks in the symbol
        ("HTTPS://ID.GS1.ORG/01/08930000100013", "H"),  # alphanumeric mode
    ],
)
def test_the_symbol_is_the_one_qrcode_builds_with_the_mask_of_lowest_penalty(
    data: str, ecc: ErrorCorrection
) -> None:
    matrix = qr_matrix(data, ecc)
    penalties = []
    for mask in range(8):
        modules = qrcode_symbol(data, ecc, mask)
        # The bit-parallel score equals qrcode's module-by-module one on the whole symbol.
        score = symbol_penalty(modules)
        assert score == util.lost_point(modules)
        penalties.append(score)
    assert matrix.mask == penalties.index(min(penalties))
    expected = qrcode_symbol(data, ecc, matrix.mask)
    assert matrix.rows == tuple("".join("1" if m else "0" for m in row) for row in expected)


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=120), st.sampled_from("LMQH"))
def test_any_text_gives_qrcodes_symbol_and_qrcodes_penalties(text: str, ecc: str) -> None:
    level: ErrorCorrection = ecc  # type: ignore[assignment]
    matrix = qr_matrix(text, level)
    modules = qrcode_symbol(text, level, matrix.mask)
    assert matrix.rows == tuple("".join("1" if m else "0" for m in row) for row in modules)
    for mask in range(8):
        other = qrcode_symbol(text, level, mask)
        assert symbol_penalty(other) == util.lost_point(other)


def test_png_is_a_valid_file_pil_reads_too() -> None:
    image = Image.open(io.BytesIO(png_bytes(qr_matrix(URI), 2)))
    image.load()
    assert image.mode == "1"


def test_data_no_symbol_holds_is_invalid_input_not_a_crash() -> None:
    with pytest.raises(InvalidInput, match="more than a QR code holds at level H"):
        qr_matrix("x" * 1_300, "H")


def test_the_benchmark_runs_at_toy_size(capsys: pytest.CaptureFixture[str]) -> None:
    """bench/qr.py at toy size, so the script cannot rot (no timing asserts)."""
    assert bench_qr.main(["--runs", "1", "--codes", "4"]) == 0
    assert "bench.qr: matrix" in capsys.readouterr().out
