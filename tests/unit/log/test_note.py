"""C2SP signed notes and tlog checkpoints: interoperable bytes, strict parsing, refusals."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from traceability.errors import BadSignature, InvalidInput
from traceability.log.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    ed25519_key_id,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)

# golang.org/x/mod/sumdb/note (note_test.go, package docs): Ed25519 is
# deterministic, so matching this note byte for byte means Go verifiers and
# witnesses accept what we sign.
GO_SIGNER_KEY_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # 0x01 || seed
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
    "ngotpRZb6KE6RyyBwJnAM=\n"
)

ORIGIN = "truyxuat.gov.vn/log"


def _key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def _signer(name: str = ORIGIN, seed: int = 1) -> NoteSigner:
    return NoteSigner(name, _key(seed))


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _checkpoint(size: int = 42) -> Checkpoint:
    return Checkpoint(ORIGIN, size, hashlib.sha256(b"root").digest())


# --------------------------------------------------------------------------- keys


def test_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    key = _key(7)
    expected = hashlib.sha256(ORIGIN.encode() + b"\x0a\x01" + _raw_public(key)).digest()[:4]
    signer = NoteSigner(ORIGIN, key)
    assert signer.key_id == expected
    assert ed25519_key_id(ORIGIN, _raw_public(key)) == expected


def test_verifier_key_is_name_plus_hex_key_id_plus_base64_of_type_and_key() -> None:
    key = _key(7)
    signer = NoteSigner(ORIGIN, key)
    encoded = base64.b64encode(b"\x01" + _raw_public(key)).decode()
    assert signer.verifier_key() == f"{ORIGIN}+{signer.key_id.hex()}+{encoded}"


def test_verifier_key_strings_round_trip() -> None:
    signer = _signer()
    verifier = NoteVerifier.from_key(signer.verifier_key())
    assert verifier.name == signer.name
    assert verifier.key_id == signer.key_id
    assert verifier.verifier_key() == signer.verifier_key()
    assert NoteVerifier.from_key(GO_VERIFIER_KEY).verifier_key() == GO_VERIFIER_KEY


def test_signing_matches_the_go_sumdb_note_reference_byte_for_byte() -> None:
    seed = base64.b64decode(GO_SIGNER_KEY_B64)[1:]
    signer = NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))
    assert signer.verifier_key() == GO_VERIFIER_KEY
    assert signer.sign(GO_TEXT) == GO_NOTE


def test_the_go_reference_note_opens_with_the_go_reference_verifier_key() -> None:
    assert NoteVerifier.from_key(GO_VERIFIER_KEY).verify(GO_NOTE) == GO_TEXT


def test_verifier_keys_whose_base64_contains_a_plus_parse() -> None:
    # From transparency-dev/formats note tests; '+' is both separator and base64 letter.
    plus_key = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
    verifier = NoteVerifier.from_key(plus_key)
    assert (verifier.name, verifier.key_id.hex()) == ("TEST", "7997405c")
    assert verifier.verifier_key() == plus_key


@pytest.mark.parametrize(
    "verifier_key",
    [
        "",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+ARpc+extra",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW==",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy1",
    ],
)
def test_malformed_verifier_keys_are_refused(verifier_key: str) -> None:
    with pytest.raises(InvalidInput):
        NoteVerifier.from_key(verifier_key)


@pytest.mark.parametrize("name", ["", "two words", "tab\there", "a+b", "line\nbreak", "nbsp\u00a0"])
def test_key_names_must_be_non_empty_without_whitespace_or_plus(name: str) -> None:
    with pytest.raises(InvalidInput):
        NoteSigner(name, _key(1))


# --------------------------------------------------------------------------- notes


def test_a_signed_note_is_text_blank_line_and_one_em_dash_signature_line() -> None:
    signer = _signer()
    note = signer.sign("hello\n")
    text, blank, signature_line, end = note.split("\n")
    assert (text, blank, end) == ("hello", "", "")
    dash, name, encoded = signature_line.split(" ")
    assert dash == "\u2014"
    assert name == signer.name
    raw = base64.b64decode(encoded, validate=True)
    assert raw[:4] == signer.key_id
    _key(1).public_key().verify(raw[4:], b"hello\n")


def test_a_signed_note_opens_to_its_text() -> None:
    signer = _signer()
    assert signer.verifier().verify(signer.sign("hello\nworld\n")) == "hello\nworld\n"


def test_note_text_may_contain_blank_lines_as_the_spec_allows() -> None:
    signer = _signer()
    text = "first\n\nafter a blank line\n"
    assert signer.verifier().verify(signer.sign(text)) == text


def test_signatures_by_other_keys_are_ignored() -> None:
    log, witness = _signer(seed=1), _signer("witness.example/w1", seed=2)
    text = "hello\n"
    cosigned = log.sign(text) + witness.sign(text).split("\n\n", 1)[1]
    assert log.verifier().verify(cosigned) == text
    assert witness.verifier().verify(cosigned) == text
    witness_first = witness.sign(text) + log.sign(text).split("\n\n", 1)[1]
    assert log.verifier().verify(witness_first) == text


def test_tampered_text_is_refused_as_a_bad_signature() -> None:
    signer = _signer()
    note = signer.sign("size 5\n").replace("size 5", "size 6")
    with pytest.raises(BadSignature, match="does not verify"):
        signer.verifier().verify(note)


def test_tampered_signature_bytes_are_refused_as_a_bad_signature() -> None:
    signer = _signer()
    note = signer.sign("hello\n")
    head, encoded = note[:-1].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[10] ^= 0x01
    with pytest.raises(BadSignature):
        signer.verifier().verify(f"{head} {base64.b64encode(bytes(raw)).decode()}\n")


def test_a_note_signed_by_another_key_of_the_same_name_is_refused() -> None:
    note = _signer(seed=2).sign("hello\n")
    with pytest.raises(BadSignature, match="no signature"):
        _signer(seed=1).verifier().verify(note)


def test_a_note_signed_by_the_same_key_under_another_name_is_refused() -> None:
    note = _signer("other.example/log", seed=1).sign("hello\n")
    with pytest.raises(BadSignature, match="no signature"):
        _signer(seed=1).verifier().verify(note)


def test_a_failing_signature_from_a_known_key_rejects_the_whole_note() -> None:
    signer = _signer()
    good = signer.sign("hello\n")
    forged_line = signer.sign("other\n").split("\n\n", 1)[1]
    with pytest.raises(BadSignature):
        signer.verifier().verify(good + forged_line)


def _signature_line(note: str) -> str:
    return note.split("\n\n", 1)[1]


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda n: n.replace("\n\n", "\n"), id="missing-blank-line"),
        pytest.param(lambda n: n.replace("\u2014", "-"), id="hyphen-instead-of-em-dash"),
        pytest.param(lambda n: n.replace("\u2014", "\u2013"), id="en-dash-instead-of-em-dash"),
        pytest.param(lambda n: n.replace("\u2014 ", "\u2014"), id="no-space-after-dash"),
        pytest.param(lambda n: n[:-1], id="no-final-newline"),
        pytest.param(lambda n: n.split("\n\n")[0] + "\n\n", id="no-signature-lines"),
        pytest.param(lambda n: n[:-2] + "!\n", id="bad-base64"),
        pytest.param(lambda n: n[:-3] + "\n", id="unpadded-base64"),
        pytest.param(lambda n: n.replace(f"{ORIGIN} ", f"{ORIGIN}  "), id="double-space"),
        pytest.param(lambda n: n[:-1] + " extra\n", id="extra-field"),
        pytest.param(lambda n: n.replace("hello", "hel\rlo"), id="control-character"),
        pytest.param(lambda n: n.replace("hello", "hel\x00lo"), id="nul-character"),
        pytest.param(lambda n: n + "\n", id="trailing-blank-line"),
        pytest.param(lambda n: n + "not a signature\n", id="trailing-garbage"),
        pytest.param(
            lambda n: n.split("\n\n")[0] + f"\n\n\u2014 {ORIGIN} AAAAAA==\n",
            id="signature-too-short",
        ),
        pytest.param(lambda n: n + _signature_line(n) * 100, id="too-many-signatures"),
    ],
)
def test_malformed_notes_are_refused_as_invalid_input(mangle: Callable[[str], str]) -> None:
    signer = _signer()
    note = signer.sign("hello\n")
    with pytest.raises(InvalidInput):
        signer.verifier().verify(mangle(note))


def test_non_canonical_base64_signatures_are_refused() -> None:
    signer = _signer()
    note = signer.sign("hello\n")
    # 68 bytes leave 2 padding bits; setting them keeps the bytes but not the text.
    head, encoded = note[:-1].rsplit(" ", 1)
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = encoded[:-2] + last[last.index(encoded[-2]) ^ 1] + "="
    assert base64.b64decode(twin) == base64.b64decode(encoded) and twin != encoded
    with pytest.raises(InvalidInput):
        signer.verifier().verify(f"{head} {twin}\n")


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "cr\r\n", "\udc80\n"])
def test_only_newline_terminated_text_without_control_characters_is_signed(text: str) -> None:
    with pytest.raises(InvalidInput):
        _signer().sign(text)


_NOTE_TEXT = st.text(
    st.characters(min_codepoint=0x20, exclude_categories=["Cs"]) | st.just("\n"), max_size=200
).map(lambda s: s + "\n")


@given(_NOTE_TEXT)
def test_any_valid_text_round_trips_through_signing(text: str) -> None:
    signer = _signer()
    assert signer.verifier().verify(signer.sign(text)) == text


_KEY_NAMES = st.text(
    st.characters(min_codepoint=0x21, exclude_categories=("Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(lambda s: "+" not in s and not any(c.isspace() for c in s))


@given(_KEY_NAMES, st.binary(min_size=32, max_size=32))
def test_any_valid_name_and_key_round_trip_through_the_verifier_key(name: str, seed: bytes) -> None:
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))
    verifier = NoteVerifier.from_key(signer.verifier_key())
    assert verifier.key_id == signer.key_id
    assert verifier.verify(signer.sign("x\n")) == "x\n"


# --------------------------------------------------------------------------- checkpoints


def test_checkpoint_body_is_origin_size_and_base64_root_on_three_lines() -> None:
    root = bytes(range(32))
    body = Checkpoint("example.com/log", 20852163, root).body()
    assert body == f"example.com/log\n20852163\n{base64.b64encode(root).decode()}\n"


def test_checkpoints_parse_back_from_their_body() -> None:
    checkpoint = _checkpoint()
    assert parse_checkpoint(checkpoint.body()) == checkpoint
    empty = Checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest())
    assert parse_checkpoint(empty.body()) == empty


def test_checkpoint_extension_lines_are_ignored() -> None:
    checkpoint = _checkpoint()
    assert parse_checkpoint(checkpoint.body() + "ext one\next two\n") == checkpoint


def test_the_tlog_checkpoint_spec_example_parses() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = parse_checkpoint(text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.body() == text


_ROOT_B64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"{ORIGIN}\n42\n{_ROOT_B64}", id="no-final-newline"),
        pytest.param(f"{ORIGIN}\n42\n", id="two-lines"),
        pytest.param(f"\n42\n{_ROOT_B64}\n", id="empty-origin"),
        pytest.param(f"{ORIGIN}\n042\n{_ROOT_B64}\n", id="leading-zero"),
        pytest.param(f"{ORIGIN}\n00\n{_ROOT_B64}\n", id="double-zero"),
        pytest.param(f"{ORIGIN}\n+42\n{_ROOT_B64}\n", id="plus-sign"),
        pytest.param(f"{ORIGIN}\n-1\n{_ROOT_B64}\n", id="negative"),
        pytest.param(f"{ORIGIN}\n 42\n{_ROOT_B64}\n", id="space"),
        pytest.param(f"{ORIGIN}\n4_2\n{_ROOT_B64}\n", id="underscore"),
        pytest.param(f"{ORIGIN}\n\uff14\uff12\n{_ROOT_B64}\n", id="fullwidth-digits"),
        pytest.param(f"{ORIGIN}\n{2**64}\n{_ROOT_B64}\n", id="beyond-uint64"),
        pytest.param(f"{ORIGIN}\n42\n{base64.b64encode(bytes(31)).decode()}\n", id="short-root"),
        pytest.param(f"{ORIGIN}\n42\n{_ROOT_B64[:-1]}\n", id="bad-base64"),
        pytest.param(f"{ORIGIN}\n42\n{_ROOT_B64}\n\n", id="empty-extension-line"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [("", 1, bytes(32)), ("a\nb", 1, bytes(32)), ("o", -1, bytes(32)), ("o", 1, bytes(31))],
)
def test_checkpoints_refuse_values_that_cannot_be_written_as_one(
    origin: str, size: int, root: bytes
) -> None:
    with pytest.raises(InvalidInput):
        Checkpoint(origin, size, root)


def test_signed_checkpoints_open_with_the_log_key() -> None:
    signer, checkpoint = _signer(), _checkpoint()
    note = sign_checkpoint(signer, checkpoint)
    assert note.startswith(checkpoint.body() + "\n\u2014 ")
    assert open_checkpoint(signer.verifier(), note) == checkpoint


def test_signed_checkpoints_are_refused_under_another_key() -> None:
    note = sign_checkpoint(_signer(seed=1), _checkpoint())
    with pytest.raises(BadSignature):
        open_checkpoint(_signer(seed=2).verifier(), note)


def test_a_signed_checkpoint_with_a_changed_size_is_refused() -> None:
    signer = _signer()
    note = sign_checkpoint(signer, _checkpoint(42)).replace("\n42\n", "\n43\n")
    with pytest.raises(BadSignature):
        open_checkpoint(signer.verifier(), note)


def test_a_validly_signed_note_that_is_not_a_checkpoint_is_refused() -> None:
    signer = _signer()
    with pytest.raises(InvalidInput):
        open_checkpoint(signer.verifier(), signer.sign("just a note\n"))


_ORIGINS = st.text(
    st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), min_size=1, max_size=80
)


@given(_ORIGINS, st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32))
def test_any_checkpoint_round_trips_through_signing(origin: str, size: int, root: bytes) -> None:
    signer = _signer()
    checkpoint = Checkpoint(origin, size, root)
    assert parse_checkpoint(checkpoint.body()) == checkpoint
    assert open_checkpoint(signer.verifier(), sign_checkpoint(signer, checkpoint)) == checkpoint
