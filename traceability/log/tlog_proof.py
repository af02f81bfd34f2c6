"""C2SP tlog-proof (https://c2sp.org/tlog-proof): one entry's offline proof as text.

``c2sp.org/tlog-proof@v1``, optionally ``extra <base64>``, ``index <N>``, the RFC 9162
inclusion path (one base64 hash a line, leaf's sibling first), a blank line, then the
checkpoint note verbatim, with any witness cosignatures it carries. The format is public so
that tools other than this portal's can check one event's place in the log.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from traceability.errors import InvalidInput

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
HASH_SIZE = 32
_INDEX = re.compile(r"index (0|[1-9][0-9]*)")


@dataclass(frozen=True)
class TlogProof:
    index: int
    path: tuple[bytes, ...]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None

    def text(self) -> str:
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(node).decode("ascii") for node in self.path)
        return "\n".join(lines) + "\n\n" + self.checkpoint


def _base64(value: str, field: str) -> bytes:
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidInput("must be standard base64", field=field) from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise InvalidInput("must be canonical standard base64", field=field)
    return raw


def parse_tlog_proof(text: str) -> TlogProof:
    """Read a tlog-proof's shape; the checkpoint's signature is the reader's to check."""
    lines = text.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise InvalidInput(f"a tlog-proof starts with {TLOG_PROOF_HEADER}", field="tlog_proof")
    at = 1
    extra = None
    if len(lines) > at and lines[at].startswith("extra "):
        extra = _base64(lines[at].removeprefix("extra "), "tlog_proof.extra")
        at += 1
    found = _INDEX.fullmatch(lines[at]) if len(lines) > at else None
    if found is None:
        raise InvalidInput("a tlog-proof names its index: 'index N'", field="tlog_proof")
    at += 1
    path: list[bytes] = []
    while at < len(lines) and lines[at]:
        node = _base64(lines[at], "tlog_proof.path")
        if len(node) != HASH_SIZE:
            raise InvalidInput("each proof line is a 32-byte SHA-256 hash", field="tlog_proof")
        path.append(node)
        at += 1
    if at >= len(lines):
        raise InvalidInput(
            "a tlog-proof ends with a blank line and the checkpoint", field="tlog_proof"
        )
    return TlogProof(int(found.group(1)), tuple(path), "\n".join(lines[at + 1 :]), extra)
