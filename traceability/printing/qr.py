"""QR codes of GS1 Digital Link URIs: the module matrix, a 1-bit PNG and an SVG.

The ``qrcode`` library picks the mask pattern by building the whole symbol eight times and
scoring each with a pure-Python pass over every module: 4-5 ms a code here. This module builds
the symbol once, with mask 0, and derives the other seven: XOR-ing two masked symbols of one
version and level gives a difference that does not depend on the data (only the mask and the
format information differ), so it is taken once per version and level from symbols of empty
data. Each candidate is scored with the ISO/IEC 18004 penalty rules N1-N4, computed as
``qrcode`` computes them (a test holds the two equal), but as bit operations on one big integer
holding the whole symbol: each row is followed by a guard bit that is neither dark nor light,
so no run or pattern spans two rows; once by rows and once by columns.

The mask of lowest penalty is chosen, as the standard asks, scored on the complete symbol with
its format information, as ZXing's encoder and Nayuki's generator score it. ``qrcode`` scores
with the format information left light, so the two often pick different masks; any mask is
legal and every reader decodes all eight.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

import qrcode
from qrcode import constants
from qrcode.exceptions import DataOverflowError

from traceability.errors import InvalidInput

ErrorCorrection = Literal["L", "M", "Q", "H"]
ERROR_CORRECTION_LEVELS: Final[tuple[ErrorCorrection, ...]] = ("L", "M", "Q", "H")
QUIET_ZONE: Final = 4  # modules of light margin ISO/IEC 18004 requires around a symbol

_LEVEL: Final = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}
_BITS: Final = bytes.maketrans(b"\x00\x01", b"01")
_DARK_RUN: Final = re.compile("1+")
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class QRMatrix:
    """A symbol without its quiet zone: ``rows[r][c]`` is ``"1"`` for a dark module."""

    rows: tuple[str, ...]
    version: int
    ecc: ErrorCorrection
    mask: int

    @property
    def size(self) -> int:
        return len(self.rows)


def qr_matrix(data: str, ecc: ErrorCorrection = "M") -> QRMatrix:
    """The smallest symbol holding ``data`` at level ``ecc``, with the best-scoring mask."""
    code = qrcode.QRCode(error_correction=_LEVEL[ecc], mask_pattern=0, border=0)
    code.add_data(data)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):  # qrcode says "version 41" for some overflows
        raise InvalidInput(
            f"{len(data.encode())} bytes are more than a QR code holds at level {ecc}", field="data"
        ) from None
    modules: list[list[bool]] = code.modules
    n = len(modules)
    by_rows = _pack(modules)
    by_cols = _pack(zip(*modules, strict=True))
    best_mask, best_score, best_rows = 0, -1, by_rows
    for mask, (row_diff, col_diff) in enumerate(_mask_differences(code.version, ecc)):
        rows, cols = by_rows ^ row_diff, by_cols ^ col_diff
        score = mask_penalty(rows, cols, n)
        if best_score < 0 or score < best_score:
            best_mask, best_score, best_rows = mask, score, rows
    text = format(best_rows, f"0{n * (n + 1)}b")
    return QRMatrix(
        tuple(text[r * (n + 1) : r * (n + 1) + n] for r in range(n)), code.version, ecc, best_mask
    )


def mask_penalty(rows: int, cols: int, n: int) -> int:
    """ISO/IEC 18004 penalty N1 + N2 + N3 + N4 of an n x n symbol packed by :func:`_pack`.

    ``rows`` and ``cols`` are the same symbol packed row by row and column by column.
    """
    valid = _valid_bits(n)
    stride = n + 1
    score = 0
    for dark in (rows, cols):
        light = dark ^ valid
        for same in (dark, light):
            # N1: a run of k >= 5 modules of one colour in a line scores 3 + (k - 5).
            five = same & same >> 1 & same >> 2 & same >> 3 & same >> 4  # k - 4 bits per run
            score += five.bit_count() + 2 * (five & ~(five >> 1)).bit_count()
        # N3: 1:1:3:1:1 (dark:light:dark:light:dark) with 4 light modules on one side, 40 each.
        core = dark & light >> 1 & dark >> 2 & dark >> 3 & dark >> 4 & light >> 5 & dark >> 6
        four = light & light >> 1 & light >> 2 & light >> 3
        score += 40 * ((core & four >> 7).bit_count() + (four & core >> 4).bit_count())
    light = rows ^ valid
    for same in (rows, light):
        # N2: every 2 x 2 block of one colour scores 3.
        block = same & same >> 1 & same >> stride & same >> (stride + 1)
        score += 3 * block.bit_count()
    # N4: 10 for each full 5 % the dark share departs from 50 %.
    total = n * n
    score += 10 * (abs(20 * rows.bit_count() - 10 * total) // total)
    return score


def symbol_penalty(modules: Sequence[Sequence[bool]]) -> int:
    """:func:`mask_penalty` of a symbol given as rows of modules (True: dark)."""
    return mask_penalty(_pack(modules), _pack(zip(*modules, strict=True)), len(modules))


def _pack(lines: Iterable[Sequence[bool]]) -> int:
    """The lines as one integer, each followed by a 0 guard bit, the first most significant."""
    return int(b"".join(bytes(line) + b"\x00" for line in lines).translate(_BITS), 2)


@cache
def _valid_bits(n: int) -> int:
    return int(("1" * n + "0") * n, 2)


@cache
def _mask_differences(version: int, ecc: ErrorCorrection) -> tuple[tuple[int, int], ...]:
    """For each mask k, (by rows, by columns) of symbol(mask k) XOR symbol(mask 0)."""
    packed = []
    for mask in range(8):
        code = qrcode.QRCode(
            version=version, error_correction=_LEVEL[ecc], mask_pattern=mask, border=0
        )
        code.make(fit=False)
        modules: list[list[bool]] = code.modules
        packed.append((_pack(modules), _pack(zip(*modules, strict=True))))
    base_rows, base_cols = packed[0]
    return tuple((rows ^ base_rows, cols ^ base_cols) for rows, cols in packed)


def dark_runs(matrix: QRMatrix) -> Iterator[tuple[int, int, int]]:
    """(row, column, length) of each horizontal run of dark modules, row by row."""
    for r, row in enumerate(matrix.rows):
        for run in _DARK_RUN.finditer(row):
            yield r, run.start(), run.end() - run.start()


def pixel_side(matrix: QRMatrix, scale: int, border: int = QUIET_ZONE) -> int:
    """Width (and height) in pixels of the image at ``scale`` pixels a module."""
    return (matrix.size + 2 * border) * scale


def png_bytes(matrix: QRMatrix, scale: int, border: int = QUIET_ZONE) -> bytes:
    """A 1-bit greyscale PNG, ``scale`` pixels a module, ``border`` modules of quiet zone."""
    side = pixel_side(matrix, scale, border)
    row_bytes = (side + 7) // 8
    padding = "1" * (row_bytes * 8 - side)
    quiet = "1" * (border * scale)
    # In a 1-bit greyscale PNG 0 is black: a dark module becomes `scale` zero bits.
    widen = {ord("1"): "0" * scale, ord("0"): "1" * scale}
    blank = (b"\x00" + b"\xff" * row_bytes) * (border * scale)  # 0: no PNG row filter
    lines = [blank]
    for row in matrix.rows:
        bits = quiet + row.translate(widen) + quiet + padding
        lines.append((b"\x00" + int(bits, 2).to_bytes(row_bytes, "big")) * scale)
    lines.append(blank)
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(lines), 6)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def svg_text(matrix: QRMatrix, scale: int, border: int = QUIET_ZONE) -> str:
    """An SVG in module units (scaled by ``width``/``height``): one path of the dark runs."""
    side = matrix.size + 2 * border
    path = "".join(
        f"M{c + border} {r + border}h{length}v1h-{length}z" for r, c, length in dark_runs(matrix)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side * scale}" '
        f'height="{side * scale}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>\n'
    )
