"""The cron-like schedule of an EPCIS scheduled query (REST binding, QueryScheduleSubscription).

Each field (second, minute, hour, dayOfMonth, month, dayOfWeek) is a comma-separated list of
numbers, ranges ``[a-b]`` (or ``a-b``) and steps ``a/n``. As in EPCIS 1.2's QuerySchedule, an
omitted field matches any value, except ``second``, which is 0 when omitted, so that a
schedule of ``{"hour": "1", "minute": "5"}`` runs once a day at 01:05:00, not sixty times.
dayOfWeek counts 1 (Monday) to 7 (Sunday).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from traceability.errors import InvalidInput

FIELDS: dict[str, tuple[int, int]] = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "dayOfMonth": (1, 31),
    "month": (1, 12),
    "dayOfWeek": (1, 7),
}
_RANGE = re.compile(r"^\[?(\d{1,2})-(\d{1,2})\]?$")
_STEP = re.compile(r"^(\d{1,2})/(\d{1,2})$")
# Far enough for any valid schedule (29 February on a Monday comes within 28 years).
_HORIZON_DAYS = 366 * 29


def _values(name: str, text: str) -> frozenset[int]:
    low, high = FIELDS[name]
    values: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if part.isdigit():
            first, last, step = int(part), int(part), 1
        elif (match := _RANGE.match(part)) is not None:
            first, last, step = int(match[1]), int(match[2]), 1
        elif (match := _STEP.match(part)) is not None:
            first, last, step = int(match[1]), high, int(match[2])
        else:
            raise InvalidInput(
                f"{part!r} is not a number, a range [a-b] or a step a/n",
                field=f"schedule.{name}",
            )
        if not (low <= first <= last <= high) or step < 1:
            raise InvalidInput(f"{part!r} is outside {low}..{high}", field=f"schedule.{name}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, fields: Mapping[str, object]) -> Schedule:
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise InvalidInput(f"unknown schedule field {unknown[0]!r}", field="schedule")
        if not fields:
            raise InvalidInput("a schedule names at least one field", field="schedule")

        def values(name: str, default: str | None) -> frozenset[int]:
            raw = fields.get(name, default)
            if raw is None:
                low, high = FIELDS[name]
                return frozenset(range(low, high + 1))
            return _values(name, str(raw))

        return cls(
            seconds=values("second", "0"),
            minutes=values("minute", None),
            hours=values("hour", None),
            days=values("dayOfMonth", None),
            months=values("month", None),
            weekdays=values("dayOfWeek", None),
        )

    def next_after(self, moment: datetime) -> datetime:
        """The first time strictly after ``moment`` (to the second, in its time zone) that the
        schedule matches."""
        start = moment.replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(_HORIZON_DAYS):
            if (
                day.month in self.months
                and day.day in self.days
                and day.isoweekday() in self.weekdays
            ):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        for second in sorted(self.seconds):
                            candidate = day.replace(hour=hour, minute=minute, second=second)
                            if candidate >= start:
                                return candidate
            day += timedelta(days=1)
        raise InvalidInput("the schedule never matches a real date", field="schedule")
