"""C2SP signed notes (https://c2sp.org/signed-note) and checkpoints (https://c2sp.org/tlog-checkpoint).

The log's tree heads are published in this format, rather than a portal-specific
one, so that off-the-shelf tooling (Go's sumdb/note, transparency-dev witnesses
and clients) can verify and cosign them. Only Ed25519 (signature type 0x01) is
supported: one algorithm keeps the verifier small.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from traceability.errors import BadSignature, InvalidInput

ED25519_TYPE = b"\x01"
KEY_ID_SIZE = 4
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
ROOT_HASH_SIZE = 32
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
# The spec asks verifiers to cap signatures (and to accept at least 16); the cap
# bounds the work an unauthenticated note can make us do.
MAX_SIGNATURES = 100
_MAX_TREE_SIZE = 2**64 - 1  # checkpoints are read by uint64 clients
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(value: str, *, field: str) -> bytes:
    """Strict standard base64: one encoding per byte string, so the text is unambiguous."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except ValueError as exc:  # binascii.Error and UnicodeEncodeError are ValueErrors
        raise InvalidInput("must be standard base64", field=field) from exc
    if _b64encode(raw) != value:
        raise InvalidInput("must be canonical standard base64", field=field)
    return raw


def _check_name(name: str, *, field: str = "name") -> None:
    # '+' separates the fields of a verifier key; whitespace separates the fields
    # of a signature line.
    if not name:
        raise InvalidInput("a key name must not be empty", field=field)
    if any(c.isspace() for c in name) or "+" in name:
        raise InvalidInput(
            f"a key name must contain no whitespace and no '+', got {name!r}", field=field
        )
    _check_no_controls(name, field=field, allow_newline=False)


def _check_no_controls(text: str, *, field: str, allow_newline: bool = True) -> None:
    for c in text:
        if (c < " " and not (allow_newline and c == "\n")) or "\ud800" <= c <= "\udfff":
            raise InvalidInput(
                f"must be UTF-8 text without control characters, found {c!r}", field=field
            )


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise InvalidInput("note text must be non-empty and end with a newline", field="text")
    _check_no_controls(text, field="text")


def ed25519_key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4], as the signed-note spec recommends."""
    _check_name(name)
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise InvalidInput(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes", field="key")
    digest = hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()
    return digest[:KEY_ID_SIZE]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_verifier_key(
    text: str, key_type: bytes, *, field: str, kind: str
) -> tuple[str, str, Ed25519PublicKey]:
    """``<name>+<8 hex key ID>+<base64(key type || public key)>``: the name, the key ID as
    written and the Ed25519 public key (signed-note verifier keys and witness cosignature
    keys differ only in their type byte). The caller checks the key ID against the key, as
    each key type derives it its own way (:func:`check_key_id`)."""
    parts = text.strip().split("+", 2)  # base64 itself may contain "+"
    if len(parts) != 3:
        raise InvalidInput("a key is written <name>+<key id>+<base64 key>", field=field)
    name, id_hex, encoded = parts
    _check_name(name, field=field)
    if not re.fullmatch(r"[0-9a-f]{8}", id_hex):
        raise InvalidInput("the key id must be 8 lowercase hex digits", field=field)
    raw = _b64decode(encoded, field=field)
    if len(raw) != 1 + PUBLIC_KEY_SIZE or raw[:1] != key_type:
        raise InvalidInput(f"the key must be {kind} followed by a 32-byte public key", field=field)
    try:
        return name, id_hex, Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError as exc:
        raise InvalidInput("not an Ed25519 public key", field=field) from exc


def check_key_id(written: str, derived: bytes, *, field: str) -> None:
    """A key ID that is not the key's means the string was mangled or spliced from two keys."""
    if derived.hex() != written:
        raise InvalidInput(
            f"key id {written} does not match the key (expected {derived.hex()})", field=field
        )


class VerifierKey:
    """A named Ed25519 key of one C2SP verifier-key type, identified by its name and key ID:
    ``<name>+<8 hex key ID>+<base64(type || public key)>``. Each type derives its key ID its
    own way (:meth:`derive_key_id`)."""

    __slots__ = ("_key_id", "_name", "_public_key")
    KEY_TYPE: ClassVar[bytes]
    FIELD: ClassVar[str]  # what a malformed key is reported as
    KIND: ClassVar[str]  # the type byte, in words

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self._key_id = self.derive_key_id(name, _raw_public(public_key))
        self._name = name
        self._public_key = public_key

    @staticmethod
    def derive_key_id(name: str, raw_public_key: bytes) -> bytes:
        raise NotImplementedError

    @classmethod
    def from_key(cls, verifier_key: str) -> Self:
        name, id_hex, public_key = parse_verifier_key(
            verifier_key, cls.KEY_TYPE, field=cls.FIELD, kind=cls.KIND
        )
        verifier = cls(name, public_key)
        check_key_id(id_hex, verifier.key_id, field=cls.FIELD)
        return verifier

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._public_key

    def verifier_key(self) -> str:
        encoded = _b64encode(self.KEY_TYPE + _raw_public(self._public_key))
        return f"{self._name}+{self._key_id.hex()}+{encoded}"


class NoteVerifier(VerifierKey):
    """A trusted Ed25519 note key (signed-note key type 0x01)."""

    __slots__ = ()
    KEY_TYPE = ED25519_TYPE
    FIELD = "verifier_key"
    KIND = "0x01 (Ed25519)"

    @staticmethod
    def derive_key_id(name: str, raw_public_key: bytes) -> bytes:
        return ed25519_key_id(name, raw_public_key)

    def verify(self, note: str) -> str:
        """The note's text, if a signature by this key verifies.

        Signatures by other keys are ignored, as the spec requires, so a note cosigned
        by witnesses opens here too. A signature that claims to be ours but does not
        verify rejects the whole note: it means tampering, not an unknown signer.
        """
        text, signatures = _parse_note(note)
        verified = False
        for name, key_id, signature in signatures:
            if name != self._name or key_id != self._key_id:
                continue
            if not self._verifies(signature, text):
                raise BadSignature(
                    f"the signature by {self._name} ({self._key_id.hex()}) does not verify",
                    field="note",
                )
            verified = True
        if not verified:
            raise BadSignature(
                f"the note carries no signature by {self._name} ({self._key_id.hex()})",
                field="note",
            )
        return text

    def _verifies(self, signature: bytes, text: str) -> bool:
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            self._public_key.verify(signature, text.encode())
        except InvalidSignature:
            return False
        return True


def _parse_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """Split a signed note into its text and (name, key id, signature) triples."""
    _check_no_controls(note, field="note")
    if not note.endswith("\n"):
        raise InvalidInput("a signed note ends with a newline", field="note")
    # The text may itself contain blank lines; the last one separates it from the
    # signatures.
    split = note.rfind("\n\n")
    if split < 0:
        raise InvalidInput(
            "a signed note needs a blank line between the text and the signatures", field="note"
        )
    text, block = note[: split + 1], note[split + 2 :]
    lines = block[:-1].split("\n") if block else []
    if not lines:
        raise InvalidInput("a signed note needs at least one signature line", field="note")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidInput(f"a note may carry at most {MAX_SIGNATURES} signatures", field="note")
    signatures: list[tuple[str, bytes, bytes]] = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise InvalidInput(
                "each signature line starts with an em dash (U+2014) and a space", field="note"
            )
        fields = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(fields) != 2:
            raise InvalidInput(
                "a signature line is: em dash, space, key name, space, base64 signature",
                field="note",
            )
        name, encoded = fields
        _check_name(name, field="note")
        raw = _b64decode(encoded, field="note")
        if len(raw) <= KEY_ID_SIZE:
            raise InvalidInput("a signature is a 4-byte key id and the signature", field="note")
        signatures.append((name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:]))
    return text, signatures


class NoteSigner:
    """An Ed25519 note signing key."""

    __slots__ = ("_private_key", "_verifier")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._verifier = NoteVerifier(name, private_key.public_key())

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> bytes:
        return self._verifier.key_id

    def verifier(self) -> NoteVerifier:
        return self._verifier

    def verifier_key(self) -> str:
        return self._verifier.verifier_key()

    def sign(self, text: str) -> str:
        """The signed note: text, a blank line, then this key's signature line."""
        _check_text(text)
        signature = self._private_key.sign(text.encode())
        encoded = _b64encode(self.key_id + signature)
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head, as the text of a signed note (c2sp.org/tlog-checkpoint)."""

    origin: str
    size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        if not self.origin:
            raise InvalidInput("the origin must not be empty", field="origin")
        _check_no_controls(self.origin, field="origin", allow_newline=False)
        if not 0 <= self.size <= _MAX_TREE_SIZE:
            raise InvalidInput(
                f"the tree size must be between 0 and 2^64-1, got {self.size}", field="size"
            )
        if len(self.root_hash) != ROOT_HASH_SIZE:
            raise InvalidInput(
                f"the root hash is {ROOT_HASH_SIZE} bytes, got {len(self.root_hash)}",
                field="root_hash",
            )

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{_b64encode(self.root_hash)}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text. Extension lines after the root hash are ignored."""
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise InvalidInput(
            "a checkpoint has at least three lines: origin, tree size, root hash",
            field="checkpoint",
        )
    if not all(lines):
        raise InvalidInput("checkpoint lines must not be empty", field="checkpoint")
    origin, size_text, root_text = lines[:3]
    if not _TREE_SIZE.fullmatch(size_text):
        raise InvalidInput(
            f"the tree size must be decimal without leading zeros, got {size_text!r}",
            field="size",
        )
    root = _b64decode(root_text, field="root_hash")
    return Checkpoint(origin, int(size_text), root)


def sign_checkpoint(signer: NoteSigner, checkpoint: Checkpoint) -> str:
    return signer.sign(checkpoint.body())


def open_checkpoint(verifier: NoteVerifier, note: str) -> Checkpoint:
    """Verify the note's signature, then parse its text; never parses unverified text."""
    return parse_checkpoint(verifier.verify(note))
