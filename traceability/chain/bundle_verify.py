"""Verifying a lot's evidence bundle offline, trusting only the portal's log key."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, overload

from traceability.chain.audit import (
    AuditResult,
    ChainEntry,
    Fault,
    KeyInfo,
    TrustedRoot,
    audit_chain,
)
from traceability.chain.bundle import BUNDLE_FORMAT, BundleEvent, BundleHeader, BundleLog
from traceability.chain.bundle_fields import MalformedBundle, base64_text
from traceability.chain.record import EventRecord, LotKey, format_record_time
from traceability.crypto.canonical import canonical_bytes
from traceability.crypto.hashing import sha256
from traceability.crypto.signing import key_id_for
from traceability.errors import TraceabilityError
from traceability.log.cosignature import CosignatureVerifier, check_cosignatures
from traceability.log.note import Checkpoint, NoteVerifier, open_checkpoint
from traceability.log.tlog_proof import parse_tlog_proof

ProgressCallback = Callable[[int, int], None]
"""Called as ``(events checked so far, events in the bundle)`` while verifying."""


class BundleFault(StrEnum):
    """Failures of the bundle as a whole (event failures are :class:`Fault` kinds)."""

    MALFORMED = "malformed"
    BAD_LOG_KEY = "bad_log_key"
    BAD_CHECKPOINT = "bad_checkpoint"
    INCONSISTENT = "inconsistent"
    BAD_KEY = "bad_key"
    BAD_WITNESS_KEY = "bad_witness_key"
    NOT_WITNESSED = "not_witnessed"


@dataclass(frozen=True)
class WitnessPolicy:
    """The witnesses the inspector trusts (C2SP cosignature/v1 verifier keys) and how many of
    them must have cosigned the bundle's checkpoint: a checkpoint that enough independent
    witnesses cosigned cannot be a tree the log showed this bundle's reader alone."""

    witnesses: tuple[str, ...]
    quorum: int


@dataclass(frozen=True)
class BundleFailure:
    """The first thing that does not check: a :class:`Fault` or :class:`BundleFault` kind."""

    kind: str
    seq: int | None
    event_id: str | None
    message: str

    def __str__(self) -> str:
        where = f" at seq {self.seq}" if self.seq is not None else ""
        if self.event_id:
            where += f" (event {self.event_id})"
        return f"FAILED{where}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class BundleReport:
    ok: bool
    lot: LotKey | None
    checked: int
    checkpoint_size: int | None
    failure: BundleFailure | None
    lines: tuple[str, ...]
    # False when the checkpoint was checked with the key the bundle itself names: then
    # whoever made the bundle could have signed it, and the result proves nothing.
    log_key_supplied: bool

    def summary(self) -> str:
        if self.failure is not None:
            return str(self.failure)
        text = (
            f"OK: {self.checked} events of lot {self.lot} verified against checkpoint "
            f"{self.checkpoint_size}"
        )
        if not self.log_key_supplied:
            text += " (log key NOT independently supplied: taken from the bundle itself)"
        return text


OK_MARK = "✓"
FAIL_MARK = "✗"
WARN_MARK = "!"


class _Progressing(Sequence[ChainEntry]):
    """The entries, reporting progress as :func:`audit_chain` walks them."""

    def __init__(
        self, entries: list[ChainEntry], progress: ProgressCallback | None, total: int
    ) -> None:
        self._entries = entries
        self._progress = progress
        self._total = total

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> ChainEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ChainEntry]: ...

    def __getitem__(self, index: int | slice) -> ChainEntry | Sequence[ChainEntry]:
        return self._entries[index]

    def __iter__(self) -> Iterator[ChainEntry]:
        for done, entry in enumerate(self._entries):
            if self._progress is not None:
                self._progress(done, self._total)
            yield entry


class _Verification:
    def __init__(self, log_key_supplied: bool) -> None:
        self.log_key_supplied = log_key_supplied
        self.lines: list[str] = []
        self.lot: LotKey | None = None
        self.checkpoint_size: int | None = None
        self.checked = 0

    def note(self, mark: str, text: str) -> None:
        self.lines.append(f"{mark} {text}")

    def fail(
        self, kind: str, message: str, seq: int | None = None, event_id: str | None = None
    ) -> BundleReport:
        failure = BundleFailure(str(kind), seq, event_id, message)
        where = f"seq {seq}" + (f" (event {event_id})" if event_id else "") + ": "
        self.note(FAIL_MARK, f"{where if seq is not None else ''}{kind}: {message}")
        return self.report(failure)

    def report(self, failure: BundleFailure | None) -> BundleReport:
        return BundleReport(
            ok=failure is None,
            lot=self.lot,
            checked=self.checked,
            checkpoint_size=self.checkpoint_size,
            failure=failure,
            lines=tuple(self.lines),
            log_key_supplied=self.log_key_supplied,
        )


def verify_bundle(
    bundle: Mapping[str, Any],
    log_key: str | None = None,
    *,
    progress: ProgressCallback | None = None,
    witnesses: WitnessPolicy | None = None,
) -> BundleReport:
    """Verify a bundle offline, trusting only the log verifier key.

    ``log_key`` is the portal's published verifier key (``name+id+base64``), obtained
    independently of the bundle. Without it the bundle's own ``log.verifier_key`` is
    used and the report says so: a bundle that vouches for itself proves nothing about
    the portal. With ``witnesses``, the checkpoint must also carry valid cosignatures by at
    least ``quorum`` of them (``not_witnessed`` otherwise). Never raises for any input: a
    malformed bundle is a failed report.
    """
    check = _Verification(log_key is not None)
    try:
        return _verify(check, bundle, log_key, progress, witnesses)
    except Exception as exc:  # untrusted input must never crash an inspector's tool
        return check.fail(
            BundleFault.MALFORMED, f"the bundle cannot be read: {type(exc).__name__}: {exc}"
        )


def _verify(
    check: _Verification,
    bundle: Mapping[str, Any],
    log_key: str | None,
    progress: ProgressCallback | None,
    witnesses: WitnessPolicy | None = None,
) -> BundleReport:
    try:
        header = BundleHeader.parse(bundle)
    except MalformedBundle as exc:
        return check.fail(BundleFault.MALFORMED, str(exc))
    check.lot = header.lot
    check.note(
        OK_MARK,
        f"{BUNDLE_FORMAT} for lot {header.lot}: {len(header.events)} events, "
        f"{len(header.keys)} keys, generated {format_record_time(header.generated_at)}",
    )
    checkpoint = _log_checkpoint(check, header.log, log_key)
    if isinstance(checkpoint, BundleReport):
        return checkpoint
    if witnesses is not None:
        refused = _check_witnesses(check, header.log, witnesses)
        if refused is not None:
            return refused
    keys, replaced = _matching_keys(check, header)
    if not header.events:
        return check.fail(
            BundleFault.INCONSISTENT, f"the bundle holds no events of lot {header.lot}"
        )
    return _verify_events(check, header, checkpoint, keys, replaced, progress)


def _log_checkpoint(
    check: _Verification, log: BundleLog, log_key: str | None
) -> Checkpoint | BundleReport:
    """The checkpoint, opened with the trusted key and of the log the bundle names."""
    checkpoint = _open_checkpoint(check, log, log_key)
    if isinstance(checkpoint, BundleReport):
        return checkpoint
    check.checkpoint_size = checkpoint.size
    if checkpoint.origin != log.origin:
        return check.fail(
            BundleFault.INCONSISTENT,
            f"log.origin is {log.origin!r}, but the signed checkpoint is of log "
            f"{checkpoint.origin!r}",
        )
    return checkpoint


def _matching_keys(
    check: _Verification, header: BundleHeader
) -> tuple[dict[str, KeyInfo], dict[str, str]]:
    """The keys whose id matches their public key, and, for the others, their actual id."""
    keys: dict[str, KeyInfo] = {}
    replaced: dict[str, str] = {}
    for key in header.keys:
        actual = key_id_for(key.public_key)
        if actual == key.key_id:
            keys[key.key_id] = key.info()
        else:
            replaced[key.key_id] = actual
    if header.keys and not replaced:
        check.note(OK_MARK, f"{len(keys)} public keys, each matching its key id")
    return keys, replaced


def _verify_events(
    check: _Verification,
    header: BundleHeader,
    checkpoint: Checkpoint,
    keys: Mapping[str, KeyInfo],
    replaced: Mapping[str, str],
    progress: ProgressCallback | None,
) -> BundleReport:
    entries, pending = _parse_events(header)
    head = header.head
    result = audit_chain(
        header.lot,
        _Progressing(entries, progress, len(header.events)),
        keys,
        TrustedRoot(checkpoint.size, checkpoint.root_hash),
        (head.seq, head.hash) if head is not None and pending is None else None,
    )
    check.checked = result.checked
    if progress is not None:
        progress(result.checked, len(header.events))
    if result.checked:
        check.note(
            OK_MARK,
            f"events seq 1..{result.checked}: hashes recomputed, links and sequence contiguous, "
            f"signatures verified with keys valid when recorded, included in checkpoint "
            f"{checkpoint.size}",
        )
    if result.first_bad is not None:
        return _audit_failure(check, result, entries, replaced)
    if pending is not None:
        return check.fail(pending.kind, pending.message, pending.seq, pending.event_id)
    if head is not None:
        check.note(OK_MARK, f"the lot's recorded head (seq {head.seq}) is the last event")
    else:
        check.note(
            WARN_MARK,
            "the bundle carries no head: a chain missing its last events would go unnoticed",
        )
    return check.report(None)


def _check_witnesses(
    check: _Verification, log: BundleLog, policy: WitnessPolicy
) -> BundleReport | None:
    """A failed report unless the checkpoint carries a quorum of trusted cosignatures."""
    verifiers = []
    for key in policy.witnesses:
        try:
            verifiers.append(CosignatureVerifier.from_key(key))
        except TraceabilityError as exc:
            return check.fail(
                BundleFault.BAD_WITNESS_KEY, f"a witness key supplied is not one: {exc}"
            )
    result = check_cosignatures(log.checkpoint, verifiers)
    if not result.met(policy.quorum):
        why = "; ".join(result.problems) or "no witness given"
        return check.fail(
            BundleFault.NOT_WITNESSED,
            f"the checkpoint is cosigned by {len(result.cosigned_by)} of the trusted "
            f"witnesses, the quorum is {policy.quorum} ({why})",
        )
    names = ", ".join(result.cosigned_by) or "none needed"
    check.note(
        OK_MARK,
        f"checkpoint cosigned by {len(result.cosigned_by)} of {len(verifiers)} trusted "
        f"witnesses (quorum {policy.quorum}): {names}",
    )
    return None


def _open_checkpoint(
    check: _Verification, log: BundleLog, log_key: str | None
) -> Checkpoint | BundleReport:
    if log_key is not None:
        trusted = log_key.strip()
        try:
            verifier = NoteVerifier.from_key(trusted)
        except TraceabilityError as exc:
            return check.fail(
                BundleFault.BAD_LOG_KEY, f"the log key supplied is not a verifier key: {exc}"
            )
        check.note(
            OK_MARK, f"log key {verifier.name} ({verifier.key_id.hex()}) supplied independently"
        )
        if log.verifier_key != trusted:
            check.note(
                WARN_MARK,
                f"the bundle names another log key ({log.verifier_key}); it is not used",
            )
        whose = "the log key supplied"
    else:
        try:
            verifier = NoteVerifier.from_key(log.verifier_key)
        except TraceabilityError as exc:
            return check.fail(BundleFault.MALFORMED, f"log.{exc}")
        check.note(
            WARN_MARK,
            "log key NOT independently supplied: taken from the bundle itself, which anyone "
            "could have signed; pass the portal's published key (/log/key) to trust the result",
        )
        whose = "the bundle's own log key"
    try:
        checkpoint = open_checkpoint(verifier, log.checkpoint)
    except TraceabilityError as exc:
        return check.fail(
            BundleFault.BAD_CHECKPOINT,
            f"the checkpoint does not verify with {whose} ({verifier.name} "
            f"{verifier.key_id.hex()}): {exc.message}",
        )
    check.note(
        OK_MARK,
        f"checkpoint signed by {verifier.name}: log {checkpoint.origin}, size {checkpoint.size}, "
        f"root {base64_text(checkpoint.root_hash)}",
    )
    return checkpoint


def _parse_events(header: BundleHeader) -> tuple[list[ChainEntry], BundleFailure | None]:
    """The entries up to the first one that cannot be checked, and why that one cannot.

    The failure is only reported if every entry before it verifies, so the report
    always names the earliest bad event.
    """
    entries: list[ChainEntry] = []
    for i, raw in enumerate(header.events):
        position = len(entries) + 1
        try:
            event = BundleEvent.from_json(raw, f"events[{i}]")
        except MalformedBundle as exc:
            seq, event_id = _guess_identity(raw, header.lot)
            return entries, BundleFailure(
                BundleFault.MALFORMED, seq or position, event_id, str(exc)
            )
        differs = _tlog_proof_problem(raw, event, header.log.checkpoint)
        if differs is not None:
            link = next((k for k in event.record.links if k.lot == header.lot), None)
            return entries, BundleFailure(
                BundleFault.INCONSISTENT,
                link.seq if link is not None else position,
                _event_id(event.record),
                differs,
            )
        problem = _spelling_problem(event)
        if problem is not None:
            link = next((k for k in event.record.links if k.lot == header.lot), None)
            return entries, BundleFailure(
                Fault.HASH_MISMATCH,
                link.seq if link is not None else position,
                _event_id(event.record),
                problem,
            )
        entries.append(event.entry())
    return entries, None


def _tlog_proof_problem(raw: object, event: BundleEvent, checkpoint: str) -> str | None:
    """Why the event's C2SP tlog-proof (optional: older bundles have none) does not say what
    the bundle says of it, if it does not: it must name the same index, path and checkpoint."""
    if not isinstance(raw, Mapping) or "tlog_proof" not in raw:
        return None
    text = raw["tlog_proof"]
    if not isinstance(text, str):
        return "tlog_proof is not text"
    try:
        proof = parse_tlog_proof(text)
    except TraceabilityError as exc:
        return f"tlog_proof cannot be read: {exc}"
    if (
        proof.index != event.log_index
        or proof.path != event.inclusion_proof
        or proof.checkpoint != checkpoint
    ):
        return "the event's tlog_proof differs from its log_index, inclusion_proof or checkpoint"
    return None


def _spelling_problem(event: BundleEvent) -> str | None:
    """Why the record as bundled is not byte for byte the document that was hashed, if it is not.

    The chain checks hash the parsed record; an inspector hashes the JSON as given.
    Both must agree, or a bundle could carry content other than what was signed.
    """
    try:
        as_given = sha256(canonical_bytes(event.document))
        as_parsed = event.record.hash()
    except TraceabilityError as exc:
        return f"record cannot be hashed: {exc}"
    if as_given != as_parsed:
        return (
            f"the record is not in its recorded form (extra, missing or respelled fields): "
            f"it hashes to {as_given.hex()}, but {event.event_hash.hex()} was recorded"
        )
    return None


def _guess_identity(raw: object, lot: LotKey) -> tuple[int | None, str | None]:
    """Best-effort seq and event id of an event too malformed to parse, for the report."""
    seq: int | None = None
    event_id: str | None = None
    record = raw.get("record") if isinstance(raw, Mapping) else None
    if isinstance(record, Mapping):
        event = record.get("event")
        if isinstance(event, Mapping) and isinstance(event.get("eventID"), str):
            event_id = event["eventID"]
        links = record.get("links")
        for link in links if isinstance(links, list) else []:
            if (
                isinstance(link, Mapping)
                and link.get("gtin") == lot.gtin
                and link.get("lot") == lot.lot
                and isinstance(link.get("seq"), int)
                and not isinstance(link.get("seq"), bool)
            ):
                seq = link["seq"]
    return seq, event_id


def _event_id(record: EventRecord) -> str | None:
    value = record.event.get("eventID")
    return str(value) if value is not None else None


def _audit_failure(
    check: _Verification,
    result: AuditResult,
    entries: Sequence[ChainEntry],
    replaced: Mapping[str, str],
) -> BundleReport:
    finding = result.first_bad
    assert finding is not None
    kind: str = finding.fault
    message = finding.message
    if finding.fault is Fault.UNKNOWN_KEY and result.checked < len(entries):
        key_id = entries[result.checked].record.key_id
        if key_id in replaced:
            kind = BundleFault.BAD_KEY
            message = (
                f"the bundled public key of {key_id} is not that key (it has key id "
                f"{replaced[key_id]}): the key was replaced"
            )
        else:
            message = f"key {key_id} is not among the bundle's keys"
    return check.fail(kind, message, finding.seq, finding.event_id)
