"""Named queries of the EPCIS REST binding: a SimpleEventQuery saved under a name, unique
within the organisation that saved it and visible to it alone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, utc_now
from traceability.db.models import NamedQuery
from traceability.epcis.query import parse_event_query
from traceability.errors import Conflict, InvalidInput, NotFound
from traceability.repositories.named_queries import NamedQueryRepository
from traceability.services.paging import Page, PageTokens
from traceability.services.registry import Principal

# A name is a path segment of /queries/{name}: kept to characters no URL needs to escape.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")
# Paging is the caller's at each read, not part of what is saved.
NOT_SAVED = frozenset({"perPage", "nextPageToken"})


@dataclass(frozen=True)
class NamedQueryRecord:
    name: str
    query: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: NamedQuery) -> NamedQueryRecord:
        return cls(row.name, dict(row.query), row.created_at)


def _parameter_value(name: str, value: Any) -> str:
    """One value of the binding's query object as the REST parameter writes it."""
    if value is None and name.startswith("EXISTS_"):
        return ""  # the binding's nullable EXISTS_: the standard's Void, a value never read
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "|".join(value)
    raise InvalidInput(
        "must be a string, a number, a boolean or a list of strings (null: EXISTS_ only)",
        field=name,
    )


def query_parameters(query: Mapping[str, Any]) -> dict[str, str]:
    """The saved query as SimpleEventQuery parameters (lists become '|' lists)."""
    params = {name: _parameter_value(name, value) for name, value in query.items()}
    saved_paging = sorted(NOT_SAVED & set(params))
    if saved_paging:
        raise InvalidInput("is given when the query's events are read", field=saved_paging[0])
    return params


class NamedQueryService:
    def __init__(self, clock: Clock = utc_now, tokens: PageTokens | None = None) -> None:
        self.clock = clock
        self.tokens = tokens or PageTokens(clock=clock)

    async def create(
        self, session: AsyncSession, principal: Principal, name: str, query: Any
    ) -> NamedQueryRecord:
        if not NAME_PATTERN.match(name):
            raise InvalidInput("must be 1 to 200 letters, digits or any of . _ ~ -", field="name")
        if not isinstance(query, Mapping):
            raise InvalidInput("must be an object of query parameters", field="query")
        parse_event_query(query_parameters(query))  # refused now, not at each read
        repository = NamedQueryRepository(session)
        if await repository.get(principal.organization_id, name) is not None:
            raise Conflict(f"a query named {name} exists already", field="name")
        row = await repository.add(
            NamedQuery(
                organization_id=principal.organization_id,
                name=name,
                query=dict(query),
                created_at=self.clock(),
            )
        )
        return NamedQueryRecord.of(row)

    async def saved(
        self, session: AsyncSession, principal: Principal, name: str
    ) -> NamedQueryRecord | None:
        """The caller's query of that name, if it saved one."""
        try:
            return await self.get(session, principal, name)
        except NotFound:
            return None

    async def get(self, session: AsyncSession, principal: Principal, name: str) -> NamedQueryRecord:
        row = await NamedQueryRepository(session).get(principal.organization_id, name)
        if row is None:
            raise NotFound(f"no query named {name}", field="queryName")
        return NamedQueryRecord.of(row)

    async def page(
        self, session: AsyncSession, principal: Principal, token: str | None, per_page: int
    ) -> Page[NamedQueryRecord]:
        after = self.tokens.position(token)
        if after is not None and not isinstance(after, str):
            raise InvalidInput("is not a page token this service issued", field="nextPageToken")
        rows = await NamedQueryRepository(session).page(
            principal.organization_id, after, per_page + 1
        )
        more = len(rows) > per_page
        rows = rows[:per_page]
        return Page(
            [NamedQueryRecord.of(row) for row in rows],
            self.tokens.issue(rows[-1].name) if more else None,
        )

    async def delete(self, session: AsyncSession, principal: Principal, name: str) -> None:
        if not await NamedQueryRepository(session).remove(principal.organization_id, name):
            raise NotFound(f"no query named {name}", field="queryName")

    async def parameters(
        self,
        session: AsyncSession,
        principal: Principal,
        name: str,
        paging: Mapping[str, str],
    ) -> dict[str, str]:
        """The saved query's parameters with the caller's paging (and nothing else)."""
        extra = sorted(set(paging) - NOT_SAVED)
        if extra:
            raise InvalidInput("a named query takes only perPage and nextPageToken", field=extra[0])
        saved = await self.get(session, principal, name)
        return query_parameters(saved.query) | dict(paging)
