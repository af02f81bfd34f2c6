"""`traceability witness serve`, a real process, checked against C2SP tlog-witness: it cosigns a
checkpoint only when it is signed by the log it knows and consistent with the last one it
cosigned, answers every refusal with the spec's status code, and remembers across restarts.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from tests.witnesses import RunningWitness, log_signer, new_key, witness_process
from traceability.cli import app
from traceability.log.cosignature import CosignatureVerifier, with_signature_lines
from traceability.log.memory_tree import MemoryTree
from traceability.log.note import Checkpoint, NoteSigner, sign_checkpoint
from traceability.log.witness_protocol import add_checkpoint_body

WITNESS_NAME = "witness.soyte-hanoi.example.vn/w1"


class Log:
    """A log the test controls: its leaves, its signing key, its checkpoints."""

    def __init__(self, signer: NoteSigner, leaves: int = 0, salt: bytes = b"") -> None:
        self.signer = signer
        self.tree = MemoryTree()
        self.salt = salt
        self.grow(leaves)

    def grow(self, count: int) -> None:
        for _ in range(count):
            self.tree.append(hashlib.sha256(self.salt + str(self.tree.size).encode()).digest())

    def note(self, size: int | None = None) -> str:
        size = self.tree.size if size is None else size
        return sign_checkpoint(
            self.signer, Checkpoint(self.signer.name, size, self.tree.root(size))
        )

    def proof(self, old: int, size: int | None = None) -> list[bytes]:
        size = self.tree.size if size is None else size
        return self.tree.consistency_proof(old, size) if 0 < old < size else []


@pytest.fixture
def log() -> Log:
    _, signer = log_signer()
    return Log(signer, leaves=5)


@pytest.fixture
def witness(tmp_path: Path, log: Log) -> Iterator[RunningWitness]:
    key = new_key(tmp_path / "witness.key")
    with witness_process(key, log.signer.verifier_key(), WITNESS_NAME) as running:
        yield running


def add(witness: RunningWitness, old: int, proof: list[bytes], note: str) -> httpx.Response:
    return httpx.post(
        f"{witness.url}/add-checkpoint", content=add_checkpoint_body(old, proof, note), timeout=5
    )


def test_it_prints_its_cosignature_verifier_key_and_writes_it_beside_the_key(
    witness: RunningWitness,
) -> None:
    verifier = CosignatureVerifier.from_key(witness.vkey)
    assert verifier.name == WITNESS_NAME
    name, key_id, encoded = witness.vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x04 and len(raw) == 33  # cosignature/v1 key type, Ed25519 public key
    # tlog-cosignature: key ID = SHA-256(name || "\n" || 0x04 || public key)[:4]
    assert key_id == hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex()
    written = witness.key_path.with_name(witness.key_path.name + ".vkey").read_text()
    assert written == witness.vkey + "\n"


def test_a_first_checkpoint_is_cosigned_with_a_timestamped_cosignature(
    witness: RunningWitness, log: Log
) -> None:
    note = log.note()
    answer = add(witness, 0, [], note)
    assert answer.status_code == 200, answer.text
    lines = answer.text.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"\u2014 {WITNESS_NAME} ")
    cosigned = CosignatureVerifier.from_key(witness.vkey).cosignature(
        with_signature_lines(note, lines)
    )
    assert cosigned is not None
    assert abs(cosigned.timestamp - time.time()) < 60


def test_a_consistent_larger_checkpoint_is_cosigned_from_the_size_it_holds(
    witness: RunningWitness, log: Log
) -> None:
    assert add(witness, 0, [], log.note()).status_code == 200
    log.grow(6)
    answer = add(witness, 5, log.proof(5), log.note())
    assert answer.status_code == 200, answer.text


def test_a_rollback_to_a_smaller_tree_is_refused_with_409_and_the_size_it_holds(
    witness: RunningWitness, log: Log
) -> None:
    log.grow(6)
    assert add(witness, 0, [], log.note()).status_code == 200
    smaller = log.note(5)  # genuinely signed by the log, but older than what it cosigned
    answer = add(witness, 5, [], smaller)
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "text/x.tlog.size"
    assert answer.text == "11\n"
    # Claiming the witness's own size does not help: the old size is over the checkpoint's.
    assert add(witness, 11, [], smaller).status_code == 400


def test_an_old_size_that_is_not_the_witness_s_is_answered_409_with_its_size(
    witness: RunningWitness, log: Log
) -> None:
    answer = add(witness, 3, log.proof(3), log.note())
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "text/x.tlog.size"
    assert answer.text == "0\n"


def test_a_second_tree_of_the_same_size_is_a_split_view_refused_with_409(
    witness: RunningWitness, log: Log
) -> None:
    assert add(witness, 0, [], log.note()).status_code == 200
    other = Log(log.signer, leaves=5, salt=b"another history")
    answer = add(witness, 5, [], other.note())
    assert answer.status_code == 409
    assert answer.text == "5\n"


def test_a_proof_that_does_not_verify_is_refused_with_422(
    witness: RunningWitness, log: Log
) -> None:
    assert add(witness, 0, [], log.note()).status_code == 200
    forked = Log(log.signer, leaves=9, salt=b"forked")  # not an extension of the 5 cosigned
    answer = add(witness, 5, forked.proof(5), forked.note())
    assert answer.status_code == 422
    assert answer.text.strip()


def test_a_checkpoint_not_signed_by_the_log_key_is_refused_with_403(
    witness: RunningWitness, log: Log
) -> None:
    impostor = NoteSigner(log.signer.name, Ed25519PrivateKey.generate())
    answer = add(witness, 0, [], Log(impostor, leaves=5).note())
    assert answer.status_code == 403


def test_a_log_the_witness_does_not_know_is_refused_with_404(witness: RunningWitness) -> None:
    stranger = NoteSigner("elsewhere.example/log", Ed25519PrivateKey.generate())
    assert add(witness, 0, [], Log(stranger, leaves=2).note()).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 01\n\nx\n",
        b"old five\n\n",
        b"old 0\nnot base64!\n\nlog\n1\nAAAA\n",
        b"\xff\xfe",
    ],
)
def test_a_malformed_body_is_refused_with_400(witness: RunningWitness, body: bytes) -> None:
    answer = httpx.post(f"{witness.url}/add-checkpoint", content=body, timeout=5)
    assert answer.status_code == 400


def test_a_refused_request_changes_nothing(witness: RunningWitness, log: Log) -> None:
    assert add(witness, 0, [], log.note()).status_code == 200
    forked = Log(log.signer, leaves=9, salt=b"forked")
    assert add(witness, 5, forked.proof(5), forked.note()).status_code == 422
    log.grow(4)
    assert add(witness, 5, log.proof(5), log.note()).status_code == 200


def test_a_restarted_witness_remembers_what_it_cosigned(tmp_path: Path, log: Log) -> None:
    key = new_key(tmp_path / "witness.key")
    with witness_process(key, log.signer.verifier_key(), WITNESS_NAME) as first:
        assert add(first, 0, [], log.note()).status_code == 200
        vkey = first.vkey
    with witness_process(key, log.signer.verifier_key(), WITNESS_NAME) as again:
        assert again.vkey == vkey
        answer = add(again, 0, [], log.note())
        assert answer.status_code == 409
        assert answer.text == "5\n"
        log.grow(3)
        assert add(again, 5, log.proof(5), log.note()).status_code == 200


def test_witness_serve_has_help() -> None:
    result = CliRunner().invoke(app, ["witness", "serve", "--help"])
    assert result.exit_code == 0
    assert "--log" in result.output and "tlog-witness" in result.output


def test_a_log_key_that_is_not_one_is_a_usage_error(tmp_path: Path) -> None:
    key = new_key(tmp_path / "witness.key")
    result = CliRunner().invoke(
        app, ["witness", "serve", "--port", "1", "--key", str(key), "--log", "not-a-key"]
    )
    assert result.exit_code == 2
