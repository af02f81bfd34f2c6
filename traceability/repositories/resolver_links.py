"""The links businesses attach to their codes on the resolver."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from traceability.db.models import ResolverLink
from traceability.errors import Conflict
from traceability.repositories.base import Repository


class ResolverLinkRepository(Repository):
    async def add(self, link: ResolverLink) -> ResolverLink:
        self.session.add(link)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            # Another request stored the same link between our check and this insert.
            raise Conflict(
                "a link with the same anchor, linkType, hreflang, type and context was just "
                "added; read the links again",
                field="linkType",
            ) from exc
        return link

    async def get(self, link_id: str) -> ResolverLink | None:
        return await self.session.get(ResolverLink, link_id)

    async def of_gtin(self, gtin: str) -> list[ResolverLink]:
        """Every link of a GTIN, in the order they were added."""
        result = await self.session.execute(
            select(ResolverLink)
            .where(ResolverLink.gtin == gtin)
            .order_by(ResolverLink.created_at, ResolverLink.id)
        )
        return list(result.scalars())

    async def of_gtins(self, gtins: Sequence[str]) -> list[ResolverLink]:
        if not gtins:
            return []
        result = await self.session.execute(
            select(ResolverLink)
            .where(ResolverLink.gtin.in_(sorted(set(gtins))))
            .order_by(ResolverLink.created_at, ResolverLink.id)
        )
        return list(result.scalars())

    async def page(
        self, owner: str | None, gtin: str | None, after: str | None, limit: int
    ) -> tuple[list[ResolverLink], str | None]:
        stmt = select(ResolverLink)
        if owner is not None:
            stmt = stmt.where(ResolverLink.organization_id == owner)
        if gtin is not None:
            stmt = stmt.where(ResolverLink.gtin == gtin)
        return await self._page(stmt, ResolverLink.id, after, limit)

    async def delete(self, link: ResolverLink) -> None:
        await self.session.delete(link)
        await self.session.flush()
