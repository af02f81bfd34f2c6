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


def touch(session: AsyncSession, scopes: Iterable[str]) -> None:
    session.info.setdefault(_TOUCHED, set()).update(scopes)


def touch_lots(session: AsyncSession, lots: Iterable[tuple[str, str]]) -> None:
    """A lot changed: its pages and its product's page (which lists lots and their status)."""
    touch(
        session,
        (s for gtin, lot in lots for s in (lot_scope(gtin, lot), product_lots_scope(gtin))),
    )


def touched(session: AsyncSession) -> list[str]:
    return sorted(session.info.get(_TOUCHED, ()))
