"""Asking the configured witnesses to cosign the log's newest checkpoint (C2SP tlog-witness),
keeping their cosignatures, and saying how current each witness is.

This runs after the append has committed, in the background (traceability.background
.witnessing): a witness that is slow, down or refusing never holds up a capture. One round
reads the newest checkpoint and each witness's last cosigned size (:meth:`plan`), sends each
witness that is behind an ``add-checkpoint`` request with the consistency proof from its
size (:meth:`ask`; on a 409 it tries again once from the size the witness reports), and
stores the cosignatures and statuses (:meth:`record`). Each step runs in its caller's
transaction; the HTTP calls run in none.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, as_utc, utc_now
from traceability.errors import TraceabilityError
from traceability.log.cosignature import Cosignature, check_cosignatures, with_signature_lines
from traceability.log.note import Checkpoint
from traceability.log.witness_protocol import (
    SIZE_MEDIA_TYPE,
    WitnessEndpoint,
    add_checkpoint_body,
)
from traceability.repositories.log import LogRepository
from traceability.repositories.witnesses import WitnessRepository
from traceability.services.log_audit.results import SignedCheckpoint
from traceability.services.transparency import TransparencyService

WITNESS_COSIGNED_SIZE = Gauge(
    "traceability_witness_cosigned_size",
    "Tree size of the newest checkpoint the witness cosigned",
    ["witness"],
)
WITNESS_LAG = Gauge(
    "traceability_witness_lag_leaves",
    "Leaves between the log's newest checkpoint and the newest one the witness cosigned",
    ["witness"],
)
WITNESS_COSIGNED_TIME = Gauge(
    "traceability_witness_cosigned_timestamp_seconds",
    "Time the witness put in its newest cosignature (POSIX seconds)",
    ["witness"],
)
WITNESS_UP = Gauge(
    "traceability_witness_ok",
    "1 when the witness cosigned at the last attempt, 0 when it was unreachable or refused",
    ["witness"],
)
WITNESS_ERRORS = Counter(
    "traceability_witness_errors_total",
    "Requests to the witness that gave no cosignature (unreachable, refused, bad answer)",
    ["witness"],
)
WITNESS_ROUND_SECONDS = Histogram(
    "traceability_witness_round_seconds",
    "Time to get the newest checkpoint cosigned by the witnesses asked (one round)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# How long a witness may take to answer one request before the round gives up on it.
REQUEST_TIMEOUT_SECONDS = 5.0
# The answers a witness gives are a few lines; more is not a witness.
_MAX_ANSWER_CHARS = 4096

ProofSource = Callable[[int, int], Awaitable[list[bytes]]]


@dataclass(frozen=True)
class WitnessRound:
    """What one round asks: the newest checkpoint, and each witness's size to prove from."""

    checkpoint: Checkpoint
    note: str  # the log's note of it, with the log's signature only
    old_sizes: Mapping[str, int]  # witness verifier key -> the size it last cosigned
    proofs: Mapping[int, list[bytes]]  # old size -> consistency proof to the checkpoint
    asked: tuple[WitnessEndpoint, ...]


@dataclass(frozen=True)
class WitnessOutcome:
    endpoint: WitnessEndpoint
    cosignature: Cosignature | None
    error: str | None


@dataclass(frozen=True)
class WitnessReport:
    name: str
    key: str
    url: str
    cosigned_size: int | None
    cosigned_at: datetime | None
    lag: int | None  # leaves behind the log's newest checkpoint (None: never cosigned)
    attempted_at: datetime | None
    last_error: str | None
    error_at: datetime | None


def _utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


class WitnessService:
    def __init__(
        self,
        endpoints: Sequence[WitnessEndpoint],
        quorum: int,
        transparency: TransparencyService,
        clock: Clock = utc_now,
    ) -> None:
        self.endpoints = tuple(endpoints)
        self.quorum = quorum
        self.transparency = transparency
        self.clock = clock
        self._wanted = asyncio.Event()

    # ------------------------------------------------------------------ waking the round

    def checkpoint_signed(self) -> None:
        """Called once an append's transaction has committed: wake the background round.
        Never waits, so capture never waits for a witness."""
        if self.endpoints:
            self._wanted.set()

    async def next_checkpoint(self, timeout: float) -> None:
        """Wait until a checkpoint was signed, or ``timeout`` seconds (to retry a witness that
        was down)."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wanted.wait(), timeout)
        self._wanted.clear()

    # ------------------------------------------------------------------ one round

    async def plan(self, session: AsyncSession) -> WitnessRound | None:
        """The round the newest checkpoint needs; None when every witness has cosigned it."""
        if not self.endpoints:
            return None
        stored = await self.transparency.latest_checkpoint(session)
        checkpoint = self.transparency.opened(stored.note)
        repo = WitnessRepository(session)
        statuses = await repo.statuses()
        have = {row.witness_key for row in await repo.cosignatures(checkpoint.size)}
        old_sizes: dict[str, int] = {}
        asked = []
        for endpoint in self.endpoints:
            key = endpoint.verifier.verifier_key()
            if key in have:
                continue
            status = statuses.get(key)
            old = status.cosigned_size if status is not None and status.cosigned_size else 0
            old_sizes[key] = old
            asked.append(endpoint)
        if not asked:
            return None
        proofs: dict[int, list[bytes]] = {}
        for old in set(old_sizes.values()):
            if 0 < old < checkpoint.size:
                try:
                    proofs[old] = await self.transparency.consistency_proof(
                        session, old, checkpoint.size
                    )
                except TraceabilityError:
                    continue  # asked from 0 instead: the witness answers 409 with its size
        return WitnessRound(checkpoint, stored.note, old_sizes, proofs, tuple(asked))

    async def ask(
        self, client: httpx.AsyncClient, plan: WitnessRound, proofs: ProofSource
    ) -> list[WitnessOutcome]:
        """Send every witness of the round its request, all at once."""
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(self._ask_one(client, plan, endpoint, proofs) for endpoint in plan.asked)
        )
        WITNESS_ROUND_SECONDS.observe(time.perf_counter() - started)
        return list(outcomes)

    async def _ask_one(
        self,
        client: httpx.AsyncClient,
        plan: WitnessRound,
        endpoint: WitnessEndpoint,
        proofs: ProofSource,
    ) -> WitnessOutcome:
        size = plan.checkpoint.size
        old = plan.old_sizes[endpoint.verifier.verifier_key()]
        for _ in range(2):
            if old > size:
                return self._failed(
                    endpoint,
                    f"the witness holds a tree of {old} leaves, larger than the log's newest "
                    f"checkpoint ({size}): it saw a tree this log no longer serves",
                )
            if old in plan.proofs:
                proof = plan.proofs[old]
            elif 0 < old < size:
                try:
                    proof = await proofs(old, size)
                except TraceabilityError as exc:
                    return self._failed(endpoint, f"no consistency proof from size {old}: {exc}")
            else:
                proof = []
            try:
                answer = await client.post(
                    f"{endpoint.url}/add-checkpoint",
                    content=add_checkpoint_body(old, proof, plan.note),
                    timeout=REQUEST_TIMEOUT_SECONDS,
                )
            except httpx.HTTPError as exc:
                return self._failed(endpoint, f"unreachable: {type(exc).__name__}: {exc}")
            text = answer.text[:_MAX_ANSWER_CHARS]
            if answer.status_code == 200:
                return self._cosigned(endpoint, plan.note, text)
            media_type = answer.headers.get("content-type", "").split(";")[0].strip()
            if answer.status_code == 409 and media_type == SIZE_MEDIA_TYPE:
                held = text.strip()
                if not held.isdigit() or int(held) == old:
                    return self._failed(
                        endpoint,
                        f"refused (409): it cosigned another tree of size {held}, a split view "
                        "or a rewritten log",
                    )
                old = int(held)
                continue
            return self._failed(
                endpoint, f"refused ({answer.status_code}): {text.strip()[:300] or 'no reason'}"
            )
        return self._failed(endpoint, "refused (409) again after trying from its own size")

    def _cosigned(self, endpoint: WitnessEndpoint, note: str, text: str) -> WitnessOutcome:
        lines = [line for line in text.split("\n") if line]
        try:
            found = endpoint.verifier.cosignature(with_signature_lines(note, lines))
        except TraceabilityError as exc:
            return self._failed(endpoint, f"answered with no valid cosignature: {exc}")
        if found is None:
            return self._failed(endpoint, "answered with no cosignature by its key")
        return WitnessOutcome(endpoint, found, None)

    @staticmethod
    def _failed(endpoint: WitnessEndpoint, error: str) -> WitnessOutcome:
        WITNESS_ERRORS.labels(endpoint.verifier.name).inc()
        WITNESS_UP.labels(endpoint.verifier.name).set(0)
        return WitnessOutcome(endpoint, None, error)

    async def record(
        self, session: AsyncSession, plan: WitnessRound, outcomes: Sequence[WitnessOutcome]
    ) -> None:
        """Store the round's cosignatures and each witness's new status."""
        now = self.clock()
        size = plan.checkpoint.size
        cosignatures: list[dict[str, object]] = []
        cosigned: list[dict[str, object]] = []
        failed: list[dict[str, object]] = []
        for outcome in outcomes:
            verifier = outcome.endpoint.verifier
            values: dict[str, object] = {
                "witness_key": verifier.verifier_key(),
                "name": verifier.name,
                "url": outcome.endpoint.url,
                "attempted_at": now,
            }
            found = outcome.cosignature
            if found is None:
                failed.append({**values, "last_error": outcome.error, "error_at": now})
                continue
            cosigned_at = datetime.fromtimestamp(found.timestamp, UTC)
            cosignatures.append(
                {
                    "size": size,
                    "witness_key": values["witness_key"],
                    "line": found.line,
                    "cosigned_at": cosigned_at,
                    "received_at": now,
                }
            )
            cosigned.append(
                {
                    **values,
                    "cosigned_size": size,
                    "cosigned_at": cosigned_at,
                    "last_error": None,
                    "error_at": None,
                }
            )
            WITNESS_UP.labels(verifier.name).set(1)
            WITNESS_COSIGNED_SIZE.labels(verifier.name).set(size)
            WITNESS_COSIGNED_TIME.labels(verifier.name).set(found.timestamp)
            WITNESS_LAG.labels(verifier.name).set(0)
        repo = WitnessRepository(session)
        await repo.add_cosignatures(cosignatures)
        await repo.save_statuses(cosigned)
        await repo.save_statuses(failed)

    # ------------------------------------------------------------------ reads

    async def cosigned_note(self, session: AsyncSession, size: int, note: str) -> str:
        """The log's note of the checkpoint of ``size`` with the stored cosignature lines after
        the log's own (C2SP signed note with several signatures)."""
        if not self.endpoints:
            return note
        rows = await WitnessRepository(session).cosignatures(size)
        trusted = {e.verifier.verifier_key() for e in self.endpoints}
        return with_signature_lines(note, [r.line for r in rows if r.witness_key in trusted])

    async def evidence_checkpoint(
        self, session: AsyncSession, newest: SignedCheckpoint, covering: int
    ) -> SignedCheckpoint:
        """The checkpoint to prove leaves ``0 .. covering-1`` against, its note carrying the
        stored cosignature lines: the newest that met the quorum and whose tree holds those
        leaves, so that evidence of settled events stays witnessed while a newer checkpoint
        awaits its witnesses. When no witnessed checkpoint holds them all, the newest, with
        the cosignatures it has: a verifier that enforces the quorum then says honestly that
        the newest leaves are not witnessed yet. Never an older checkpoint that leaves any of
        them out. Without witnesses, the newest as it is."""
        note = await self.cosigned_note(session, newest.size, newest.note)
        current = SignedCheckpoint(newest.size, newest.root, note)
        if not self.endpoints or len(self.witnessed(note)) >= self.quorum:
            return current
        trusted = [endpoint.verifier.verifier_key() for endpoint in self.endpoints]
        size = await WitnessRepository(session).newest_cosigned_size(
            trusted, self.quorum, below=newest.size, at_least=max(covering, 1)
        )
        row = await LogRepository(session).checkpoint_at(size) if size is not None else None
        if row is None:
            return current
        try:
            opened = self.transparency.opened(row.note)
        except TraceabilityError:
            return current  # a row the log never signed is no evidence
        if opened.size != row.size:
            return current
        witnessed = await self.cosigned_note(session, row.size, row.note)
        # The stored lines were checked when they arrived; a row changed since does not count.
        if len(self.witnessed(witnessed)) < self.quorum:
            return current
        return SignedCheckpoint(opened.size, opened.root_hash, witnessed)

    def witnessed(self, note: str) -> tuple[str, ...]:
        """Names of the configured witnesses whose cosignature on the note verifies."""
        return check_cosignatures(note, [e.verifier for e in self.endpoints]).cosigned_by

    async def report(self, session: AsyncSession) -> tuple[int, list[WitnessReport]]:
        """The log's newest checkpoint size, and how current each configured witness is."""
        stored = await self.transparency.latest_checkpoint(session)
        statuses = await WitnessRepository(session).statuses()
        reports = []
        for endpoint in self.endpoints:
            key = endpoint.verifier.verifier_key()
            row = statuses.get(key)
            cosigned = row.cosigned_size if row is not None else None
            lag = stored.size - cosigned if cosigned is not None else None
            if lag is not None:
                WITNESS_LAG.labels(endpoint.verifier.name).set(lag)
            reports.append(
                WitnessReport(
                    name=endpoint.verifier.name,
                    key=key,
                    url=endpoint.url,
                    cosigned_size=cosigned,
                    cosigned_at=_utc(row.cosigned_at if row is not None else None),
                    lag=lag,
                    attempted_at=_utc(row.attempted_at if row is not None else None),
                    last_error=row.last_error if row is not None else None,
                    error_at=_utc(row.error_at if row is not None else None),
                )
            )
        return stored.size, reports
