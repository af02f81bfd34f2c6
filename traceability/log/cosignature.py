"""C2SP cosignatures (https://c2sp.org/tlog-cosignature): a witness's timestamped Ed25519
signature on a checkpoint, carried as one more signature line of the checkpoint's note.

A cosignature says "as of this time, this is the largest tree of this log I have seen, and it
is consistent with every tree of it I saw before". Clients that require a quorum of them
cannot be shown a tree the log hid from the witnesses (a split view). Only the Ed25519 type
(cosignature/v1, key type 0x04) is supported.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
)

from traceability.errors import BadSignature, InvalidInput
from traceability.log.note import (
    KEY_ID_SIZE,
    PUBLIC_KEY_SIZE,
    SIGNATURE_PREFIX,
    SIGNATURE_SIZE,
    VerifierKey,
    _b64encode,
    _check_name,
    _check_text,
    _parse_note,
)

COSIGNATURE_TYPE = b"\x04"
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
_TIMESTAMP_SIZE = 8


def cosignature_key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || public key)[:4], as tlog-cosignature defines it."""
    _check_name(name)
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise InvalidInput(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes", field="key")
    digest = hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_TYPE + public_key).digest()
    return digest[:KEY_ID_SIZE]


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a cosigner signs: the header line, the time line, then the checkpoint's text."""
    _check_text(checkpoint_text)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InvalidInput("a cosignature's time is between 0 and 2^63-1", field="timestamp")
    return f"{HEADER}time {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True)
class Cosignature:
    """A cosignature that verified: whose, and the time the cosigner put in it."""

    name: str
    key_id: bytes
    timestamp: int
    line: str  # the signature line as it appears in the note, without its newline


class CosignatureVerifier(VerifierKey):
    """A witness's cosignature/v1 key (key type 0x04)."""

    __slots__ = ()
    KEY_TYPE = COSIGNATURE_TYPE
    FIELD = "witness_key"
    KIND = "0x04 (cosignature/v1)"

    @staticmethod
    def derive_key_id(name: str, raw_public_key: bytes) -> bytes:
        return cosignature_key_id(name, raw_public_key)

    def cosignature(self, note: str) -> Cosignature | None:
        """This witness's cosignature on the note's checkpoint, None if the note has none.

        Lines by other keys are ignored, as signed-note requires. A line that claims to be
        this witness's and does not verify is tampering: BadSignature."""
        text, signatures = _parse_note(note)
        found: Cosignature | None = None
        for name, key_id, signature in signatures:
            if name != self._name or key_id != self._key_id:
                continue
            timestamp = self._verified_time(signature, text)
            if timestamp is None:
                raise BadSignature(
                    f"the cosignature by {self._name} ({self._key_id.hex()}) does not verify",
                    field="note",
                )
            line = f"{SIGNATURE_PREFIX}{name} {_b64encode(key_id + signature)}"
            if found is None or timestamp > found.timestamp:
                found = Cosignature(name, key_id, timestamp, line)
        return found

    def _verified_time(self, signature: bytes, text: str) -> int | None:
        if len(signature) != _TIMESTAMP_SIZE + SIGNATURE_SIZE:
            return None
        (timestamp,) = struct.unpack(">Q", signature[:_TIMESTAMP_SIZE])
        if timestamp > MAX_TIMESTAMP:
            return None
        try:
            self._public_key.verify(signature[_TIMESTAMP_SIZE:], cosigned_message(text, timestamp))
        except InvalidSignature:
            return None
        return int(timestamp)


class CosignatureSigner:
    """A witness's Ed25519 cosigning key."""

    __slots__ = ("_private_key", "_verifier")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._verifier = CosignatureVerifier(name, private_key.public_key())

    @property
    def name(self) -> str:
        return self._verifier.name

    def verifier(self) -> CosignatureVerifier:
        return self._verifier

    def verifier_key(self) -> str:
        return self._verifier.verifier_key()

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The cosignature line (with its newline) on a checkpoint's note text."""
        signature = self._private_key.sign(cosigned_message(checkpoint_text, timestamp))
        raw = self._verifier.key_id + struct.pack(">Q", timestamp) + signature
        return f"{SIGNATURE_PREFIX}{self.name} {_b64encode(raw)}\n"


def note_text(note: str) -> str:
    """The text of a signed note (its checkpoint), without the signature lines."""
    text, _ = _parse_note(note)
    return text


def with_signature_lines(note: str, lines: Iterable[str]) -> str:
    """The note with the signature lines appended (each without or with its newline), in
    order, skipping any it already carries: the first line stays the log's own."""
    present = set(note[:-1].split("\n"))
    added: list[str] = []
    for line in lines:
        line = line.rstrip("\n")
        if line not in present:
            present.add(line)
            added.append(line)
    if not added:
        return note
    result = note + "".join(f"{line}\n" for line in added)
    _parse_note(result)  # a line that is not a signature line must never be served
    return result


@dataclass(frozen=True)
class QuorumResult:
    cosigned_by: tuple[str, ...]  # names of the trusted witnesses whose cosignature verified
    problems: tuple[str, ...]  # why each other trusted witness does not count

    def met(self, quorum: int) -> bool:
        return len(self.cosigned_by) >= quorum


def check_cosignatures(note: str, witnesses: Sequence[CosignatureVerifier]) -> QuorumResult:
    """Which of the trusted witnesses cosigned the note's checkpoint."""
    cosigned: list[str] = []
    problems: list[str] = []
    for witness in witnesses:
        try:
            found = witness.cosignature(note)
        except (BadSignature, InvalidInput) as exc:
            problems.append(f"{witness.name}: {exc}")
            continue
        if found is None:
            problems.append(f"{witness.name}: no cosignature")
        else:
            cosigned.append(witness.name)
    return QuorumResult(tuple(cosigned), tuple(problems))
