"""Many rows in one statement on PostgreSQL: each column sent as one array, then unnested.

An ORM insert of N rows renders and binds N x columns parameters, and that rendering
is most of an append's time. Sent as one array per column, the statement's text is the
same for every N (prepared once by the driver) and the server reads the rows in one
pass. The appends use this for the hundreds of rows a batch writes per table.

Each statement names, in its execution option ``WRITES``, the table it writes and the
columns of its arrays: the text alone does not say which rows it wrote, and the session's
cache invalidation hooks read them from there.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson
from sqlalchemy import JSON, Table, TextClause, text
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
_quote = _DIALECT.identifier_preparer.quote
# Execution option: (table name, the columns of parameters p0, p1, ...) a statement writes.
WRITES: Final = "traceability_writes"


def _arrays(table: Table, columns: Sequence[str]) -> str:
    """``unnest(CAST(:p0 AS type[]), ...)``: one array parameter per column, typed."""
    casts = [
        f"CAST(:p{i} AS {table.c[name].type.compile(dialect=_DIALECT)}[])"
        for i, name in enumerate(columns)
    ]
    return f"unnest({', '.join(casts)})"


@functools.cache
def insert_statement(
    table: Table,
    columns: tuple[str, ...],
    returning: tuple[str, ...] = (),
    conflict_keys: tuple[str, ...] = (),
) -> TextClause:
    """INSERT of ``columns`` from arrays; ``conflict_keys`` skips rows already there."""
    sql = (
        f"INSERT INTO {_quote(table.name)} ({', '.join(_quote(c) for c in columns)}) "
        f"SELECT * FROM {_arrays(table, columns)}"
    )
    if conflict_keys:
        sql += f" ON CONFLICT ({', '.join(_quote(c) for c in conflict_keys)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(_quote(c) for c in returning)}"
    return text(sql).execution_options(**{WRITES: (table.name, columns)})


@functools.cache
def update_statement(table: Table, key: str, columns: tuple[str, ...]) -> TextClause:
    """UPDATE of ``columns`` of the rows whose ``key`` is given, values from arrays."""
    every = (key, *columns)
    names = ", ".join(_quote(c) for c in every)
    assignments = ", ".join(f"{_quote(c)} = v.{_quote(c)}" for c in columns)
    return text(
        f"UPDATE {_quote(table.name)} SET {assignments} "
        f"FROM {_arrays(table, every)} AS v({names}) "
        f"WHERE {_quote(table.name)}.{_quote(key)} = v.{_quote(key)}"
    ).execution_options(**{WRITES: (table.name, every)})


@functools.cache
def join_statement(table: Table, columns: tuple[str, ...]) -> str:
    """``FROM table JOIN unnest(...)``: the rows whose ``columns`` match one of the arrays' rows."""
    names = ", ".join(_quote(c) for c in columns)
    matches = " AND ".join(f"{_quote(table.name)}.{_quote(c)} = w.{_quote(c)}" for c in columns)
    return f"{_quote(table.name)} JOIN {_arrays(table, columns)} AS w({names}) ON {matches}"


def parameters(
    table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The arrays for ``rows``, column by column; JSON values are sent as their text."""
    arrays: dict[str, list[Any]] = {}
    for i, name in enumerate(columns):
        values = [row[name] for row in rows]
        if isinstance(table.c[name].type, JSON):
            values = [None if v is None else orjson.dumps(v).decode() for v in values]
        arrays[f"p{i}"] = values
    return arrays
