"""What a transaction changed that public pages show, so the cache can drop it after commit.

Services name the scopes they touch (``touch``); whoever owns the transaction bumps their
cache generations once it has committed (``Portal.write``), so no process serves a page
older than a write that has returned, and nothing is invalidated for a rolled-back write.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

_TOUCHED = "traceability.touched_scopes"


def product_scope(gtin: str) -> str:
    return f"product:{gtin}"


def lot_scope(gtin: str, lot: str) -> str:
    return f"lot:{gtin}:{lot}"


def touch(session: AsyncSession, scopes: Iterable[str]) -> None:
    session.info.setdefault(_TOUCHED, set()).update(scopes)


def touch_lots(session: AsyncSession, lots: Iterable[tuple[str, str]]) -> None:
    """A lot changed: its pages and its product's page (which lists lots and their status)."""
    touch(session, (s for gtin, lot in lots for s in (lot_scope(gtin, lot), product_scope(gtin))))


def touched(session: AsyncSession) -> list[str]:
    return sorted(session.info.get(_TOUCHED, ()))
