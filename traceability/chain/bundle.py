"""A lot's evidence bundle: everything an inspector needs to check its chain offline.

A bundle carries one lot's events exactly as they were hashed, their signatures,
the organisations' public keys, each event's inclusion proof and a signed
checkpoint of the portal log. :func:`verify_bundle` trusts nothing in it but what
verifies against the portal's published log key; the chain checks themselves are
:func:`~traceability.chain.audit.audit_chain`'s, so an offline verification and
the portal's own audit judge a chain the same way. The format is documented
field by field in ``docs/BUNDLE.md``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, overload

import orjson

from traceability.chain.audit import (
    AuditResult,
    ChainEntry,
    Fault,
    KeyInfo,
    LogEvidence,
    TrustedRoot,
    audit_chain,
)
from traceability.chain.record import (
    ORGANIZATION_CUSTODY,
    PORTAL_CUSTODY,
    EventRecord,
    LotKey,
    format_record_time,
)
from traceability.crypto.canonical import canonical_bytes
from traceability.crypto.hashing import sha256
from traceability.crypto.signing import PUBLIC_KEY_SIZE, key_id_for
from traceability.errors import InvalidInput, TraceabilityError
from traceability.log.note import Checkpoint, NoteVerifier, open_checkpoint

BUNDLE_FORMAT = "traceability-bundle/1"
HASH_SIZE = 32
CUSTODIES = (PORTAL_CUSTODY, ORGANIZATION_CUSTODY)

_HEX_HASH = re.compile(r"[0-9a-f]{64}")

ProgressCallback = Callable[[int, int], None]
"""Called as ``(events checked so far, events in the bundle)`` while verifying."""


class BundleFault(StrEnum):
    """Failures of the bundle as a whole (event failures are :class:`Fault` kinds)."""

    MALFORMED = "malformed"
    BAD_LOG_KEY = "bad_log_key"
    BAD_CHECKPOINT = "bad_checkpoint"
    INCONSISTENT = "inconsistent"
    BAD_KEY = "bad_key"


class MalformedBundle(InvalidInput):
    """The bundle is not in the documented shape; ``field`` is the JSON path of the problem."""


# --------------------------------------------------------------------------- JSON helpers


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedBundle(f"must be a JSON object, got {_kind(value)}", field=path)
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise MalformedBundle(f"must be a JSON list, got {_kind(value)}", field=path)
    return list(value)


def _get(obj: Mapping[str, Any], name: str, path: str) -> Any:
    if name not in obj:
        raise MalformedBundle("is missing", field=f"{path}.{name}" if path else name)
    return obj[name]


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedBundle(f"must be a non-empty string, got {_kind(value)}", field=path)
    return value


def _integer(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedBundle(f"must be a non-negative integer, got {value!r}", field=path)
    return value


def _hex_hash(value: object, path: str) -> bytes:
    if not isinstance(value, str) or not _HEX_HASH.fullmatch(value):
        raise MalformedBundle(
            f"must be a SHA-256 hash as 64 lowercase hex digits, got {value!r}", field=path
        )
    return bytes.fromhex(value)


def _base64(value: object, path: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedBundle(f"must be a base64 string, got {_kind(value)}", field=path)
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise MalformedBundle("must be standard base64", field=path) from exc
    if _b64(raw) != value:
        raise MalformedBundle("must be canonical standard base64", field=path)
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _moment(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedBundle(f"must be an ISO 8601 UTC time, got {_kind(value)}", field=path)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedBundle(f"must be an ISO 8601 UTC time, got {value!r}", field=path) from exc
    if moment.tzinfo is None:
        raise MalformedBundle(f"must carry a time zone ('Z'), got {value!r}", field=path)
    return moment.astimezone(UTC)


def _optional_moment(value: object, path: str) -> datetime | None:
    return None if value is None else _moment(value, path)


def _time_text(moment: datetime | None) -> str | None:
    return format_record_time(moment) if moment is not None else None


# --------------------------------------------------------------------------- the format


@dataclass(frozen=True)
class BundleLog:
    """The portal log: its origin, its verifier key (as the portal claims it) and a checkpoint."""

    origin: str
    verifier_key: str
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "verifier_key": self.verifier_key,
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, value: object, path: str = "log") -> BundleLog:
        obj = _object(value, path)
        return cls(
            origin=_text(_get(obj, "origin", path), f"{path}.origin"),
            verifier_key=_text(_get(obj, "verifier_key", path), f"{path}.verifier_key"),
            checkpoint=_text(_get(obj, "checkpoint", path), f"{path}.checkpoint"),
        )


@dataclass(frozen=True)
class BundleKey:
    """An organisation's public signing key and when it may sign."""

    key_id: str
    organization_id: str
    public_key: bytes
    valid_from: datetime
    valid_to: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, key: KeyInfo) -> BundleKey:
        return cls(
            key.key_id,
            key.organization_id,
            key.public_key,
            key.valid_from,
            key.valid_to,
            key.revoked_at,
        )

    def info(self) -> KeyInfo:
        return KeyInfo(
            self.key_id,
            self.organization_id,
            self.public_key,
            self.valid_from,
            self.valid_to,
            self.revoked_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "organization_id": self.organization_id,
            "public_key": _b64(self.public_key),
            "valid_from": format_record_time(self.valid_from),
            "valid_to": _time_text(self.valid_to),
            "revoked_at": _time_text(self.revoked_at),
        }

    @classmethod
    def from_json(cls, value: object, path: str = "keys[]") -> BundleKey:
        obj = _object(value, path)
        public_key = _base64(_get(obj, "public_key", path), f"{path}.public_key")
        if len(public_key) != PUBLIC_KEY_SIZE:
            raise MalformedBundle(
                f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes, got {len(public_key)}",
                field=f"{path}.public_key",
            )
        return cls(
            key_id=_text(_get(obj, "key_id", path), f"{path}.key_id"),
            organization_id=_text(_get(obj, "organization_id", path), f"{path}.organization_id"),
            public_key=public_key,
            valid_from=_moment(_get(obj, "valid_from", path), f"{path}.valid_from"),
            valid_to=_optional_moment(obj.get("valid_to"), f"{path}.valid_to"),
            revoked_at=_optional_moment(obj.get("revoked_at"), f"{path}.revoked_at"),
        )


@dataclass(frozen=True)
class BundleEvent:
    """One event of the lot's chain, with its record exactly as it was hashed."""

    record: EventRecord
    # The record as the bundle carries it; a verifier hashes these bytes, not a re-spelling.
    document: Mapping[str, Any]
    event_hash: bytes
    signature: bytes
    signed_by: str
    log_index: int | None
    inclusion_proof: tuple[bytes, ...] = ()

    @classmethod
    def of(cls, entry: ChainEntry, signed_by: str) -> BundleEvent:
        log = entry.log
        return cls(
            record=entry.record,
            document=entry.record.hashed_document(),
            event_hash=entry.stored_hash,
            signature=entry.signature,
            signed_by=signed_by,
            log_index=log.index if log is not None else None,
            inclusion_proof=tuple(log.proof) if log is not None else (),
        )

    def entry(self) -> ChainEntry:
        """The event as :func:`audit_chain` sees it; the log leaf is the event hash itself."""
        log = (
            LogEvidence(self.log_index, self.event_hash, self.inclusion_proof)
            if self.log_index is not None
            else None
        )
        return ChainEntry(self.record, self.event_hash, self.signature, log)

    def to_json(self) -> dict[str, Any]:
        return {
            "record": dict(self.document),
            "event_hash": self.event_hash.hex(),
            "signature": _b64(self.signature),
            "signed_by": self.signed_by,
            "log_index": self.log_index,
            "inclusion_proof": [node.hex() for node in self.inclusion_proof],
        }

    @classmethod
    def from_json(cls, value: object, path: str = "events[]") -> BundleEvent:
        obj = _object(value, path)
        document = _object(_get(obj, "record", path), f"{path}.record")
        record = _record(document, f"{path}.record")
        signed_by = _get(obj, "signed_by", path)
        if signed_by not in CUSTODIES:
            raise MalformedBundle(
                f"must be one of {', '.join(CUSTODIES)}, got {signed_by!r}",
                field=f"{path}.signed_by",
            )
        log_index = obj.get("log_index")
        proof = _list(obj.get("inclusion_proof", []), f"{path}.inclusion_proof")
        return cls(
            record=record,
            document=document,
            event_hash=_hex_hash(_get(obj, "event_hash", path), f"{path}.event_hash"),
            signature=_base64(_get(obj, "signature", path), f"{path}.signature"),
            signed_by=str(signed_by),
            log_index=None if log_index is None else _integer(log_index, f"{path}.log_index"),
            inclusion_proof=tuple(
                _hex_hash(node, f"{path}.inclusion_proof[{i}]") for i, node in enumerate(proof)
            ),
        )


def _record(document: Mapping[str, Any], path: str) -> EventRecord:
    event = _get(document, "event", path)
    _object(event, f"{path}.event")
    for i, link in enumerate(_list(_get(document, "links", path), f"{path}.links")):
        _object(link, f"{path}.links[{i}]")
    try:
        return EventRecord.from_hashed_document(document)
    except TraceabilityError as exc:
        raise MalformedBundle(str(exc), field=path) from exc
    except KeyError as exc:
        raise MalformedBundle(f"lacks the field {exc}", field=path) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise MalformedBundle(f"is not a recorded event: {exc}", field=path) from exc


@dataclass(frozen=True)
class BundleHead:
    """The lot's chain head as the portal recorded it: its last sequence number and hash."""

    seq: int
    hash: bytes | None

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash.hex() if self.hash is not None else None}

    @classmethod
    def from_json(cls, value: object, path: str = "head") -> BundleHead:
        obj = _object(value, path)
        raw_hash = _get(obj, "hash", path)
        return cls(
            seq=_integer(_get(obj, "seq", path), f"{path}.seq"),
            hash=None if raw_hash is None else _hex_hash(raw_hash, f"{path}.hash"),
        )


@dataclass(frozen=True)
class _Header:
    """Everything but the events, parsed; the events stay raw so each fails on its own."""

    lot: LotKey
    generated_at: datetime
    log: BundleLog
    keys: tuple[BundleKey, ...]
    head: BundleHead | None
    events: list[Any]

    @classmethod
    def parse(cls, value: object) -> _Header:
        obj = _object(value, "bundle")
        found = _get(obj, "format", "")
        if found != BUNDLE_FORMAT:
            raise MalformedBundle(
                f"this verifier reads {BUNDLE_FORMAT}, got {found!r}", field="format"
            )
        lot = _object(_get(obj, "lot", ""), "lot")
        keys = tuple(
            BundleKey.from_json(key, f"keys[{i}]")
            for i, key in enumerate(_list(_get(obj, "keys", ""), "keys"))
        )
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if key.key_id in seen:
                raise MalformedBundle(f"key {key.key_id} is listed twice", field=f"keys[{i}]")
            seen.add(key.key_id)
        head = obj.get("head")
        return cls(
            lot=LotKey(
                _text(_get(lot, "gtin", "lot"), "lot.gtin"),
                _text(_get(lot, "lot", "lot"), "lot.lot"),
            ),
            generated_at=_moment(_get(obj, "generated_at", ""), "generated_at"),
            log=BundleLog.from_json(_get(obj, "log", "")),
            keys=keys,
            head=None if head is None else BundleHead.from_json(head),
            events=_list(_get(obj, "events", ""), "events"),
        )


@dataclass(frozen=True)
class Bundle:
    """A lot's evidence bundle (``traceability-bundle/1``)."""

    lot: LotKey
    generated_at: datetime
    log: BundleLog
    keys: tuple[BundleKey, ...]
    events: tuple[BundleEvent, ...]
    head: BundleHead | None = None

    def json_chunks(self, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        """The bytes of ``orjson.dumps(self.to_json())`` in pieces of about ``chunk_size``,
        encoded an event at a time: a lot's bundle is written out without its whole JSON (a
        copy of every event) in memory at once."""
        head, _, tail = orjson.dumps(self.to_json(events=False)).partition(b'"events":[]')
        chunk = bytearray(head + b'"events":[')
        for position, event in enumerate(self.events):
            if position:
                chunk += b","
            chunk += orjson.dumps(event.to_json())
            if len(chunk) >= chunk_size:
                yield bytes(chunk)
                chunk.clear()
        yield bytes(chunk + b"]" + tail)

    def to_json(self, *, events: bool = True) -> dict[str, Any]:
        value: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "lot": {"gtin": self.lot.gtin, "lot": self.lot.lot},
            "generated_at": format_record_time(self.generated_at),
            "log": self.log.to_json(),
            "keys": [key.to_json() for key in self.keys],
            "events": [event.to_json() for event in self.events] if events else [],
        }
        if self.head is not None:
            value["head"] = self.head.to_json()
        return value

    @classmethod
    def from_json(cls, value: object) -> Bundle:
        """Parse a bundle; raises :class:`MalformedBundle` naming the first bad field.

        Parsing checks shapes only; :func:`verify_bundle` checks what they claim.
        """
        header = _Header.parse(value)
        return cls(
            lot=header.lot,
            generated_at=header.generated_at,
            log=header.log,
            keys=header.keys,
            events=tuple(
                BundleEvent.from_json(event, f"events[{i}]")
                for i, event in enumerate(header.events)
            ),
            head=header.head,
        )


def build_bundle(
    lot: LotKey,
    events: Iterable[tuple[ChainEntry, str]],
    keys: Iterable[KeyInfo],
    *,
    origin: str,
    verifier_key: str,
    checkpoint: str,
    generated_at: datetime,
    head: tuple[int, bytes | None] | None = None,
) -> Bundle:
    """A bundle from already-loaded parts.

    ``events`` are the lot's chain entries in chain order, each with who signed it
    (``portal`` or ``organization``); their inclusion proofs must be against the tree
    size of ``checkpoint`` (a signed note). ``keys`` are deduplicated by key id.
    """
    unique = {key.key_id: key for key in keys}
    return Bundle(
        lot=lot,
        generated_at=generated_at,
        log=BundleLog(origin, verifier_key, checkpoint),
        keys=tuple(BundleKey.of(unique[key_id]) for key_id in sorted(unique)),
        events=tuple(BundleEvent.of(entry, signed_by) for entry, signed_by in events),
        head=BundleHead(*head) if head is not None else None,
    )


# --------------------------------------------------------------------------- verification


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
) -> BundleReport:
    """Verify a bundle offline, trusting only the log verifier key.

    ``log_key`` is the portal's published verifier key (``name+id+base64``), obtained
    independently of the bundle. Without it the bundle's own ``log.verifier_key`` is
    used and the report says so: a bundle that vouches for itself proves nothing about
    the portal. Never raises for any input: a malformed bundle is a failed report.
    """
    check = _Verification(log_key is not None)
    try:
        return _verify(check, bundle, log_key, progress)
    except Exception as exc:  # untrusted input must never crash an inspector's tool
        return check.fail(
            BundleFault.MALFORMED, f"the bundle cannot be read: {type(exc).__name__}: {exc}"
        )


def _verify(
    check: _Verification,
    bundle: Mapping[str, Any],
    log_key: str | None,
    progress: ProgressCallback | None,
) -> BundleReport:
    try:
        header = _Header.parse(bundle)
    except MalformedBundle as exc:
        return check.fail(BundleFault.MALFORMED, str(exc))
    check.lot = header.lot
    check.note(
        OK_MARK,
        f"{BUNDLE_FORMAT} for lot {header.lot}: {len(header.events)} events, "
        f"{len(header.keys)} keys, generated {format_record_time(header.generated_at)}",
    )

    checkpoint = _open_checkpoint(check, header.log, log_key)
    if isinstance(checkpoint, BundleReport):
        return checkpoint
    check.checkpoint_size = checkpoint.size
    if checkpoint.origin != header.log.origin:
        return check.fail(
            BundleFault.INCONSISTENT,
            f"log.origin is {header.log.origin!r}, but the signed checkpoint is of log "
            f"{checkpoint.origin!r}",
        )

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

    if not header.events:
        return check.fail(
            BundleFault.INCONSISTENT, f"the bundle holds no events of lot {header.lot}"
        )

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
        f"root {_b64(checkpoint.root_hash)}",
    )
    return checkpoint


def _parse_events(header: _Header) -> tuple[list[ChainEntry], BundleFailure | None]:
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
