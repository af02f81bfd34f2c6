"""Everything a lot page reads before its log proofs, in one statement: the lot's product,
producer, registration and origin, its chain (see lot_chain.py) with the organisations that
recorded its events and the locations they name, and the log's head with the checkpoints
around it.

A page built for a lot nobody scanned lately spends more on each round trip and on each ORM
statement than on the work done with the rows: here the rows come as plain columns of one
statement, and each registry row becomes a (transient) model object once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    bindparam,
    func,
    inspect,
    literal_column,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased

from traceability.db.models import (
    Base,
    Chain,
    Event,
    Location,
    LogCheckpoint,
    LogNode,
    LogState,
    Lot,
    Organization,
    Product,
)
from traceability.log.merkle import NodeId
from traceability.repositories.base import Repository
from traceability.repositories.lot_chain import (
    CHAIN_COLUMNS,
    CHAIN_ORDER,
    LARGEST_SIGNED_SIZE,
    LOG_STATE_ID,
    NEWEST_CHECKPOINT_SIZE,
    PREVIOUS_CHECKPOINT_SIZE,
    LogHead,
    LotChain,
    chain_of,
    with_chain,
)
from traceability.repositories.pages import LotPageHead

M = TypeVar("M", Product, Organization, Lot, Location, LogCheckpoint)

# An event's business location and read point as stored for queries (traceability.epcis.index):
# "/414/{gln}" and an optional "/254/{extension}"; the GLN is what a stage names its place by.
_GLN_PREFIX: Final = "/414/"
_GLN_LENGTH: Final = 13


@dataclass(frozen=True)
class LotPageRead:
    head: LotPageHead
    chain: LotChain | None  # None: no event names the lot
    log: LogHead
    # The locations the chain's events name, by GLN; None: no location has that GLN.
    locations: dict[str, Location | None]
    # Log nodes read with the rest (PostgreSQL): those the inclusion proofs of the chain's
    # leaves in the newest checkpoint can need (see _PROOF_NODES). Any other is read later.
    nodes: dict[NodeId, bytes]


def _labelled(entity: Any, model: type[M], prefix: str) -> list[ColumnElement[Any]]:
    """Every mapped column of ``model``, read through ``entity`` (it or an alias of it)."""
    return [
        getattr(entity, attr.key).label(prefix + attr.key) for attr in inspect(model).column_attrs
    ]


def _attributes(model: type[Base]) -> tuple[tuple[str, ...], str]:
    """The mapped attributes of ``model`` and (the first of) its primary key's."""
    mapper = inspect(model)
    return tuple(attr.key for attr in mapper.column_attrs), mapper.get_property_by_column(
        mapper.primary_key[0]
    ).key


_ATTRIBUTES: Final[dict[type[Base], tuple[tuple[str, ...], str]]] = {
    model: _attributes(model) for model in (Product, Organization, Lot, Location, LogCheckpoint)
}


def _entity(model: type[M], row: Row[Any], prefix: str) -> M | None:
    """The model object of the columns labelled ``prefix``; None when its outer join found
    no row (a primary key is never null). Made as the ORM's loading makes one, its values
    put in place rather than set one by one as changes: it belongs to no session."""
    mapping = row._mapping
    keys, primary_key = _ATTRIBUTES[model]
    if mapping[prefix + primary_key] is None:
        return None
    made: M = model.__mapper__.class_manager.new_instance()
    made.__dict__.update({key: mapping[prefix + key] for key in keys})
    return made


def _stored_gln(stored: str | None) -> str | None:
    """The GLN of a stored business location or read point, if it names one."""
    if stored is None or not stored.startswith(_GLN_PREFIX):
        return None
    return stored[len(_GLN_PREFIX) : len(_GLN_PREFIX) + _GLN_LENGTH]


def _constant(value: int | str) -> ColumnElement[Any]:
    """``value`` written into the statement's text: PostgreSQL plans the prepared statement
    once for all pages only when the lot's GTIN and code are its only parameters (with more,
    its generic plan guessed them badly, and it planned each execution again, 2-18 ms on a
    loaded machine, more than running it)."""
    return literal_column(str(value))


def _at_stored_gln(location: Any, stored: Any) -> ColumnElement[bool]:
    """``location`` is the one named by the stored column ``stored`` (as :func:`_stored_gln`)."""
    start = len(_GLN_PREFIX) + 1
    return and_(
        stored.like(_constant(f"'{_GLN_PREFIX}%'")),
        location.gln == func.substr(stored, _constant(start), _constant(_GLN_LENGTH)),
    )


_producer = aliased(Organization, name="producer")
_origin = aliased(Location, name="origin")
_recorder = aliased(Organization, name="recorder")
_business_location = aliased(Location, name="business_location")
_read_point = aliased(Location, name="read_point_location")
_newest = aliased(LogCheckpoint, name="newest_checkpoint")
_previous = aliased(LogCheckpoint, name="previous_checkpoint")

# Built once: the statement is the same on every page. One row per (place on the chain, link
# of its event), each repeating the lot's registry rows and the log's head; one row with the
# chain's columns null when no event names the lot; none when no product has the GTIN.
_LOT_PAGE: Final = (
    with_chain(
        select(
            *_labelled(Product, Product, "p_"),
            *_labelled(_producer, Organization, "o_"),
            *_labelled(Lot, Lot, "l_"),
            *_labelled(_origin, Location, "g_"),
            Chain.id.label("chain_id"),
            *CHAIN_COLUMNS,
            Event.biz_location,
            Event.read_point,
            *_labelled(_recorder, Organization, "r_"),
            *_labelled(_business_location, Location, "b_"),
            *_labelled(_read_point, Location, "q_"),
            LogState.size.label("log_size"),
            LARGEST_SIGNED_SIZE.label("largest_signed"),
            *_labelled(_newest, LogCheckpoint, "c_"),
            *_labelled(_previous, LogCheckpoint, "v_"),
        )
        .select_from(Product)
        .join(_producer, _producer.id == Product.organization_id)
        .outerjoin(Lot, and_(Lot.gtin == Product.gtin, Lot.lot_code == bindparam("lot_code")))
        .outerjoin(_origin, _origin.id == Lot.origin_location_id)
        .outerjoin(Chain, and_(Chain.gtin == Product.gtin, Chain.lot_code == bindparam("lot_code")))
    )
    .outerjoin(_recorder, _recorder.id == Event.organization_id)
    .outerjoin(_business_location, _at_stored_gln(_business_location, Event.biz_location))
    .outerjoin(_read_point, _at_stored_gln(_read_point, Event.read_point))
    .outerjoin(LogState, LogState.id == _constant(LOG_STATE_ID))
    .outerjoin(_newest, _newest.size == NEWEST_CHECKPOINT_SIZE)
    .outerjoin(_previous, _previous.size == PREVIOUS_CHECKPOINT_SIZE)
    .where(Product.gtin == bindparam("gtin"))
    .order_by(*CHAIN_ORDER)
)


# The stored nodes an inclusion proof of leaf i in the tree of N leaves can fold: the
# sibling of i's ancestor at each level, and the complete subtrees that make up the tree's
# right edge (one per set bit of N, traceability.log.merkle.root_nodes); with the leaf's own
# level-0 node, which the audit compares with the stored leaf. Levels run while N >> level
# is not 0. tests/unit/log checks that these cover inclusion_proof_nodes(i, N).
_level = func.generate_series(_constant(0), _constant(62)).column_valued("proof_level")
_zero, _one = _constant(0), _constant(1)
_size = _newest.size
_node = aliased(LogNode, name="page_node")
_PROOF_NODES: Final = (
    select(
        func.array_agg(_node.level).label("node_levels"),
        func.array_agg(_node.index).label("node_indexes"),
        func.array_agg(_node.hash).label("node_hashes"),
    )
    .where(
        tuple_(_node.level, _node.index).in_(
            union_all(
                select(_zero, Event.log_index).correlate(Event),
                select(_level, Event.log_index.op(">>")(_level).op("#")(_one))
                .where(_size.op(">>")(_level) > _zero)
                .correlate(Event, _newest),
                select(_level, _size.op(">>")(_level) - _one)
                .where(_size.op(">>")(_level).op("&")(_one) == _one)
                .correlate(_newest),
            )
        )
    )
    .lateral("page_nodes")
)
_LOT_PAGE_WITH_NODES: Final = _LOT_PAGE.add_columns(
    _PROOF_NODES.c.node_levels, _PROOF_NODES.c.node_indexes, _PROOF_NODES.c.node_hashes
).outerjoin(_PROOF_NODES, true())


class LotPageRepository(Repository):
    async def lot_page(self, gtin: str, lot_code: str) -> LotPageRead | None:
        """What a lot page shows and audits, but the log's nodes; None when no product has
        this GTIN."""
        with_nodes = self.dialect == "postgresql"
        statement = _LOT_PAGE_WITH_NODES if with_nodes else _LOT_PAGE
        connection = await self.session.connection()
        result = await connection.execute(statement, {"gtin": gtin, "lot_code": lot_code})
        rows = result.all()
        if not rows:
            return None
        first = rows[0]
        product = _entity(Product, first, "p_")
        producer = _entity(Organization, first, "o_")
        assert product is not None and producer is not None  # inner joins
        has_chain = first.chain_id is not None
        head = LotPageHead(
            product,
            producer,
            _entity(Lot, first, "l_"),
            _entity(Location, first, "g_"),
            has_chain,
        )
        chain = chain_of(rows, _recorders()) if has_chain else None
        nodes = _nodes(rows) if with_nodes and has_chain else {}
        return LotPageRead(head, chain, _log_head(first), _locations(rows), nodes)


def _recorders() -> Callable[[Row[Any]], Organization | None]:
    """The recording organisation of each row's event, one object per organisation."""
    made: dict[str, Organization | None] = {}

    def recorder(row: Row[Any]) -> Organization | None:
        organization_id = row.r_id
        if organization_id not in made:
            made[organization_id] = _entity(Organization, row, "r_")
        return made[organization_id]

    return recorder


def _locations(rows: Sequence[Row[Any]]) -> dict[str, Location | None]:
    found: dict[str, Location | None] = {}
    for row in rows:
        for stored, prefix in ((row.biz_location, "b_"), (row.read_point, "q_")):
            gln = _stored_gln(stored)
            if gln is not None and gln not in found:
                found[gln] = _entity(Location, row, prefix)
    return found


def _nodes(rows: Sequence[Row[Any]]) -> dict[NodeId, bytes]:
    found: dict[NodeId, bytes] = {}
    for row in rows:
        if row.node_levels is not None:
            found.update(
                (NodeId(level, index), hash_)
                for level, index, hash_ in zip(
                    row.node_levels, row.node_indexes, row.node_hashes, strict=True
                )
            )
    return found


def _log_head(row: Row[Any]) -> LogHead:
    return LogHead(
        row.log_size or 0,
        _entity(LogCheckpoint, row, "c_"),
        _entity(LogCheckpoint, row, "v_"),
        row.largest_signed,
    )
