"""The top-level resources of the EPCIS REST binding: event types, EPCs, business steps,
business locations, read points and dispositions that the caller's visible events carry."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.epcis.query import STANDARD_EVENT_TYPES
from traceability.errors import InvalidInput
from traceability.repositories.event_resources import EPC_ROLES, EventResourceRepository
from traceability.services.access import READERS_OF_ALL
from traceability.services.paging import MAX_PAGE_SIZE, Page, PageTokens
from traceability.services.registry import Principal

# Resource -> the SimpleEventQuery parameter that selects the events of one of its members.
RESOURCE_PARAMETERS: dict[str, str] = {
    "eventTypes": "eventType",
    "epcs": "MATCH_anyEPC",
    "bizSteps": "EQ_bizStep",
    "bizLocations": "EQ_bizLocation",
    "readPoints": "EQ_readPoint",
    "dispositions": "EQ_disposition",
}
# GS1 keys are kept as Digital Link paths (traceability.epcis.index); a member is a URI.
GS1_RESOLVER = "https://id.gs1.org"
# Members of a resource are kept as identifiers of at most this many characters.
_MAX_VALUE = 500

__all__ = ["EPC_ROLES", "RESOURCE_PARAMETERS", "EventResourceService"]


def as_uri(value: str) -> str:
    """A stored GS1 key path ("/01/…", "/414/…", "/00/…") as its Digital Link URI."""
    return GS1_RESOLVER + value if value.startswith("/") else value


class EventResourceService:
    def __init__(self, tokens: PageTokens | None = None) -> None:
        self.tokens = tokens or PageTokens()

    async def members(
        self,
        session: AsyncSession,
        principal: Principal,
        resource: str,
        token: str | None,
        per_page: int,
    ) -> Page[str]:
        """One page of the resource's members that events the caller may read carry."""
        if resource not in RESOURCE_PARAMETERS:
            raise InvalidInput(f"{resource} is not a resource of this repository")
        position = self.tokens.position(token)
        if position is not None and not (isinstance(position, str) and len(position) <= _MAX_VALUE):
            raise InvalidInput("is not a page token this service issued", field="nextPageToken")
        organization = None if principal.role in READERS_OF_ALL else principal.organization_id
        repository = EventResourceRepository(session)
        if resource == "eventTypes":
            # A handful: one page, always naming the five standard types, which can be
            # captured and queried here whether or not an event of each is stored yet.
            stored = await repository.values(resource, organization, None, MAX_PAGE_SIZE)
            return Page(sorted(set(stored) | set(STANDARD_EVENT_TYPES)), None)
        values = await repository.values(resource, organization, position, per_page + 1)
        more = len(values) > per_page
        values = values[:per_page]
        next_token = self.tokens.issue(values[-1]) if more else None
        uris = resource in ("epcs", "bizLocations", "readPoints")
        return Page([as_uri(v) if uris else v for v in values], next_token)
