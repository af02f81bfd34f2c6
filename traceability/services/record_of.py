"""Turning a database row into a service's frozen record, field by field by name."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

R = TypeVar("R")


def record_of(record_type: type[R], row: object, **computed: Any) -> R:
    """A ``record_type`` holding the row's attributes of the same names; ``computed`` gives
    the fields the row does not hold as they are (a tuple for a list, a joined value)."""
    names = [field.name for field in fields(record_type)]  # type: ignore[arg-type]
    return record_type(
        **{name: getattr(row, name) for name in names if name not in computed}, **computed
    )
