"""GS1 Digital Link: Compression, read back to the uncompressed URI.

The first example is the standard's own (``https://id.gs1.org/ARHKVAdpQg`` names GTIN
09780345418913); the others were written by GS1's compression prototype.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from traceability.errors import InvalidInput
from traceability.identifiers.compression import (
    SAFE_BASE64,
    compress_digital_link,
    decompress_digital_link,
    is_compressed_path,
    value_bits,
)
from traceability.identifiers.digital_link import DigitalLink


@pytest.mark.parametrize(
    ("compressed", "uncompressed"),
    [
        ("/ARHKVAdpQg", "/01/09780345418913"),
        (
            "/AREjalurbiAUO-cgohCz45Z67b8A",
            "/01/09421902960055/10/2010005828/21/xyz1234",
        ),
        ("/ARBAtOcq5CDWWcn9tpt19pq", "/01/08935049500018/10/LOT-2026-01"),
        ("/ARBAtOcq5CCNV4JGLn-N5CCjA5", "/01/08935049500018/10/ABC123/21/12345?17=261231"),
        ("/ARBAtOcq5EKNV5ve", "/01/08935049500018/21/ABCDEF"),
        # A non-GS1 key=value pair travels inside the compressed string.
        (
            "/ARBAtOcq5CAIAVEJNV5veRIRV4N-ihg22qw",
            "/01/08935049500018/22/2A/10/0042/21/abcdef?foo=bar",
        ),
    ],
)
def test_a_compressed_uri_reads_back_as_its_uncompressed_form(
    compressed: str, uncompressed: str
) -> None:
    assert decompress_digital_link(compressed).uncompressed == uncompressed


def test_an_optimisation_code_stands_for_a_gtin_and_its_lot() -> None:
    """Table Opt: the code 0B (hex nibbles 0 and B) is AI 01 followed by AI 10."""
    gtin = format(int("08935049500018"), f"0{value_bits(14)}b")
    lot = "011" + format(2, "05b") + "".join(format(SAFE_BASE64.index(c), "06b") for c in "L7")
    bits = "0000" + "1011" + gtin + lot
    bits += "0" * (-len(bits) % 6)
    text = "".join(SAFE_BASE64[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))
    assert decompress_digital_link(f"/{text}").link == DigitalLink("08935049500018", lot="L7")


def test_the_partly_compressed_form_keeps_the_gtin_readable() -> None:
    link = DigitalLink("08935049500018", lot="LOT-2026-01", serial="42")
    partly = compress_digital_link(link, keep_gtin=True)
    assert partly.startswith("/01/08935049500018/") and partly.count("/") == 3
    assert is_compressed_path(partly)
    assert decompress_digital_link(partly).uncompressed == "/01/08935049500018/10/LOT-2026-01/21/42"


@pytest.mark.parametrize(
    "link",
    [
        DigitalLink("09780345418913"),
        DigitalLink("08935049500018", lot="LOT-2026/01", serial="0007"),
        DigitalLink("08935049500018", cpv="2A", lot="abc", expiry=date(2027, 1, 31)),
        DigitalLink("08935049500018", serial="SN!1+2%3"),
    ],
)
def test_compression_round_trips(link: DigitalLink) -> None:
    compressed = compress_digital_link(link)
    assert is_compressed_path(compressed)
    assert decompress_digital_link(compressed).link == link


@pytest.mark.parametrize(
    ("path", "says"),
    [
        # The standard's example with AI 7003, which this resolver does not serve.
        ("/AQnYUc1gmiERBhQ0ytiyZuAGOLc1TXgpNWCv1", "does not serve"),
        ("/AREjalurbiAUO-cgohCz45", "ends inside a value"),
        ("/short", "not a compressed"),
        ("/01/08935049500018", "not a compressed"),
        ("/AAAAAAAAAAAAAAA", "AI starting 00"),
        (
            "/"
            + compress_digital_link(
                DigitalLink("08935049500018", lot="LOT-2026-0001"), keep_gtin=True
            )[19:],
            "names no GTIN",
        ),
    ],
)
def test_what_cannot_be_read_is_a_clear_invalid_input(path: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        decompress_digital_link(path)


def test_any_base64_string_decodes_or_is_an_invalid_input_never_a_crash() -> None:
    """A compressed path is whatever a stranger types: every failure is a 400, not a 500."""
    rng = random.Random(15)
    decoded = 0
    for _ in range(20_000):
        text = "".join(rng.choice(SAFE_BASE64) for _ in range(rng.randrange(10, 40)))
        if rng.random() < 0.5:
            text = "AR" + text[2:]  # starts like a GTIN, to reach deeper
        try:
            link = decompress_digital_link(f"/{text}")
        except InvalidInput:
            continue
        decoded += 1
        assert decompress_digital_link(compress_digital_link(link.link)).link == link.link
    assert decoded > 0
