"""The C2SP tlog-witness protocol (https://c2sp.org/tlog-witness) as pure functions: the
``add-checkpoint`` request body, and the checks a witness makes before it cosigns.

Both sides use this module: the witness (traceability.witness) decides with
:func:`check_add_checkpoint`, the portal builds its requests with
:func:`add_checkpoint_body`. Nothing here does I/O; the witness stores its state and the
portal sends its requests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from traceability.errors import BadSignature, InvalidInput, TraceabilityError
from traceability.log.cosignature import CosignatureVerifier
from traceability.log.merkle import HASH_SIZE
from traceability.log.note import Checkpoint, NoteVerifier, _b64decode, _b64encode, open_checkpoint
from traceability.log.proof_verification import verify_consistency

# The spec caps a request's proof at 63 lines (a consistency proof of a 2^64 tree is shorter).
MAX_PROOF_LINES = 63
# A checkpoint note is a few hundred bytes; the cap bounds what an anonymous POST can cost.
MAX_BODY_BYTES = 64 * 1024
SIZE_MEDIA_TYPE = "text/x.tlog.size"
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class AddCheckpoint:
    """An add-checkpoint request: the size the client believes the witness holds, the
    consistency proof from it, and the signed checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str


@dataclass(frozen=True)
class WitnessedTree:
    """What a witness remembers of a log: the latest tree it cosigned."""

    size: int
    root_hash: bytes


class WitnessRefusal(Exception):
    """Why the witness does not cosign, with the tlog-witness status code it answers.

    ``size`` is the witness's latest cosigned size, sent as the body of a 409."""

    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.size = size


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """The request body: the old size line, one base64 line per proof hash, a blank line,
    then the checkpoint note."""
    lines = [f"old {old_size}\n"] + [f"{_b64encode(h)}\n" for h in proof]
    return ("".join(lines) + "\n" + note).encode()


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse a request body (InvalidInput for anything the spec does not allow: a 400)."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(f"the body is over {MAX_BODY_BYTES} bytes", field="body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the body is not UTF-8", field="body") from exc
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise InvalidInput("the body needs a blank line before the checkpoint", field="body")
    lines = head.split("\n")
    matched = _OLD_LINE.fullmatch(lines[0])
    if matched is None:
        raise InvalidInput(
            "the first line is 'old', a space and a decimal size without leading zeros",
            field="old",
        )
    old_size = int(matched.group(1))
    if old_size > 2**64 - 1:
        raise InvalidInput("the old size is over 2^64-1", field="old")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise InvalidInput(f"at most {MAX_PROOF_LINES} consistency proof lines", field="proof")
    proof = []
    for line in proof_lines:
        value = _b64decode(line, field="proof")
        if len(value) != HASH_SIZE:
            raise InvalidInput(f"a proof line is a {HASH_SIZE}-byte hash", field="proof")
        proof.append(value)
    if not note:
        raise InvalidInput("the body carries no checkpoint", field="checkpoint")
    return AddCheckpoint(old_size, tuple(proof), note)


def check_add_checkpoint(
    request: AddCheckpoint,
    logs: Mapping[str, NoteVerifier],
    latest: WitnessedTree | None,
) -> Checkpoint:
    """The checkpoint to cosign, once every check tlog-witness requires passes, in its order.

    ``logs`` maps each known origin to the log key the witness trusts for it; ``latest`` is
    what the witness cosigned last for the request's origin (None: never). Raises
    WitnessRefusal with the status to answer otherwise. The caller must hold its lock on
    the state from before this check until the new state is stored."""
    origin = request.note.split("\n", 1)[0]
    verifier = logs.get(origin)
    if verifier is None:
        raise WitnessRefusal(404, f"this witness does not know the log {origin!r}")
    try:
        checkpoint = open_checkpoint(verifier, request.note)
    except BadSignature as exc:
        raise WitnessRefusal(403, f"the checkpoint is not signed by the log's key: {exc}") from exc
    except TraceabilityError as exc:
        raise WitnessRefusal(400, f"the checkpoint cannot be read: {exc}") from exc
    if checkpoint.origin != origin:
        raise WitnessRefusal(400, "the checkpoint's origin line cannot be read")
    if request.old_size > checkpoint.size:
        raise WitnessRefusal(
            400, f"old size {request.old_size} is larger than the checkpoint's {checkpoint.size}"
        )
    held = latest.size if latest is not None else 0
    if request.old_size != held:
        raise WitnessRefusal(
            409, f"this witness last cosigned size {held}, not {request.old_size}", size=held
        )
    if latest is None or held == 0:
        if request.proof:
            raise WitnessRefusal(422, "the proof from size 0 must be empty")
        return checkpoint
    if held == checkpoint.size:
        if latest.root_hash != checkpoint.root_hash:
            # Two trees of one size: the log showed someone else another history.
            raise WitnessRefusal(
                409,
                f"this witness cosigned another tree of size {held}: a split view",
                size=held,
            )
        if request.proof:
            raise WitnessRefusal(422, "the proof between equal sizes must be empty")
        return checkpoint
    if not verify_consistency(
        held, checkpoint.size, latest.root_hash, checkpoint.root_hash, list(request.proof)
    ):
        raise WitnessRefusal(
            422,
            f"the consistency proof from size {held} to {checkpoint.size} does not verify: "
            "the checkpoint does not extend the tree this witness cosigned",
        )
    return checkpoint


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the log asks to cosign: its cosignature key and its URL prefix."""

    verifier: CosignatureVerifier
    url: str


def parse_witness_list(value: str) -> tuple[WitnessEndpoint, ...]:
    """``VKEY URL[,VKEY URL...]``: each witness's verifier key, a space, its URL prefix (the
    witness answers ``POST {URL}/add-checkpoint``). InvalidInput for anything else."""
    endpoints: list[WitnessEndpoint] = []
    for item in value.split(","):
        if not item.strip():
            continue
        fields = item.split()
        if len(fields) != 2:
            raise InvalidInput(
                f"each witness is its verifier key, a space and its URL, got {item.strip()!r}",
                field="witnesses",
            )
        verifier = CosignatureVerifier.from_key(fields[0])
        url = fields[1].rstrip("/")
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
            raise InvalidInput(f"{fields[1]!r} is not an http(s) URL", field="witnesses")
        if any(e.verifier.verifier_key() == verifier.verifier_key() for e in endpoints):
            raise InvalidInput(f"the witness {verifier.name} is listed twice", field="witnesses")
        endpoints.append(WitnessEndpoint(verifier, url))
    return tuple(endpoints)
