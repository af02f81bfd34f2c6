"""One lot's chain as an audit and a public page read it: every event with its links, its log
leaf and its signing key, and the log's head with the checkpoints around it.

A lot page audits the chain and walks the lot's journey from the same rows; reading them once,
in one round trip, replaces the per-table reads (chain, events, links, leaves, keys,
retractions) each of those made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Row,
    Select,
    bindparam,
    exists,
    func,
    select,
)
from sqlalchemy.orm import aliased

from traceability.db.models import (
    Chain,
    ChainLinkRow,
    Event,
    LogCheckpoint,
    LogLeaf,
    LogState,
    Organization,
    SigningKeyRow,
)
from traceability.repositories.base import Repository

LOG_STATE_ID: Final = 1


@dataclass(frozen=True, slots=True)
class LinkRow:
    gtin: str
    lot_code: str
    seq: int
    prev_hash: bytes | None


@dataclass(frozen=True, slots=True)
class KeyRow:
    key_id: str
    organization_id: str
    public_key: bytes
    valid_from: datetime
    valid_to: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    """An event on the lot's chain, as stored, with every link it has (into any lot)."""

    seq: int  # its place on this lot's chain
    pk: int
    event_id: str
    declares_error: bool
    organization_id: str
    key_id: str
    event: dict[str, Any]
    recorded_at: datetime
    event_hash: bytes
    signature: bytes
    signed_by: str
    log_index: int
    links: tuple[LinkRow, ...]
    leaf_hash: bytes | None  # what the log holds at log_index, if anything
    key: KeyRow | None
    retracted: bool  # its own organisation declared it erroneous
    # The organisation that recorded it (a page names it on the stage; read with the chain).
    organization: Organization | None = None


@dataclass(frozen=True, slots=True)
class LotChain:
    head_seq: int
    head_hash: bytes | None
    events: tuple[ChainedEvent, ...]  # in chain order


@dataclass(frozen=True, slots=True)
class LogHead:
    """The log's size, its newest stored checkpoint (if any) and the one before that."""

    size: int
    checkpoint: LogCheckpoint | None
    previous: LogCheckpoint | None
    # The largest checkpoint size stored at all: above ``size`` when leaves were removed.
    largest_signed: int | None = None


# Statements built once: one with aliases costs about a millisecond of CPU to build, more
# than running it.

# A lot's chain head and, one row per (place on the chain, link of its event), the event,
# the link, the event's log leaf and signing key, and whether it was retracted.
_own = aliased(ChainLinkRow)
_other = aliased(ChainLinkRow)
_other_chain = aliased(Chain)
_declaration = aliased(Event)
_recorder = aliased(Organization, name="recorder")
# Retracted: the organisation that recorded the event declared it erroneous. Another
# organisation's declaration with the same eventID retracts nothing.
_retracted = exists().where(
    _declaration.event_id == Event.event_id,
    _declaration.organization_id == Event.organization_id,
    _declaration.declares_error.is_(True),
)
# The chain's columns, one row per (place on the chain, link of its event); a lot page reads
# them beside its registry rows (repositories/lot_page.py).
# What an audit reads of an event: its hashed record, stored hash and signature (the indexed
# query columns, biz_step, read_point and the like, are copies of the event body).
AUDITED_EVENT_COLUMNS: Final = (
    Event.id,
    Event.event_id,
    Event.organization_id,
    Event.key_id,
    Event.event,
    Event.recorded_at,
    Event.event_hash,
    Event.signature,
)
CHAIN_COLUMNS: Final = (
    Chain.head_seq,
    Chain.head_hash,
    _own.seq.label("own_seq"),
    *AUDITED_EVENT_COLUMNS,
    Event.declares_error,
    Event.signed_by,
    Event.log_index,
    _other_chain.gtin.label("link_gtin"),
    _other_chain.lot_code.label("link_lot"),
    _other.seq.label("link_seq"),
    _other.prev_hash.label("link_prev"),
    LogLeaf.event_hash.label("leaf_hash"),
    SigningKeyRow.key_id.label("signing_key_id"),
    SigningKeyRow.organization_id.label("key_organization_id"),
    SigningKeyRow.public_key,
    SigningKeyRow.valid_from,
    SigningKeyRow.valid_to,
    SigningKeyRow.revoked_at,
    _retracted.label("retracted"),
)
CHAIN_ORDER: Final = (_own.seq, _other.chain_id, _other.seq)


def with_chain(stmt: Select[Any]) -> Select[Any]:
    """``stmt``, whose FROM has ``Chain``, joined to the rows of :data:`CHAIN_COLUMNS`."""
    return (
        stmt.outerjoin(_own, _own.chain_id == Chain.id)
        .outerjoin(Event, Event.id == _own.event_pk)
        .outerjoin(_other, _other.event_pk == Event.id)
        .outerjoin(_other_chain, _other_chain.id == _other.chain_id)
        .outerjoin(LogLeaf, LogLeaf.index == Event.log_index)
        .outerjoin(SigningKeyRow, SigningKeyRow.key_id == Event.key_id)
    )


_LOT_CHAIN: Final = (
    with_chain(select(*CHAIN_COLUMNS, _recorder).select_from(Chain))
    .outerjoin(_recorder, _recorder.id == Event.organization_id)
    .where(Chain.gtin == bindparam("gtin"), Chain.lot_code == bindparam("lot_code"))
    .order_by(*CHAIN_ORDER)
)

# The log's size, with its newest checkpoint (the log signs one with every append, so it is
# of that size unless something is wrong) and the checkpoint before that one.
_newest = aliased(LogCheckpoint)
_earlier = aliased(LogCheckpoint)
_current = (
    select(func.max(_newest.size))
    .where(_newest.size <= LogState.size)
    .correlate(LogState)
    .scalar_subquery()
)
_before = (
    select(func.max(_earlier.size))
    .where(_earlier.size < _current)
    .correlate(LogState)
    .scalar_subquery()
)
_largest = aliased(LogCheckpoint)
_newest_of_all = select(func.max(_largest.size)).scalar_subquery()
# Exported for the lot page's statement, which joins ``LogState`` itself.
NEWEST_CHECKPOINT_SIZE: Final = _current
PREVIOUS_CHECKPOINT_SIZE: Final = _before
LARGEST_SIGNED_SIZE: Final = _newest_of_all
_LOG_HEAD: Final = (
    select(LogState.size, _newest_of_all, LogCheckpoint)
    .outerjoin(LogCheckpoint, LogCheckpoint.size.in_([_current, _before]))
    .where(LogState.id == LOG_STATE_ID)
)


class LotChainRepository(Repository):
    async def lot_chain(self, gtin: str, lot_code: str) -> LotChain | None:
        """The lot's chain head and events in one statement; None when no event names the lot."""
        rows = (await self.session.execute(_LOT_CHAIN, {"gtin": gtin, "lot_code": lot_code})).all()
        if not rows:
            return None
        return chain_of(rows, lambda row: row.recorder)

    async def log_head(self) -> LogHead:
        """The log's size with its newest checkpoint and the one before, in one statement."""
        result = await self.session.execute(_LOG_HEAD)
        rows = result.all()
        size, largest = rows[0][0], rows[0][1]
        found = sorted((c for _, _, c in rows if c is not None), key=lambda c: c.size)
        current = found.pop() if found else None
        return LogHead(size, current, found[-1] if found else None, largest)


def chain_of(
    rows: Sequence[Row[Any]], recorder: Callable[[Row[Any]], Organization | None]
) -> LotChain:
    """The chain of rows of :data:`CHAIN_COLUMNS` (at least one); ``recorder``: the
    organisation that recorded a row's event, as its statement read it."""
    return LotChain(rows[0].head_seq, rows[0].head_hash, _events(rows, recorder))


def _events(
    rows: Sequence[Row[Any]], recorder: Callable[[Row[Any]], Organization | None]
) -> tuple[ChainedEvent, ...]:
    """One event per place on the chain, its links gathered from the rows that repeat it."""
    links: dict[int, list[LinkRow]] = {}
    firsts: dict[int, Row[Any]] = {}
    for row in rows:
        if row.own_seq is None:  # a chain whose links are all gone
            continue
        firsts.setdefault(row.own_seq, row)
        if row.link_gtin is not None:
            link = LinkRow(row.link_gtin, row.link_lot, row.link_seq, row.link_prev)
            links.setdefault(row.own_seq, []).append(link)
    return tuple(_event(row, links.get(seq, ()), recorder(row)) for seq, row in firsts.items())


def _event(
    row: Row[Any], links: Sequence[LinkRow], organization: Organization | None
) -> ChainedEvent:
    key = None
    if row.signing_key_id is not None:
        key = KeyRow(
            row.signing_key_id,
            row.key_organization_id,
            row.public_key,
            row.valid_from,
            row.valid_to,
            row.revoked_at,
        )
    return ChainedEvent(
        seq=row.own_seq,
        pk=row.id,
        event_id=row.event_id,
        declares_error=row.declares_error,
        organization_id=row.organization_id,
        key_id=row.key_id,
        event=row.event,
        recorded_at=row.recorded_at,
        event_hash=row.event_hash,
        signature=row.signature,
        signed_by=row.signed_by,
        log_index=row.log_index,
        links=tuple(links),
        leaf_hash=row.leaf_hash,
        key=key,
        retracted=bool(row.retracted),
        organization=organization,
    )
