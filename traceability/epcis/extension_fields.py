"""SimpleEventQuery parameters on extension fields (EPCIS 2.0 section 8.2.7.1).

One family of families: ``EQ_``, ``GT_``, ``GE_``, ``LT_``, ``LE_`` or ``EXISTS_``, then
optionally ``INNER_``, then optionally where to look (``ILMD_``, ``ERROR_DECLARATION_``,
``SENSORELEMENT_``, ``SENSORMETADATA_``, ``SENSORREPORT_``; ``readPoint_`` and
``bizLocation_`` with ``EQ_`` only), then the fieldname: ``EQ_INNER_ILMD_example:grade``.

A fieldname is namespace-qualified, written as the standard writes it (the namespace, '#',
the local name: ``EQ_http://ns.example.com/epcis/#myField``) or as GS1's query schema of the
REST binding does (a JSON-LD compact name: ``EQ_example:myField``). An event member
``prefix:local`` is the field (namespace its @context gives the prefix, local), so a query by
namespace finds the field whatever prefix each captured document chose (XML documents' too:
their namespaces become @context prefixes). A prefix in a query is read in each event's own
context; one that the event does not define is compared as written.

Without INNER_ the field is a direct member of where the family looks (the event itself, its
ilmd, its errorDeclaration, a sensorElement, ...). With INNER_ it is nested, at any depth,
inside one of that place's extension members (never a direct member): "a matching inner
element may exist within more than one top-level element or may occur more than once
within a single top-level element; the parameter matches if at least one occurrence does".
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from traceability.epcis.xml.names import STANDARD_XML_NAMESPACES
from traceability.errors import InvalidInput

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "GT": operator.gt,
    "GE": operator.ge,
    "LT": operator.lt,
    "LE": operator.le,
}
OPERATORS = ("EQ", *COMPARISONS, "EXISTS")
# A name of these families, loosely (field_condition reads it exactly): for schemas.
NAME_PATTERN = r"(?:EQ|GT|GE|LT|LE|EXISTS)_[^#:]*[#:].+"
# Where each family looks, and the event member that holds it (the database is asked for
# that member first: an event without it cannot match).
PLACES: dict[str, str] = {
    "ILMD": "ilmd",
    "ERROR_DECLARATION": "errorDeclaration",
    "SENSORELEMENT": "sensorElementList",
    "SENSORMETADATA": "sensorElementList",
    "SENSORREPORT": "sensorElementList",
    "readPoint": "readPoint",
    "bizLocation": "bizLocation",
}
# Extensions of a location are only compared for equality (the query schema has no others).
EQ_ONLY_PLACES = frozenset({"readPoint", "bizLocation"})
_PREFIX = re.compile(r"[A-Za-z_][\w.-]*")
_LOCAL = re.compile(r"[A-Za-z_][\w.-]*")
# Prefixes the standard EPCIS 2.0 JSON-LD context defines, which no document redeclares.
_STANDARD_PREFIXES = {prefix: spaces[-1] for prefix, spaces in STANDARD_XML_NAMESPACES.items()}


@dataclass(frozen=True)
class FieldName:
    """A namespace-qualified name: by namespace (``ns#local``) or by prefix (``p:local``)."""

    local: str
    namespace: str | None = None
    prefix: str | None = None

    @classmethod
    def parse(cls, parameter: str, written: str) -> FieldName:
        if "#" in written:
            namespace, _, local = written.rpartition("#")
            if namespace and _LOCAL.fullmatch(local):
                return cls(local, namespace=namespace)
        elif ":" in written:
            prefix, _, local = written.partition(":")
            if _PREFIX.fullmatch(prefix) and _LOCAL.fullmatch(local):
                return cls(local, prefix=prefix)
        raise InvalidInput(
            f"{written!r} is not a namespace-qualified field name: write namespace#name "
            "(http://ns.example.com/epcis/#myField) or prefix:name (example:myField)",
            field=parameter,
        )

    def names(self, key: str, prefixes: Mapping[str, str]) -> bool:
        """Whether the event member ``key``, read with the event's ``prefixes``, is this."""
        if self.prefix is not None and key == f"{self.prefix}:{self.local}":
            return True
        wanted = self.namespace
        if wanted is None:
            wanted = prefixes.get(self.prefix or "")
            if wanted is None:
                return False
        if key == wanted + self.local:  # written as a full IRI
            return True
        prefix, colon, local = key.partition(":")
        return bool(colon) and local == self.local and prefixes.get(prefix) == wanted


@dataclass(frozen=True)
class FieldCondition:
    """One extension-field parameter, parsed: what to compare, with what, where."""

    parameter: str
    operator: str
    inner: bool
    place: str | None
    field: FieldName
    # EQ: the values (any one may match); GT..LE: a number or an instant; EXISTS: None.
    value: tuple[str, ...] | float | datetime | None

    @property
    def member(self) -> str | None:
        """The event member that must be present for this condition to hold."""
        return PLACES[self.place] if self.place is not None else None

    def holds(self, event: Mapping[str, Any]) -> bool:
        prefixes = _prefixes(event)
        found = (
            value
            for container in _containers(event, self.place)
            for key, value in (_nested(container) if self.inner else container.items())
            if self.field.names(key, prefixes)
        )
        return any(self._accepts(value) for value in found)

    def _accepts(self, found: Any) -> bool:
        if isinstance(found, list):
            # A repeated element: any occurrence may match (EXISTS: any non-empty one).
            return any(self._accepts(item) for item in found)
        if self.operator == "EXISTS":
            return found is not None and found != "" and found != {}
        if self.operator == "EQ":
            assert isinstance(self.value, tuple)
            return any(_same(found, wanted) for wanted in self.value)
        compare = COMPARISONS[self.operator]
        if isinstance(self.value, datetime):
            moment = instant(found)
            return moment is not None and compare(moment, self.value)
        number = finite_number(found)
        return number is not None and compare(number, self.value)


def field_condition(parameter: str, raw: str) -> FieldCondition | None:
    """The extension-field condition ``parameter`` asks for; None when the name is of no such
    family (another parameter, or an unknown one). A name of the family whose fieldname or
    value is ill-formed is refused."""
    op, underscore, rest = parameter.partition("_")
    if op not in OPERATORS or not underscore:
        return None
    inner = rest.startswith("INNER_")
    rest = rest.removeprefix("INNER_")
    place = next((p for p in PLACES if rest.startswith(p + "_")), None)
    written = rest[len(place) + 1 :] if place else rest
    if not (inner or place or "#" in written or ":" in written):
        return None  # EQ_bizStep and the like, or a name of no family at all
    if place in EQ_ONLY_PLACES and op != "EQ":
        raise InvalidInput(f"{place} extensions are compared with EQ_ only", field=parameter)
    field = FieldName.parse(parameter, written)
    return FieldCondition(parameter, op, inner, place, field, _value(parameter, op, raw))


def _value(parameter: str, op: str, raw: str) -> tuple[str, ...] | float | datetime | None:
    if op == "EXISTS":
        return None  # the standard's Void: what is given is not read
    if op == "EQ":
        values = tuple(v for v in (part.strip() for part in raw.split("|")) if v)
        if not values:
            raise InvalidInput("needs at least one value", field=parameter)
        return values
    number = finite_number(raw)
    if number is not None:
        return number
    moment = instant(raw)
    if moment is None:
        raise InvalidInput(
            f"{raw!r} is neither a number nor a date-time with a time zone", field=parameter
        )
    return moment


def _prefixes(event: Mapping[str, Any]) -> dict[str, str]:
    """Prefix -> namespace, from the standard context and the event's own @context."""
    found = dict(_STANDARD_PREFIXES)
    context = event.get("@context")
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, Mapping):
            for prefix, definition in entry.items():
                if isinstance(definition, Mapping):
                    definition = definition.get("@id")
                if isinstance(definition, str):
                    found[prefix] = definition
    return found


def _mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))


def _containers(event: Mapping[str, Any], place: str | None) -> Iterator[Mapping[str, Any]]:
    if place is None:
        yield event
    elif place in ("SENSORELEMENT", "SENSORMETADATA", "SENSORREPORT"):
        for element in _mappings(event.get("sensorElementList")):
            if place == "SENSORELEMENT":
                yield element
            elif place == "SENSORMETADATA":
                yield from _mappings(element.get("sensorMetadata"))
            else:
                yield from _mappings(element.get("sensorReport"))
    else:
        yield from _mappings(event.get(PLACES[place]))


def _nested(container: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every member nested inside the container's extension members (prefix:name ones),
    at any depth, but not those members themselves."""
    for key, value in container.items():
        if ":" in key:
            yield from _all_members(value)


def _all_members(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield key, inner
            yield from _all_members(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _all_members(item)


def finite_number(value: Any) -> float | None:
    """A finite number, written as a JSON number or as text (XML keeps every value as text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def aware_datetime(value: Any) -> datetime | None:
    """A date-time with a time zone, in its own offset; None for anything else (a naive
    one too: its instant is unknown)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def instant(value: Any) -> datetime | None:
    """A date-time with a time zone, in UTC, so that any two compare; None for anything else."""
    moment = aware_datetime(value)
    return moment.astimezone(UTC) if moment is not None else None


def _same(found: Any, wanted: str) -> bool:
    """Whether a field's value equals a queried one: as text, or as the same number or
    instant however written (XML keeps every value as text; JSON may not)."""
    if isinstance(found, bool):
        return wanted.lower() == str(found).lower()
    if isinstance(found, str) and found == wanted:
        return True
    if isinstance(found, (str, int, float)):
        number, asked = finite_number(found), finite_number(wanted)
        if number is not None and asked is not None:
            return number == asked
        moment, asked_moment = instant(found), instant(wanted)
        return moment is not None and moment == asked_moment
    return False
