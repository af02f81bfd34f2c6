"""An inspector's trace of a lot: one step back and one step forward (Circular 02/2024/TT-BKHCN),
its full genealogy, the scope of a recall, what their pictures show, and an FSMA 204 style CSV
of every event involved; and a lot's public journey.

Each answer walks the genealogy (:mod:`.graph`) through one repository in the caller's
transaction; :class:`TraceService` holds the one setting they share, the walk's size limit.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.repositories.trace import TraceRepository
from traceability.services.trace import export, genealogy, maps, recall
from traceability.services.trace.graph import DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES
from traceability.services.trace.maps import PICTURE_MAX_NODES, TraceMap
from traceability.services.trace.results import (
    Direction,
    Genealogy,
    Journey,
    KnownChain,
    OneStepTrace,
    RecallScope,
)


class TraceService:
    def __init__(self, max_nodes: int = DEFAULT_MAX_NODES) -> None:
        self.max_nodes = max_nodes

    async def one_step(self, session: AsyncSession, gtin: str, lot: str) -> OneStepTrace:
        """See :func:`.genealogy.one_step`."""
        return await genealogy.one_step(TraceRepository(session), gtin, lot, self.max_nodes)

    async def journey(
        self,
        session: AsyncSession,
        gtin: str,
        lot: str,
        upstream_depth: int = 10,
        *,
        known: KnownChain | None = None,
        repo: TraceRepository | None = None,
    ) -> Journey:
        """``known``: the lot's chain, already read in this transaction (and the lot known to
        exist); ``repo``: the repository to read through (one that remembers rows the caller
        read, say)."""
        return await genealogy.journey(
            repo or TraceRepository(session), gtin, lot, upstream_depth, self.max_nodes, known
        )

    async def genealogy(
        self,
        session: AsyncSession,
        gtin: str,
        lot: str,
        direction: Direction = "both",
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> Genealogy:
        """See :func:`.genealogy.genealogy`."""
        return await genealogy.genealogy(
            TraceRepository(session), gtin, lot, direction, max_depth, self.max_nodes
        )

    async def recall_scope(self, session: AsyncSession, gtin: str, lot: str) -> RecallScope:
        """See :func:`.recall.recall_scope`."""
        return await recall.recall_scope(TraceRepository(session), gtin, lot, self.max_nodes)

    async def trace_map(
        self, session: AsyncSession, gtin: str, lot: str, direction: Direction = "both"
    ) -> TraceMap:
        """What a genealogy picture shows (see :func:`.maps.trace_map`); the recall scope's
        is the forward one. At most :data:`.maps.PICTURE_MAX_NODES` nodes."""
        return await maps.trace_map(
            TraceRepository(session), gtin, lot, direction, min(self.max_nodes, PICTURE_MAX_NODES)
        )

    async def export_csv(
        self,
        session: AsyncSession,
        gtin: str,
        lot: str,
        sort_by: str = "event_time",
        descending: bool = False,
    ) -> str:
        """See :func:`.export.export_csv`."""
        return await export.export_csv(
            TraceRepository(session), gtin, lot, sort_by, descending, self.max_nodes
        )
