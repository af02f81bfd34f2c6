"""C2SP tlog-proof (c2sp.org/tlog-proof), written and read as the spec's text says."""

from __future__ import annotations

import base64
import hashlib

import pytest

from traceability.errors import InvalidInput
from traceability.log.tlog_proof import TlogProof, parse_tlog_proof

CHECKPOINT = (
    "example.com/log\n3\nq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n\n— example.com/log AAAA\n"
)
PATH = tuple(hashlib.sha256(bytes([i])).digest() for i in range(3))


def test_the_text_is_header_index_path_blank_line_and_the_checkpoint_verbatim() -> None:
    text = TlogProof(73894, PATH, CHECKPOINT).text()
    lines = text.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    assert lines[1] == "index 73894"
    # One standard-base64 SHA-256 hash a line, the leaf's sibling first.
    assert lines[2:5] == [base64.b64encode(node).decode() for node in PATH]
    assert lines[5] == ""
    assert text.endswith("\n\n" + CHECKPOINT)


def test_extra_data_is_the_second_line_and_reads_back() -> None:
    proof = TlogProof(0, (), CHECKPOINT, extra=b"context")
    assert proof.text().split("\n")[1] == "extra Y29udGV4dA=="
    assert parse_tlog_proof(proof.text()) == proof


@pytest.mark.parametrize("index", [0, 1, 2**63 - 1])
def test_a_proof_reads_back_as_written(index: int) -> None:
    proof = TlogProof(index, PATH, CHECKPOINT)
    assert parse_tlog_proof(proof.text()) == proof


@pytest.mark.parametrize(
    "text",
    [
        "c2sp.org/tlog-proof@v2\nindex 1\n\n" + CHECKPOINT,  # another version
        "c2sp.org/tlog-proof@v1\nindex 01\n\n" + CHECKPOINT,  # leading zero
        "c2sp.org/tlog-proof@v1\nindex -1\n\n" + CHECKPOINT,
        "c2sp.org/tlog-proof@v1\n\n" + CHECKPOINT,  # no index
        "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n" + CHECKPOINT,  # not a 32-byte hash
        "c2sp.org/tlog-proof@v1\nindex 1\nnot base64!\n\n" + CHECKPOINT,
        "c2sp.org/tlog-proof@v1\nindex 1",  # no checkpoint
    ],
)
def test_what_is_not_a_tlog_proof_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_tlog_proof(text)
