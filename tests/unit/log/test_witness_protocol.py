"""The tlog-witness request body and the portal's witness list, read as the specs write them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from traceability.config import Settings
from traceability.errors import InvalidInput
from traceability.log.cosignature import CosignatureSigner
from traceability.log.note import NoteSigner
from traceability.log.witness_protocol import (
    add_checkpoint_body,
    parse_add_checkpoint,
    parse_witness_list,
)

NOTE = (
    "example.com/log\n5\nq3J8gA8GLc0V6H7s8Hh6Mx9M0Q9Z4mC7h0b5o9hYx0c=\n"
    "\n\u2014 example.com/log AAAA\n"
)


def witness_key(name: str = "w.example/1") -> str:
    return CosignatureSigner(name, Ed25519PrivateKey.generate()).verifier_key()


def test_the_body_is_old_size_proof_lines_blank_line_then_the_checkpoint() -> None:
    body = add_checkpoint_body(3, [b"\x01" * 32, b"\x02" * 32], NOTE)
    lines = body.decode().split("\n")
    assert lines[0] == "old 3"
    assert lines[1] == "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
    assert lines[3] == ""
    assert body.decode().endswith("\n\n" + NOTE)
    parsed = parse_add_checkpoint(body)
    assert (parsed.old_size, parsed.proof, parsed.note) == (3, (b"\x01" * 32, b"\x02" * 32), NOTE)


def test_old_size_zero_has_no_proof_lines() -> None:
    assert add_checkpoint_body(0, [], NOTE) == ("old 0\n\n" + NOTE).encode()
    assert parse_add_checkpoint(add_checkpoint_body(0, [], NOTE)).proof == ()


@pytest.mark.parametrize(
    "body",
    [
        "old 007\n\n" + NOTE,  # leading zeros
        "old -1\n\n" + NOTE,
        "old 3\n" + NOTE,  # no blank line before the checkpoint
        "old 3\nAQ==\n\n" + NOTE,  # a proof line that is not a 32-byte hash
        "old 3\n" + "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n" * 64 + "\n" + NOTE,  # > 63
        "old 3\n\n",  # no checkpoint
    ],
)
def test_a_body_the_spec_does_not_allow_is_refused(body: str) -> None:
    with pytest.raises(InvalidInput):
        parse_add_checkpoint(body.encode())


def test_the_witness_list_is_keys_and_url_prefixes_separated_by_commas() -> None:
    first, second = witness_key("a.example/w"), witness_key("b.example/w")
    listed = parse_witness_list(f"{first} https://a.example/w/, {second} http://10.0.0.2:8700")
    assert [(w.verifier.name, w.url) for w in listed] == [
        ("a.example/w", "https://a.example/w"),
        ("b.example/w", "http://10.0.0.2:8700"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "https://a.example/w",  # no key
        "{key}",  # no URL
        "{key} ftp://a.example",
        "{key} https://a.example,{key} https://b.example",  # one witness twice
        "example.com/log+0123abcd+AQ== https://a.example",  # not a key at all
    ],
)
def test_a_witness_list_that_is_not_one_stops_the_settings(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(witnesses=value.format(key=witness_key()))


def test_a_log_key_is_refused_as_a_witness_key() -> None:
    log_key = NoteSigner("example.com/log", Ed25519PrivateKey.generate()).verifier_key()
    with pytest.raises(InvalidInput):
        parse_witness_list(f"{log_key} https://a.example")
