"""Compressed GS1 Digital Link URIs (GS1 Digital Link: Compression), read back to the
uncompressed form this resolver serves.

A compressed URI carries its element string as a bit string written in a URI-safe Base64
alphabet: ``https://id.gs1.org/ARHKVAdpQg`` is ``https://id.gs1.org/01/09780345418913``.
Each element starts with 8 bits: two decimal nibbles name an AI (``0001`` ``0001`` is AI 01),
a pair with a hex letter names an optimised sequence of AIs (``0B`` is 01 then 10), and a
leading ``F`` a key=value pair that is no AI. A fixed-length numeric value is a binary
integer; a variable-length value has a 3-bit encoding indicator, a length and its
characters in that encoding. The partly compressed form keeps the primary key readable:
``/01/{gtin}/{compressed qualifiers}``.

Only the AIs this resolver serves are read (GTIN 01 with its qualifiers 22, 10, 21 and the
expiry 17); any other AI is a clear InvalidInput, never a guess. Pure: no framework.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import (
    AI_CPV,
    AI_EXPIRY,
    AI_GTIN,
    AI_LOT,
    AI_SERIAL,
    DigitalLink,
    digital_link_path,
)
from traceability.identifiers.gs1 import parse_expiry

SAFE_BASE64: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_HEX: Final = "0123456789ABCDEF"
# A compressed segment: URI-safe Base64 only. The shortest element (a GTIN) takes 55 bits,
# so anything shorter than 10 characters is no compressed GTIN.
COMPRESSED_SEGMENT: Final = re.compile(r"[A-Za-z0-9_-]{10,}")
_PARTLY_COMPRESSED: Final = re.compile(r"/01/([0-9]{14})/([A-Za-z0-9_-]+)")


@dataclass(frozen=True, slots=True)
class _Fixed:
    """An all-numeric value of fixed length (Table F: ``E: N, L: n``)."""

    digits: int


@dataclass(frozen=True, slots=True)
class _Variable:
    """A value of up to ``max_length`` characters with an encoding indicator (``E: X, M: n``)."""

    max_length: int


# Table F, restricted to the AIs this resolver serves.
_VALUE_FORMATS: Final[dict[str, _Fixed | _Variable]] = {
    AI_GTIN: _Fixed(14),
    AI_EXPIRY: _Fixed(6),
    AI_LOT: _Variable(20),
    AI_SERIAL: _Variable(20),
    AI_CPV: _Variable(20),
}
# Table Opt: sequences of AIs one 8-bit code stands for (restricted as above).
_OPTIMISED: Final[dict[str, tuple[str, ...]]] = {
    "0A": (AI_GTIN, AI_CPV),
    "0B": (AI_GTIN, AI_LOT),
    "0C": (AI_GTIN, AI_SERIAL),
    "0D": (AI_GTIN, AI_EXPIRY),
    "1A": (AI_GTIN, AI_LOT, AI_SERIAL, AI_EXPIRY),
}


@dataclass(frozen=True, slots=True)
class DecompressedLink:
    """What a compressed URI names: the link and the query attributes it carried (the expiry
    is in ``link.expiry``; ``other`` are the key=value pairs that are no AI)."""

    link: DigitalLink
    other: tuple[tuple[str, str], ...]

    @property
    def uncompressed(self) -> str:
        """The canonical uncompressed path and query (``/01/…?17=…&k=v``)."""
        pairs: list[tuple[str, str]] = []
        if self.link.expiry is not None:
            pairs.append((AI_EXPIRY, self.link.expiry.strftime("%y%m%d")))
        pairs.extend(self.other)
        query = urlencode(pairs)
        return digital_link_path(self.link) + (f"?{query}" if query else "")


def value_bits(digits: int) -> int:
    """Bits of an all-numeric value of ``digits`` digits (the standard's ceil(n·log2(10)))."""
    return math.ceil(digits * math.log2(10) + 0.01)


def length_bits(max_length: int) -> int:
    """Bits of the length indicator of a value of up to ``max_length`` characters."""
    return math.ceil(math.log2(max_length) + 0.01)


def is_compressed_path(path: str) -> bool:
    """Whether ``path`` has the shape of a compressed Digital Link (its content is read by
    :func:`decompress_digital_link`)."""
    whole = path.startswith("/") and COMPRESSED_SEGMENT.fullmatch(path[1:]) is not None
    return whole or _PARTLY_COMPRESSED.fullmatch(path) is not None


def decompress_digital_link(path: str) -> DecompressedLink:
    """The link a compressed path names: ``/{compressed}`` or ``/01/{gtin}/{compressed}``."""
    partly = _PARTLY_COMPRESSED.fullmatch(path)
    if partly is not None:
        values, other = _read(_bits(partly.group(2)))
        if AI_GTIN in values:
            raise InvalidInput("the GTIN appears twice in a compressed Digital Link", field="uri")
        values[AI_GTIN] = partly.group(1)
    elif path.startswith("/") and COMPRESSED_SEGMENT.fullmatch(path[1:]):
        values, other = _read(_bits(path[1:]))
    else:
        raise InvalidInput(f"{path!r} is not a compressed GS1 Digital Link", field="uri")
    if AI_GTIN not in values:
        raise InvalidInput("the compressed Digital Link names no GTIN (AI 01)", field="uri")
    link = DigitalLink(
        gtin=values[AI_GTIN],
        lot=values.get(AI_LOT),
        serial=values.get(AI_SERIAL),
        cpv=values.get(AI_CPV),
        expiry=parse_expiry(values[AI_EXPIRY]) if AI_EXPIRY in values else None,
    )
    return DecompressedLink(link=link, other=tuple(other))


def _bits(text: str) -> str:
    try:
        return "".join(format(SAFE_BASE64.index(char), "06b") for char in text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not URI-safe Base64", field="uri") from None


class _Reader:
    def __init__(self, bits: str) -> None:
        self.bits = bits
        self.cursor = 0

    def take(self, count: int) -> str:
        if self.cursor + count > len(self.bits):
            raise InvalidInput("the compressed Digital Link ends inside a value", field="uri")
        taken = self.bits[self.cursor : self.cursor + count]
        self.cursor += count
        return taken

    def number(self, count: int) -> int:
        return int(self.take(count), 2) if count else 0

    def left(self) -> int:
        return len(self.bits) - self.cursor


def _read(bits: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The AI values and the other key=value pairs of a compressed bit string. What is left
    after the last element (fewer than 9 bits) is the padding to whole Base64 characters."""
    reader = _Reader(bits)
    values: dict[str, str] = {}
    other: list[tuple[str, str]] = []
    while reader.left() > 8:
        high, low = reader.number(4), reader.number(4)
        code = _HEX[high] + _HEX[low]
        if high <= 9 and low <= 9:
            ais: tuple[str, ...] = (code,)
        elif code in _OPTIMISED:
            ais = _OPTIMISED[code]
        elif high == 15:
            # Non-GS1 pair: the key's length is the code's low nibble and 3 more bits.
            key_length = (low << 3) | reader.number(3)
            key = "".join(SAFE_BASE64[reader.number(6)] for _ in range(key_length))
            other.append((key, _encoded_value(reader, 7)))
            continue
        else:
            raise InvalidInput(
                f"the compressed Digital Link uses the optimisation code {code}, "
                "which names AIs this resolver does not serve",
                field="uri",
            )
        for ai in ais:
            if ai not in _VALUE_FORMATS:
                raise InvalidInput(
                    f"the compressed Digital Link carries an AI starting {ai}, which this "
                    "resolver does not serve (it serves 01 with 22, 10, 21 and 17)",
                    field="uri",
                )
            if ai in values:
                raise InvalidInput(f"AI {ai} appears twice in the compressed link", field="uri")
            values[ai] = _value(reader, _VALUE_FORMATS[ai])
    return values, other


def _value(reader: _Reader, fmt: _Fixed | _Variable) -> str:
    if isinstance(fmt, _Fixed):
        return str(reader.number(value_bits(fmt.digits))).zfill(fmt.digits)
    return _encoded_value(reader, length_bits(fmt.max_length))


def _encoded_value(reader: _Reader, length_width: int) -> str:
    """A value written with a 3-bit encoding indicator and a length of ``length_width`` bits."""
    encoding = reader.number(3)
    length = reader.number(length_width)
    if encoding == 0:  # all digits, as one binary integer
        return str(reader.number(value_bits(length))).zfill(length) if length else ""
    if encoding in (1, 2):  # hexadecimal, lower then upper case
        text = "".join(_HEX[reader.number(4)] for _ in range(length))
        return text.lower() if encoding == 1 else text
    if encoding == 3:  # URI-safe Base64 characters
        return "".join(SAFE_BASE64[reader.number(6)] for _ in range(length))
    if encoding == 4:  # 7-bit ASCII
        return "".join(chr(reader.number(7)) for _ in range(length))
    raise InvalidInput(f"unknown encoding indicator {encoding} in a compressed link", field="uri")


def compress_digital_link(link: DigitalLink, *, keep_gtin: bool = False) -> str:
    """The compressed path of ``link`` (``/ARHKVAdpQg``): each AI in turn, no optimisation
    code, each value in the smallest encoding that holds it. Its expiry goes in too.
    ``keep_gtin`` gives the partly compressed form ``/01/{gtin}/{compressed qualifiers}``."""
    bits: list[str] = []
    for ai, value in (
        (AI_GTIN, None if keep_gtin else link.gtin),
        (AI_CPV, link.cpv),
        (AI_LOT, link.lot),
        (AI_SERIAL, link.serial),
        (AI_EXPIRY, link.expiry.strftime("%y%m%d") if link.expiry else None),
    ):
        if value is None:
            continue
        bits.append("".join(format(int(digit), "04b") for digit in ai))
        fmt = _VALUE_FORMATS[ai]
        if isinstance(fmt, _Fixed):
            bits.append(format(int(value), f"0{value_bits(fmt.digits)}b"))
        else:
            bits.append(_encode_value(value, length_bits(fmt.max_length)))
    joined = "".join(bits)
    joined += "0" * (-len(joined) % 6)
    text = "".join(SAFE_BASE64[int(joined[i : i + 6], 2)] for i in range(0, len(joined), 6))
    return f"/01/{link.gtin}/{text}" if keep_gtin else f"/{text}"


def _encode_value(value: str, length_width: int) -> str:
    length = format(len(value), f"0{length_width}b")
    # Numeric only without a leading zero: a decoder that reads the number back may drop it.
    if value.isdigit() and value.isascii() and not value.startswith("0"):
        return "000" + length + format(int(value), f"0{value_bits(len(value))}b")
    if all(char in "0123456789abcdef" for char in value):
        return "001" + length + "".join(format(_HEX.index(c.upper()), "04b") for c in value)
    if all(char in _HEX for char in value):
        return "010" + length + "".join(format(_HEX.index(c), "04b") for c in value)
    if all(char in SAFE_BASE64 for char in value):
        return "011" + length + "".join(format(SAFE_BASE64.index(c), "06b") for c in value)
    if value.isascii():
        return "100" + length + "".join(format(ord(c), "07b") for c in value)
    raise InvalidInput(
        f"{value!r} holds characters outside 7-bit ASCII, which compression cannot carry",
        field="uri",
    )
