"""Events and their chain links: appended, never updated or deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import any_, insert, select, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.exc import IntegrityError

from traceability.db.models import Chain, ChainLinkRow, Event, EventIdentifier
from traceability.errors import Conflict
from traceability.repositories import unnest
from traceability.repositories.base import Repository, table_of


@dataclass(frozen=True)
class StoredLink:
    gtin: str
    lot_code: str
    seq: int
    prev_hash: bytes | None


@dataclass(frozen=True)
class StoredEvent:
    row: Event
    links: tuple[StoredLink, ...]


class LedgerRepository(Repository):
    async def existing(self, keys: Sequence[tuple[str, bool]]) -> set[tuple[str, bool]]:
        """Which (eventID, is an error declaration) pairs are already recorded."""
        if not keys:
            return set()
        ids = sorted({k for k, _ in keys})
        stmt = select(Event.event_id, Event.declares_error)
        if self.dialect == "postgresql":  # one array parameter, whatever the count
            stmt = stmt.where(Event.event_id == any_(array(ids, type_=Event.event_id.type)))
        else:
            stmt = stmt.where(Event.event_id.in_(ids))
        result = await self.session.execute(stmt)
        return {(event_id, declares) for event_id, declares in result.all()} & set(keys)

    async def insert_events(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert events; returns their primary keys in the order given."""
        if not rows:
            return []
        try:
            if self.dialect == "postgresql":
                table = table_of(Event)
                columns = tuple(sorted(rows[0]))
                result = await self.session.execute(
                    unnest.insert_statement(table, columns, returning=("log_index", "id")),
                    unnest.parameters(table, columns, rows),
                )
                ids: dict[int, int] = {index: pk for index, pk in result.all()}
                return [ids[row["log_index"]] for row in rows]
            result = await self.session.execute(
                insert(Event).returning(Event.id, sort_by_parameter_order=True), list(rows)
            )
        except IntegrityError as exc:
            raise Conflict("an event with this eventID or hash is already recorded") from exc
        return [row[0] for row in result.all()]

    async def insert_identifiers(self, rows: Sequence[dict[str, Any]]) -> None:
        await self.insert_rows(table_of(EventIdentifier), rows)

    async def insert_links(self, rows: Sequence[dict[str, Any]]) -> None:
        await self.insert_rows(table_of(ChainLinkRow), rows)

    async def move_heads(self, heads: Sequence[dict[str, Any]]) -> None:
        """Set each chain's head (``id``, ``head_seq``, ``head_hash``) after an append."""
        if not heads:
            return
        if self.dialect == "postgresql":
            table, columns = table_of(Chain), ("head_seq", "head_hash")
            await self.session.execute(
                unnest.update_statement(table, "id", columns),
                unnest.parameters(table, ("id", *columns), heads),
            )
            return
        await self.session.execute(update(Chain), list(heads))

    async def by_event_id(self, event_id: str) -> list[StoredEvent]:
        """The event with this id and, when one was recorded, its error declaration."""
        result = await self.session.execute(
            select(Event).where(Event.event_id == event_id).order_by(Event.id)
        )
        rows = list(result.scalars())
        links = await self._links_of([r.id for r in rows])
        return [StoredEvent(r, links.get(r.id, ())) for r in rows]

    async def chain_of(self, chain_id: int) -> list[StoredEvent]:
        """Every event on one lot's chain, in sequence order, each with all its links."""
        result = await self.session.execute(
            select(Event)
            .join(ChainLinkRow, ChainLinkRow.event_pk == Event.id)
            .where(ChainLinkRow.chain_id == chain_id)
            .order_by(ChainLinkRow.seq)
        )
        rows = list(result.scalars())
        links = await self._links_of([r.id for r in rows])
        return [StoredEvent(r, links.get(r.id, ())) for r in rows]

    async def _links_of(self, event_pks: Sequence[int]) -> dict[int, tuple[StoredLink, ...]]:
        if not event_pks:
            return {}
        result = await self.session.execute(
            select(
                ChainLinkRow.event_pk,
                Chain.gtin,
                Chain.lot_code,
                ChainLinkRow.seq,
                ChainLinkRow.prev_hash,
            )
            .join(Chain, Chain.id == ChainLinkRow.chain_id)
            .where(ChainLinkRow.event_pk.in_(list(event_pks)))
        )
        links: dict[int, list[StoredLink]] = {}
        for event_pk, gtin, lot_code, seq, prev in result.all():
            links.setdefault(event_pk, []).append(StoredLink(gtin, lot_code, seq, prev))
        return {pk: tuple(v) for pk, v in links.items()}
