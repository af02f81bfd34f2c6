"""The distinct values events carry (event types, EPCs, steps, places, dispositions): the
top-level resources of the EPCIS REST binding, a page at a time in value order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from traceability.db.models import Event, EventIdentifier
from traceability.repositories.base import Repository

# Resource name -> the event column its members are.
EVENT_COLUMNS: dict[str, Any] = {
    "eventTypes": Event.event_type,
    "bizSteps": Event.biz_step,
    "bizLocations": Event.biz_location,
    "readPoints": Event.read_point,
    "dispositions": Event.disposition,
}
# The identifier roles that are EPCs (instances and logistic units, not classes).
EPC_ROLES = ("epc", "parent", "input", "output")


class EventResourceRepository(Repository):
    async def values(
        self, resource: str, organization_id: str | None, after: str | None, limit: int
    ) -> list[str]:
        """Up to ``limit`` distinct values after ``after``, of events ``organization_id``
        recorded (of every organization's when None)."""
        stmt: Select[Any]
        column: Any
        if resource == "epcs":
            column = EventIdentifier.value
            stmt = select(column).where(EventIdentifier.role.in_(EPC_ROLES))
            if organization_id is not None:
                stmt = stmt.join(Event, Event.id == EventIdentifier.event_pk).where(
                    Event.organization_id == organization_id
                )
        else:
            column = EVENT_COLUMNS[resource]
            stmt = select(column).where(column.is_not(None))
            if organization_id is not None:
                stmt = stmt.where(Event.organization_id == organization_id)
        if after is not None:
            stmt = stmt.where(column > after)
        result = await self.session.execute(stmt.distinct().order_by(column).limit(limit))
        return [value for (value,) in result.all()]
