"""EPCIS event queries (the SimpleEventQuery of the REST binding)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, literal, or_, select

from traceability.db.models import Event, EventIdentifier, Location
from traceability.epcis.master_data import MasterDataCondition
from traceability.epcis.query import EventFilter
from traceability.repositories.base import Repository

# Where a page ended: the order column's value and the row id of its last event.
Position = tuple[datetime | None, int]


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The registered location's fields that master-data parameters compare (epcis.master_data).
LOCATION_COLUMNS: dict[str, Any] = {
    "name": Location.name,
    "address": Location.address,
    "province": Location.province,
    "latitude": Location.latitude,
    "longitude": Location.longitude,
}
NUMERIC_LOCATION_FIELDS = frozenset({"latitude", "longitude"})


def _numbers(values: tuple[str, ...]) -> list[float]:
    found = []
    for value in values:
        try:
            found.append(float(value))
        except ValueError:
            continue  # a word is no coordinate: it matches none
    return found


def _described(condition: MasterDataCondition, organization_id: str | None) -> ColumnElement[bool]:
    """The event's place is a registered location (its GLN, no extension: the form the query
    columns keep, /414/{gln}) whose master data meets the condition. Scoped as the registry's
    own reads are: a caller limited to its own events consults only its own locations, so
    that a query can never tell it what another organisation registered."""
    column = Event.read_point if condition.field == "readPoint" else Event.biz_location
    if not condition.describes_places:
        return false()
    tests = []
    for name in condition.location_fields:
        attribute = LOCATION_COLUMNS[name]
        if condition.values is None:
            present = attribute.is_not(None)
            tests.append(
                present if name in NUMERIC_LOCATION_FIELDS else and_(present, attribute != "")
            )
        elif name in NUMERIC_LOCATION_FIELDS:
            tests.append(attribute.in_(_numbers(condition.values)))
        else:
            tests.append(attribute.in_(condition.values))
    places = select(literal("/414/") + Location.gln).where(or_(*tests))
    if organization_id is not None:
        places = places.where(Location.organization_id == organization_id)
    return column.in_(places)


class EventQueryRepository(Repository):
    def _carries(self, member: str) -> ColumnElement[bool]:
        """The event JSON has a top-level ``member``.

        What it costs: a check of each row the other conditions leave (no index answers it; a
        GIN index over every event's JSON would cost each capture more than these queries,
        which look inside events, save). On PostgreSQL it is JSONB's ``?``, a key lookup in
        the stored binary form without parsing text; it keeps the events that cannot match
        (no ilmd, no sensor data) in the database instead of reading them out to be looked
        at one by one. The indexed columns (type, time, location, step) still narrow first.
        """
        if self.dialect == "postgresql":
            return Event.event.op("?", is_comparison=True)(literal(member))
        return func.json_type(Event.event, f'$."{member}"').is_not(None)

    def _where(self, stmt: Select[Any], f: EventFilter) -> Select[Any]:
        conditions = []
        pairs: list[tuple[Any, tuple[str, ...]]] = [
            (Event.event_type, f.event_types),
            (Event.action, f.actions),
            (Event.biz_step, f.biz_steps),
            (Event.disposition, f.dispositions),
            (Event.read_point, f.read_points),
            (Event.biz_location, f.biz_locations),
            (Event.event_id, f.event_ids),
        ]
        conditions += [column.in_(values) for column, values in pairs if values]
        if f.ge_event_time is not None:
            conditions.append(Event.event_time >= f.ge_event_time)
        if f.lt_event_time is not None:
            conditions.append(Event.event_time < f.lt_event_time)
        if f.ge_record_time is not None:
            conditions.append(Event.recorded_at >= f.ge_record_time)
        if f.lt_record_time is not None:
            conditions.append(Event.recorded_at < f.lt_record_time)
        if f.declares_error is not None:
            conditions.append(Event.declares_error.is_(f.declares_error))
        if f.organization_id is not None:
            conditions.append(Event.organization_id == f.organization_id)
        conditions += [self._carries(member) for member in f.members]
        conditions += [_described(c, f.organization_id) for c in f.master_data]
        for column, places in (
            (Event.read_point, f.wd_read_points),
            (Event.biz_location, f.wd_biz_locations),
        ):
            if places:
                within = [column.like(_like_prefix(p) + "/254/%", escape="\\") for p in places]
                conditions.append(or_(column.in_(places), *within))
        for roles, values in f.identifiers:
            conditions.append(
                exists().where(
                    EventIdentifier.event_pk == Event.id,
                    EventIdentifier.role.in_(roles),
                    EventIdentifier.value.in_(values),
                )
            )
        return stmt.where(and_(*conditions)) if conditions else stmt

    def page_statement(
        self, f: EventFilter, order: tuple[str, bool], after: Position | None, limit: int
    ) -> Select[Any]:
        """The SELECT of one page in ``order`` (orderBy, descending): ``limit`` rows after
        ``after``, and one more to tell whether any are left."""
        order_by, descending = order
        column = Event.recorded_at if order_by == "recordTime" else Event.event_time
        stmt = self._where(select(Event), f)
        if after is not None:
            value, last_id = after
            if descending:
                stmt = stmt.where(or_(column < value, and_(column == value, Event.id < last_id)))
            else:
                stmt = stmt.where(or_(column > value, and_(column == value, Event.id > last_id)))
        columns = (column.desc(), Event.id.desc()) if descending else (column.asc(), Event.id.asc())
        return stmt.order_by(*columns).limit(limit + 1)

    async def page(
        self,
        f: EventFilter,
        order_by: str,
        descending: bool,
        after: tuple[datetime | None, int] | None,
        limit: int,
    ) -> tuple[list[Event], tuple[datetime | None, int] | None]:
        """A page in (order column, id) order; the position to continue from, if any is left."""
        stmt = self.page_statement(f, (order_by, descending), after, limit)
        rows = list((await self.session.execute(stmt)).scalars())
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        last = rows[-1]
        return rows, (last.recorded_at if order_by == "recordTime" else last.event_time, last.id)

    async def log_positions(
        self, f: EventFilter, after_index: int, upto_index: int, limit: int
    ) -> list[tuple[int, int]]:
        """(row id, log index) of the events matching ``f`` with a log index in
        (after_index, upto_index], in log order, at most ``limit`` of them."""
        # _where takes any SELECT over events; this one's two columns are read back below.
        positions = cast(Select[Any], select(Event.id, Event.log_index))
        stmt = self._where(positions, f).where(
            Event.log_index > after_index, Event.log_index <= upto_index
        )
        result = await self.session.execute(stmt.order_by(Event.log_index).limit(limit))
        return [(pk, index) for pk, index in result.all()]

    async def newest_log_index(self) -> int:
        """The log index of the newest event committed, -1 when there is none."""
        result = await self.session.execute(select(func.max(Event.log_index)))
        newest = result.scalar_one_or_none()
        return -1 if newest is None else int(newest)

    async def by_row_ids(self, row_ids: list[int]) -> list[Event]:
        result = await self.session.execute(
            select(Event).where(Event.id.in_(row_ids)).order_by(Event.log_index)
        )
        return list(result.scalars())
