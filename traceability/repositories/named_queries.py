"""Named queries (EPCIS REST binding, /queries): an organisation's saved SimpleEventQueries."""

from __future__ import annotations

from sqlalchemy import delete, select

from traceability.db.models import NamedQuery
from traceability.repositories.base import Repository


class NamedQueryRepository(Repository):
    async def add(self, query: NamedQuery) -> NamedQuery:
        self.session.add(query)
        await self.session.flush()
        return query

    async def get(self, organization_id: str, name: str) -> NamedQuery | None:
        result = await self.session.execute(
            select(NamedQuery).where(
                NamedQuery.organization_id == organization_id, NamedQuery.name == name
            )
        )
        return result.scalar_one_or_none()

    async def page(self, organization_id: str, after: str | None, limit: int) -> list[NamedQuery]:
        """The organisation's queries in name order, after the name ``after``."""
        stmt = select(NamedQuery).where(NamedQuery.organization_id == organization_id)
        if after is not None:
            stmt = stmt.where(NamedQuery.name > after)
        result = await self.session.execute(stmt.order_by(NamedQuery.name).limit(limit))
        return list(result.scalars())

    async def remove(self, organization_id: str, name: str) -> bool:
        """Deletes the organisation's query of that name; whether there was one."""
        result = await self.session.execute(
            delete(NamedQuery).where(
                NamedQuery.organization_id == organization_id, NamedQuery.name == name
            )
        )
        return bool(getattr(result, "rowcount", 0))
