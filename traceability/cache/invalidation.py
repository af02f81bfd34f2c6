"""What a transaction changed that public pages show, so the cache can drop it after commit.

The scopes are gathered from the writes themselves, by hooks on every ORM session: the rows
a flush writes (``before_flush``) and the rows an INSERT or UPDATE executed through the
session carries (``do_orm_execute``). Whoever owns the transaction bumps their cache
generations once it has committed (``Portal.write``), so no process serves a page older
than a write that has returned, and nothing is invalidated for a rolled-back write.

The hooks are installed on SQLAlchemy's ``Session`` class when this module is imported
(the Portal imports it), so every session gathers, and only ``Portal.write`` bumps.

A write whose rows no statement carries (a COPY, an INSERT ... SELECT, an UPDATE ... WHERE)
is not seen here: the bulk seeding, which writes lots with COPY on PostgreSQL, names their
scopes itself with ``touch``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from traceability.db.models import Chain
from traceability.repositories.unnest import WRITES

_TOUCHED: Final = "traceability.touched_scopes"


def product_scope(gtin: str) -> str:
    """The product's registry record: every page of the product shows it."""
    return f"product:{gtin}"


def product_lots_scope(gtin: str) -> str:
    """The product's lots as its product page lists them; no lot page shows it."""
    return f"lots:{gtin}"


def lot_scope(gtin: str, lot: str) -> str:
    return f"lot:{gtin}:{lot}"


def page_scopes(gtin: str, lot: str | None) -> list[str]:
    """What a public page of a product (``lot`` None) or of one of its lots shows.

    A lot's event changes its own pages and its product's list of lots, never the pages of
    the product's other lots: keying lot pages by the product's lot list would drop every
    sibling's cached page on each event."""
    if lot is None:
        return [product_scope(gtin), product_lots_scope(gtin)]
    return [product_scope(gtin), lot_scope(gtin, lot)]


def touch(session: AsyncSession | Session, scopes: Iterable[str]) -> None:
    session.info.setdefault(_TOUCHED, set()).update(scopes)


def touch_lots(session: AsyncSession | Session, lots: Iterable[tuple[str, str]]) -> None:
    """A lot changed: its pages and its product's page (which lists lots and their status)."""
    touch(
        session,
        (s for gtin, lot in lots for s in (lot_scope(gtin, lot), product_lots_scope(gtin))),
    )


def touched(session: AsyncSession) -> list[str]:
    return sorted(session.info.get(_TOUCHED, ()))


# --- what a written row invalidates, by table ------------------------------------------------

_Rows = Sequence[tuple[Any, ...]]


def _products_written(session: Session, rows: _Rows) -> None:
    # A product page of a GTIN not yet registered may have been cached as unknown.
    touch(session, (product_scope(gtin) for (gtin,) in rows))


def _lots_written(session: Session, rows: _Rows) -> None:
    # The lot's pages ("no such lot" before it was registered) and its product's lot list.
    touch_lots(session, ((gtin, lot) for gtin, lot in rows))


def _links_written(session: Session, rows: _Rows) -> None:
    """An event appended to lots' chains (one link a lot): each lot changed."""
    chains = (session.get(Chain, chain_id) for chain_id in sorted({c for (c,) in rows}))
    touch_lots(session, ((c.gtin, c.lot_code) for c in chains if c is not None))


# The columns each rule reads. Organisations and locations invalidate nothing: they are
# only ever added, and a page shows one once a product, lot or event names it, a write seen
# here. An event reaches pages through its links to lots' chains.
_RULES: Final[dict[str, tuple[tuple[str, ...], Callable[[Session, _Rows], None]]]] = {
    "products": (("gtin",), _products_written),
    "lots": (("gtin", "lot_code"), _lots_written),
    "chain_links": (("chain_id",), _links_written),
    # A business link shows on every resolver answer of its product (its lots' and serials'
    # too): a link added, changed or deleted drops them all, as a change of the product does.
    "resolver_links": (("gtin",), _products_written),
}


@event.listens_for(Session, "before_flush")
def _gather_from_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        rule = _RULES.get(getattr(instance, "__tablename__", ""))
        if rule is not None:
            columns, written = rule
            written(session, [tuple(getattr(instance, c) for c in columns)])


@event.listens_for(Session, "do_orm_execute")
def _gather_from_statement(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    if state.is_insert or state.is_update:
        table = state.statement.table.name  # type: ignore[attr-defined]  # DML has a table
        rule = _RULES.get(table)
        if rule is not None:
            columns, written = rule
            written(state.session, _rows_of(state.parameters, columns))
        return
    writes = state.execution_options.get(WRITES)
    if writes is not None and writes[0] in _RULES:
        columns, written = _RULES[writes[0]]
        written(state.session, _array_rows(state.parameters, writes[1], columns))


def _rows_of(parameters: object, columns: tuple[str, ...]) -> _Rows:
    """The rows an INSERT or UPDATE was given as parameters (none for INSERT ... SELECT)."""
    if isinstance(parameters, Mapping):
        parameters = [parameters]
    if not isinstance(parameters, list):
        return []
    return [tuple(row[c] for c in columns) for row in parameters if all(c in row for c in columns)]


def _array_rows(parameters: object, written: Sequence[str], columns: tuple[str, ...]) -> _Rows:
    """The rows of a statement sent as one array per column (``repositories.unnest``)."""
    assert isinstance(parameters, Mapping)
    arrays = [parameters[f"p{written.index(c)}"] for c in columns]
    return list(zip(*arrays, strict=True))
