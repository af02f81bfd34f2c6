"""SimpleEventQuery parameters on measures in a unit (EPCIS 2.0 section 8.2.7.1 and the REST
binding's query schema): ``EQ_value_{uom}`` and ``GT_``/``GE_``/``LT_``/``LE_`` of
``value``, ``minValue``, ``maxValue``, ``meanValue``, ``sDev`` and ``percValue`` of a sensor
report, and ``EQ_``/``GT_``/``GE_``/``LT_``/``LE_quantity_{uom}`` of a quantity element, where
``{uom}`` is a UN/ECE Recommendation 20 unit code (``GE_value_CEL=8``).

A measure matches only when it is written in that very unit: no conversion between units of
one dimension (8 CEL is not looked for as 46.4 FAH). Converting needs Recommendation 20's
factors and offsets for every unit; without them, a report in another unit is simply not a
match, so a query never finds an event on a guessed conversion.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from traceability.epcis.extension_fields import finite_number
from traceability.errors import InvalidInput

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GT": operator.gt,
    "GE": operator.ge,
    "LT": operator.lt,
    "LE": operator.le,
}
SENSOR_MEASURES = frozenset({"value", "minValue", "maxValue", "meanValue", "sDev", "percValue"})
QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
# Measures an equality may be asked of (the binding's schema has EQ_ for these two only).
EQUALITY_MEASURES = frozenset({"value", "quantity"})
_NAME = re.compile(r"(EQ|GT|GE|LT|LE)_(value|minValue|maxValue|meanValue|sDev|percValue|quantity)_")
_UNIT_CODE = re.compile(r"[A-Z0-9]{2,4}")
# A name of these families, loosely (measure_condition reads it exactly): for schemas.
NAME_PATTERN = _NAME.pattern + _UNIT_CODE.pattern


@dataclass(frozen=True)
class MeasureCondition:
    """One ``{op}_{measure}_{uom}`` parameter, parsed."""

    parameter: str
    operator: str
    measure: str
    unit: str
    # EQ: any one of these; the others: the bound.
    values: tuple[float, ...]

    @property
    def member(self) -> str | None:
        """The event member a sensor measure needs (quantities have four possible lists)."""
        return "sensorElementList" if self.measure in SENSOR_MEASURES else None

    def holds(self, event: Mapping[str, Any]) -> bool:
        return any(self._accepts(found) for found in self._measures(event))

    def _accepts(self, found: float) -> bool:
        if self.operator == "EQ":
            return found in self.values
        return COMPARE[self.operator](found, self.values[0])

    def _measures(self, event: Mapping[str, Any]) -> Iterator[float]:
        """Each measure of the event, in this unit, that the parameter compares."""
        if self.measure == "quantity":
            places = (item for name in QUANTITY_LISTS for item in _mappings(event.get(name)))
        else:
            places = (
                report
                for element in _mappings(event.get("sensorElementList"))
                for report in _mappings(element.get("sensorReport"))
            )
        for place in places:
            number = finite_number(place.get(self.measure))
            if place.get("uom") == self.unit and number is not None:
                yield number


def measure_condition(parameter: str, raw: str) -> MeasureCondition | None:
    """The condition ``parameter`` asks for; None when the name is of no such family."""
    match = _NAME.match(parameter)
    if match is None:
        return None
    op, measure = match[1], match[2]
    unit = parameter[match.end() :]
    if op == "EQ" and measure not in EQUALITY_MEASURES:
        return None  # not a parameter of the binding: refused as unknown
    if not _UNIT_CODE.fullmatch(unit):
        raise InvalidInput(
            f"{unit!r} is not a UN/ECE Recommendation 20 unit code (2 to 4 capital letters "
            "or digits, such as CEL or KGM)",
            field=parameter,
        )
    parts = [part.strip() for part in raw.split("|")] if op == "EQ" else [raw.strip()]
    values = tuple(finite_number(part) for part in parts if part)
    if not values or None in values:
        raise InvalidInput(f"{raw!r} is not a number", field=parameter)
    return MeasureCondition(parameter, op, measure, unit, tuple(v for v in values if v is not None))


def _mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))
