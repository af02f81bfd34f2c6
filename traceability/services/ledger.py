"""Appending events: chain them on every lot they name, sign, and sequence them into the log.

One call is one transaction (the caller's). Order of locks, always the same:
the named lots' rows in id order, then the log's single state row. That order is
what lets concurrent writers on overlapping lots proceed without deadlock, and
the row locks are what keep every chain and the log free of forks and gaps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.chain.record import (
    ORGANIZATION_CUSTODY,
    PORTAL_CUSTODY,
    ChainLink,
    EventRecord,
    LotKey,
    link_event,
)
from traceability.clock import Clock, as_utc, utc_now
from traceability.crypto.sealing import unseal
from traceability.crypto.signing import SigningKey, verify_signature
from traceability.db.models import Chain, SigningKeyRow
from traceability.epcis.index import identifiers, query_columns
from traceability.errors import BadSignature, Conflict, InvalidInput, NotFound
from traceability.log.merkle import NodeId
from traceability.repositories.chains import ChainRepository
from traceability.repositories.ledger import LedgerRepository
from traceability.repositories.log import LogRepository
from traceability.repositories.organizations import SigningKeyRepository
from traceability.services.transparency import TransparencyService


@dataclass(frozen=True)
class ClientSignature:
    """A record the business built and signed itself; the portal only checks and stores it."""

    key_id: str
    recorded_at: datetime
    links: tuple[ChainLink, ...]
    signature: bytes


@dataclass(frozen=True)
class Submission:
    event: Mapping[str, Any]
    lots: Sequence[LotKey]
    organization_id: str
    client_signature: ClientSignature | None = None


@dataclass(frozen=True)
class Appended:
    record: EventRecord
    event_hash: bytes
    signature: bytes
    signed_by: str
    log_index: int


@dataclass(frozen=True)
class _Prepared:
    record: EventRecord
    event_hash: bytes
    signature: bytes
    signed_by: str
    row: dict[str, Any]
    identifiers: list[tuple[str, str]]


def _row_and_identifiers(
    index: int, event: Mapping[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The event's row fields and query identifiers: all that depends on the event alone."""
    row = {
        "event_id": event["eventID"],
        "event": dict(event),
        "event_type": str(event.get("type", "Event"))[:40],
        "event_time": parse_event_time(event, index),
        **query_columns(event),
    }
    return row, sorted(identifiers(event))


def parse_event_time(event: Mapping[str, Any], index: int) -> datetime | None:
    value = event.get("eventTime")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(
            f"event {index}: eventTime {value!r} is not an ISO 8601 date-time", field="eventTime"
        ) from exc
    if moment.tzinfo is None:
        raise InvalidInput(
            f"event {index}: eventTime must carry a time zone offset", field="eventTime"
        )
    return as_utc(moment)


class LedgerService:
    def __init__(
        self,
        master_key: bytes,
        log: TransparencyService,
        clock: Clock = utc_now,
        client_clock_skew_seconds: int = 300,
    ) -> None:
        self.master_key = master_key
        self.log = log
        self.clock = clock
        self.skew = timedelta(seconds=client_clock_skew_seconds)

    async def append(
        self, session: AsyncSession, submissions: Sequence[Submission]
    ) -> list[Appended]:
        if not submissions:
            return []
        identities = self._check_ids(submissions)
        # Everything that does not depend on the chains is worked out before any lock.
        rows = [_row_and_identifiers(index, s.event) for index, s in enumerate(submissions)]
        wanted = sorted({lot for s in submissions for lot in s.lots})
        chains = await ChainRepository(session).ensure_and_lock([(k.gtin, k.lot) for k in wanted])
        by_key = {LotKey(row.gtin, row.lot_code): row for row in chains}
        heads: dict[LotKey, tuple[int, bytes | None]] = {
            k: (row.head_seq, row.head_hash) for k, row in by_key.items()
        }

        now = self.clock()
        signers = await self._portal_signers(session, submissions, now)
        client_keys = {
            k.key_id: k
            for k in await SigningKeyRepository(session).many(
                [s.client_signature.key_id for s in submissions if s.client_signature]
            )
        }

        prepared: list[_Prepared] = []
        for index, submission in enumerate(submissions):
            links = link_event(heads, submission.lots)
            if submission.client_signature is None:
                signer = signers[submission.organization_id]
                record = EventRecord(
                    submission.event, submission.organization_id, signer.key_id, links, now
                )
                event_hash = record.hash()
                signature, signed_by = signer.sign(event_hash), PORTAL_CUSTODY
            else:
                record = self._client_record(index, submission, links, client_keys, now)
                event_hash = record.hash()
                signature, signed_by = submission.client_signature.signature, ORGANIZATION_CUSTODY
                if not verify_signature(
                    client_keys[record.key_id].public_key, signature, event_hash
                ):
                    raise BadSignature(
                        f"event {index}: signature does not verify with key {record.key_id}",
                        field="signature",
                    )
            for link in links:
                heads[link.lot] = (link.seq, event_hash)
            prepared.append(_Prepared(record, event_hash, signature, signed_by, *rows[index]))

        return await self._store(session, identities, prepared, by_key, heads)

    async def _store(
        self,
        session: AsyncSession,
        identities: Sequence[tuple[str, bool]],
        prepared: Sequence[_Prepared],
        chains: Mapping[LotKey, Chain],
        heads: Mapping[LotKey, tuple[int, bytes | None]],
    ) -> list[Appended]:
        log = LogRepository(session)
        # The sequencer lock is taken last and held only for the inserts below.
        state = await log.state(lock=True)
        ledger = LedgerRepository(session)
        # Checked under the sequencer lock, so a racing twin of this event is already
        # committed and visible here: exactly one copy is ever stored.
        duplicates = await ledger.existing(identities)
        if duplicates:
            event_id, declares = sorted(duplicates)[0]
            what = "an error declaration for event" if declares else "event"
            raise Conflict(f"{what} {event_id} is already recorded", field="eventID")
        # The tree is rebuilt from stored nodes and checked against the last signed
        # checkpoint before anything is added to it; the state row is not trusted.
        start = await self.log.extension(session, state.size, state.root)
        frontier = start.frontier
        nodes: list[tuple[NodeId, bytes]] = []
        appended: list[Appended] = []
        for item in prepared:
            index = frontier.size
            frontier, new_nodes = frontier.append(item.event_hash)
            nodes.extend(new_nodes)
            appended.append(
                Appended(item.record, item.event_hash, item.signature, item.signed_by, index)
            )

        await _insert_events(ledger, prepared, appended, chains, heads)
        await log.insert_leaves([(a.log_index, a.event_hash, a.record.event_id) for a in appended])
        await log.insert_nodes(nodes)
        await log.save_state(frontier.size, frontier.to_bytes(), frontier.root())
        # Signed here and only here: the checkpoint commits with the leaves it covers.
        await self.log.seal(session, start, frontier, nodes)
        return appended

    def _check_ids(self, submissions: Sequence[Submission]) -> list[tuple[str, bool]]:
        """Each event's identity: its eventID, and whether it declares an error in that event."""
        seen: set[tuple[str, bool]] = set()
        for index, submission in enumerate(submissions):
            event_id = submission.event.get("eventID")
            if not isinstance(event_id, str) or not event_id:
                raise InvalidInput(f"event {index}: eventID is missing", field="eventID")
            identity = (event_id, isinstance(submission.event.get("errorDeclaration"), Mapping))
            if identity in seen:
                raise Conflict(
                    f"event {index}: eventID {event_id} appears twice in this request",
                    field="eventID",
                )
            seen.add(identity)
        return sorted(seen)

    async def _portal_signers(
        self, session: AsyncSession, submissions: Sequence[Submission], now: datetime
    ) -> dict[str, SigningKey]:
        keys = SigningKeyRepository(session)
        signers: dict[str, SigningKey] = {}
        for organization_id in sorted(
            {s.organization_id for s in submissions if s.client_signature is None}
        ):
            row = await keys.portal_held_signing_key(organization_id, now)
            if row is None or row.sealed_private_key is None:
                raise NotFound(
                    "the portal holds no valid signing key for this organisation; "
                    "create one or sign events with your own key",
                    field="key_id",
                )
            raw = unseal(self.master_key, row.sealed_private_key, associated=row.key_id)
            signers[organization_id] = SigningKey.from_raw(raw)
        return signers

    def _client_record(
        self,
        index: int,
        submission: Submission,
        links: tuple[ChainLink, ...],
        keys: Mapping[str, SigningKeyRow],
        now: datetime,
    ) -> EventRecord:
        signed = submission.client_signature
        assert signed is not None
        key = keys.get(signed.key_id)
        if key is None or key.organization_id != submission.organization_id:
            raise BadSignature(
                f"event {index}: key {signed.key_id} is not a key of this organisation",
                field="key_id",
            )
        if key.revoked_at is not None:
            raise BadSignature(f"event {index}: key {signed.key_id} is revoked", field="key_id")
        recorded_at = as_utc(signed.recorded_at)
        if abs(recorded_at - now) > self.skew:
            raise InvalidInput(
                f"event {index}: recorded_at is more than {self.skew.seconds} s from the "
                "portal's clock",
                field="recorded_at",
            )
        if recorded_at < as_utc(key.valid_from) or (
            key.valid_to is not None and recorded_at >= as_utc(key.valid_to)
        ):
            raise BadSignature(
                f"event {index}: key {signed.key_id} is not valid at {recorded_at.isoformat()}",
                field="key_id",
            )
        if tuple(sorted(signed.links, key=lambda k: k.lot)) != links:
            raise Conflict(
                f"event {index}: the chain heads moved since the record was signed; "
                "fetch the heads again and re-sign",
                field="links",
            )
        return EventRecord(
            submission.event, submission.organization_id, signed.key_id, links, recorded_at
        )


async def _insert_events(
    ledger: LedgerRepository,
    prepared: Sequence[_Prepared],
    appended: Sequence[Appended],
    chains: Mapping[LotKey, Chain],
    heads: Mapping[LotKey, tuple[int, bytes | None]],
) -> None:
    """The events' rows, their identifiers and chain links, and the lots' new heads."""
    event_pks = await ledger.insert_events(
        [
            item.row
            | {
                "organization_id": a.record.organization_id,
                "key_id": a.record.key_id,
                "recorded_at": a.record.recorded_at,
                "event_hash": a.event_hash,
                "signature": a.signature,
                "signed_by": a.signed_by,
                "log_index": a.log_index,
            }
            for item, a in zip(prepared, appended, strict=True)
        ]
    )
    await ledger.insert_identifiers(
        [
            {"event_pk": pk, "role": role, "value": value}
            for pk, item in zip(event_pks, prepared, strict=True)
            for role, value in item.identifiers
        ]
    )
    await ledger.insert_links(
        [
            {
                "chain_id": chains[link.lot].id,
                "seq": link.seq,
                "event_pk": pk,
                "prev_hash": link.prev,
            }
            for pk, a in zip(event_pks, appended, strict=True)
            for link in a.record.links
        ]
    )
    moved = {link.lot for a in appended for link in a.record.links}
    await ledger.move_heads(
        [
            {"id": chains[k].id, "head_seq": heads[k][0], "head_hash": heads[k][1]}
            for k in sorted(moved)
        ]
    )
