"""The Merkle log's rows: the sequencer state, leaves, complete-subtree nodes, checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    LargeBinary,
    SmallInteger,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from traceability.db.models import LogCheckpoint, LogIdentityRow, LogLeaf, LogNode, LogState
from traceability.log.merkle import NodeId
from traceability.repositories.base import Repository, table_of

_STATE_ID = 1
_SIZE, _LEAF, _NODE = 0, 1, 2


# Statements built once (building one costs more CPU than a proof's arithmetic). On
# PostgreSQL the wanted nodes go as two arrays, levels and indexes: the statement and its
# parameters are the same for any number of nodes, where a tuple IN list renders and binds
# two parameters a node.
_wanted = (
    func.unnest(
        bindparam("levels", type_=ARRAY(SmallInteger)),
        bindparam("indexes", type_=ARRAY(BigInteger)),
    )
    .table_valued("level", "index")
    .render_derived(name="wanted")
)
_BY_ARRAYS = and_(LogNode.level == _wanted.c.level, LogNode.index == _wanted.c.index)
_NODES_BY_ARRAYS: Final = select(LogNode.level, LogNode.index, LogNode.hash).join(
    _wanted, _BY_ARRAYS
)
# One proof's reads as rows (kind, level, position, hash): the log's size, the leaf, nodes.
_SIZE_ROW: Final = select(
    literal(_SIZE), literal(0), LogState.size, cast(null(), LargeBinary)
).where(LogState.id == _STATE_ID)
_LEAF_ROW: Final = select(literal(_LEAF), literal(0), LogLeaf.index, LogLeaf.event_hash).where(
    LogLeaf.index == bindparam("leaf")
)


_NODE_ROW_COLUMNS: Final = (literal(_NODE), LogNode.level, LogNode.index, LogNode.hash)
_PROOF_READS_BY_ARRAYS: Final = union_all(
    _SIZE_ROW, _LEAF_ROW, select(*_NODE_ROW_COLUMNS).join(_wanted, _BY_ARRAYS)
)


# Where an append starts, in one statement: the newest checkpoint (size, root, note) and the
# stored nodes whose fold is the tree of the log's size.
_CHECKPOINT_ROW: Final = select(
    literal(_SIZE), LogCheckpoint.size, LogCheckpoint.root, LogCheckpoint.note
).where(LogCheckpoint.size == select(func.max(LogCheckpoint.size)).scalar_subquery())
_HEAD_NODE_COLUMNS: Final = (LogNode.level, LogNode.index, LogNode.hash, cast(null(), Text))
_HEAD_READS_BY_ARRAYS: Final = union_all(
    _CHECKPOINT_ROW, select(*_HEAD_NODE_COLUMNS).join(_wanted, _BY_ARRAYS)
)


@dataclass(frozen=True)
class HeadReads:
    """The newest stored checkpoint (size, root, note), if any, and the named nodes."""

    checkpoint: tuple[int, bytes, str] | None
    nodes: dict[NodeId, bytes]


def _node_arrays(wanted: Sequence[tuple[int, int]]) -> dict[str, list[int]]:
    return {"levels": [w[0] for w in wanted], "indexes": [w[1] for w in wanted]}


@dataclass(frozen=True)
class ProofReads:
    """What one proof needs, read together: the log's size, a leaf's data, subtree hashes."""

    size: int
    leaf: bytes | None
    nodes: dict[NodeId, bytes]


class LogRepository(Repository):
    async def state(self, *, lock: bool = False) -> LogState:
        """The log's size, frontier and root; ``lock`` makes this transaction the sequencer."""
        stmt = select(LogState).where(LogState.id == _STATE_ID)
        if lock and self.locks_rows:
            stmt = stmt.with_for_update()
        result = await self.session.execute(stmt.execution_options(populate_existing=True))
        return result.scalar_one()

    async def save_state(self, size: int, frontier: bytes, root: bytes) -> None:
        await self.session.execute(
            update(LogState)
            .where(LogState.id == _STATE_ID)
            .values(size=size, frontier=frontier, root=root)
        )

    async def insert_leaves(self, leaves: Sequence[tuple[int, bytes, str]]) -> None:
        await self.insert_rows(
            table_of(LogLeaf), [{"index": i, "event_hash": h, "event_id": e} for i, h, e in leaves]
        )

    async def insert_nodes(self, nodes: Sequence[tuple[NodeId, bytes]]) -> None:
        await self.insert_rows(
            table_of(LogNode), [{"level": n.level, "index": n.index, "hash": h} for n, h in nodes]
        )

    async def nodes(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Fetch the named complete-subtree hashes in one round trip."""
        if not ids:
            return {}
        wanted = sorted({(n.level, n.index) for n in ids})
        if self.dialect == "postgresql":
            result = await self.session.execute(_NODES_BY_ARRAYS, _node_arrays(wanted))
        else:
            result = await self.session.execute(
                select(LogNode.level, LogNode.index, LogNode.hash).where(
                    tuple_(LogNode.level, LogNode.index).in_(wanted)
                )
            )
        return {NodeId(level, index): h for level, index, h in result.all()}

    async def proof_reads(self, leaf: int | None, ids: Sequence[NodeId]) -> ProofReads:
        """The log's size, leaf ``leaf``'s event hash and the named nodes, in one round trip.

        A proof is served from one statement rather than three: on a busy database each
        round trip costs about as much as the work of the proof itself.
        """
        wanted = sorted({(n.level, n.index) for n in ids})
        parameters: dict[str, Any] = {"leaf": -1 if leaf is None else leaf}
        if self.dialect == "postgresql":
            stmt = _PROOF_READS_BY_ARRAYS
            parameters |= _node_arrays(wanted)
        else:
            stmt = union_all(
                _SIZE_ROW,
                _LEAF_ROW,
                select(*_NODE_ROW_COLUMNS).where(tuple_(LogNode.level, LogNode.index).in_(wanted)),
            )
        result = await self.session.execute(stmt, parameters)
        size, leaf_data, nodes = 0, None, {}
        for kind, level, position, value in result.all():
            if kind == _SIZE:
                size = position
            elif kind == _LEAF:
                leaf_data = value
            else:
                nodes[NodeId(level, position)] = value
        return ProofReads(size, leaf_data, nodes)

    async def head_reads(self, ids: Sequence[NodeId]) -> HeadReads:
        """The newest checkpoint and the named nodes in one round trip: an append reads them
        under the sequencer lock, where every round trip holds up every other writer."""
        wanted = sorted({(n.level, n.index) for n in ids})
        if self.dialect == "postgresql":
            result = await self.session.execute(_HEAD_READS_BY_ARRAYS, _node_arrays(wanted))
        else:
            result = await self.session.execute(
                union_all(
                    _CHECKPOINT_ROW,
                    select(*_HEAD_NODE_COLUMNS).where(
                        tuple_(LogNode.level, LogNode.index).in_(wanted)
                    ),
                )
            )
        checkpoint: tuple[int, bytes, str] | None = None
        nodes: dict[NodeId, bytes] = {}
        for level, position, value, note in result.all():
            if note is not None:
                checkpoint = (position, value, note)
            else:
                nodes[NodeId(level, position)] = value
        return HeadReads(checkpoint, nodes)

    async def node_run(self, level: int, start: int, count: int) -> list[bytes]:
        """The hashes of nodes ``start .. start + count - 1`` of ``level``, left to right; fewer
        when the tree does not have them all yet (a tile is one primary-key range scan)."""
        result = await self.session.execute(
            select(LogNode.hash)
            .where(LogNode.level == level, LogNode.index >= start, LogNode.index < start + count)
            .order_by(LogNode.index)
        )
        return list(result.scalars())

    async def leaf_run(self, start: int, count: int) -> list[bytes]:
        """The data of leaves ``start .. start + count - 1`` (event hashes), left to right."""
        result = await self.session.execute(
            select(LogLeaf.event_hash)
            .where(LogLeaf.index >= start, LogLeaf.index < start + count)
            .order_by(LogLeaf.index)
        )
        return list(result.scalars())

    async def leaf(self, index: int) -> LogLeaf | None:
        return await self.session.get(LogLeaf, index)

    async def leaves(self, indexes: Sequence[int]) -> dict[int, bytes]:
        if not indexes:
            return {}
        result = await self.session.execute(
            select(LogLeaf.index, LogLeaf.event_hash).where(LogLeaf.index.in_(list(indexes)))
        )
        return {i: h for i, h in result.all()}

    async def latest_checkpoint(self) -> LogCheckpoint | None:
        result = await self.session.execute(
            select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
        )
        return result.scalar_one_or_none()

    async def checkpoint_before(self, size: int) -> LogCheckpoint | None:
        """The largest stored checkpoint smaller than ``size``."""
        result = await self.session.execute(
            select(LogCheckpoint)
            .where(LogCheckpoint.size < size)
            .order_by(LogCheckpoint.size.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def checkpoint_at(self, size: int) -> LogCheckpoint | None:
        return await self.session.get(LogCheckpoint, size)

    async def add_checkpoint(self, size: int, root: bytes, note: str, at: datetime) -> None:
        """Store a checkpoint; its size is new (the signer holds the sequencer lock)."""
        await self.insert_rows(
            table_of(LogCheckpoint),
            [{"size": size, "root": root, "note": note, "created_at": at}],
        )

    async def newest_checkpoints(self, limit: int) -> list[LogCheckpoint]:
        result = await self.session.execute(
            select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(limit)
        )
        return list(result.scalars())

    async def earliest_checkpoint(self) -> LogCheckpoint | None:
        result = await self.session.execute(
            select(LogCheckpoint).order_by(LogCheckpoint.size).limit(1)
        )
        return result.scalar_one_or_none()

    async def identity(self) -> LogIdentityRow | None:
        return await self.session.get(LogIdentityRow, _STATE_ID)

    async def record_identity(self, origin: str, verifier_key: str, at: datetime) -> None:
        """Record the log's identity; when two processes start a new log at once, the first
        one stored stands (the caller reads it back)."""
        values = {"id": _STATE_ID, "origin": origin, "verifier_key": verifier_key, "created_at": at}
        dialect_insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = dialect_insert(LogIdentityRow).values(**values).on_conflict_do_nothing()
        await self.session.execute(stmt)

    async def checkpoints_in(self, after: int, upto: int) -> list[LogCheckpoint]:
        """Stored checkpoints whose size is in ``(after, upto]``, smallest first."""
        result = await self.session.execute(
            select(LogCheckpoint)
            .where(LogCheckpoint.size > after, LogCheckpoint.size <= upto)
            .order_by(LogCheckpoint.size)
        )
        return list(result.scalars())
