"""SimpleEventQuery parameters on master data (EPCIS 2.0 section 8.2.7.1): ``HASATTR_{field}``
(the field's vocabulary element has a non-null attribute of one of the names given) and
``EQ_ATTR_{field}_{attribute}`` (that attribute equals one of the values given).

The portal's master data is its registry. Of an event's fields whose values are vocabulary
elements, the registry describes the places: a ``readPoint`` or ``bizLocation`` that is a
registered GLN (without a GLN extension: a place within it is another element, which the
registry does not describe) has that location's name, address, province and coordinates, as
the CBV location attributes below. Any other field (``bizStep``, ``disposition``, an
extension field...) and any other attribute have no master data here, so the parameter finds
no event: the standard's answer for an element without master data or without that attribute.
"""

from __future__ import annotations

from dataclasses import dataclass

from traceability.errors import InvalidInput

# Names of these families, for schemas.
NAME_PREFIXES = ("HASATTR_", "EQ_ATTR_")
LOCATION_FIELDS = frozenset({"readPoint", "bizLocation"})
# CBV location master-data attribute (local name) -> the registered location's field.
LOCATION_ATTRIBUTES = {
    "name": "name",
    "streetAddressOne": "address",
    "state": "province",
    "latitude": "latitude",
    "longitude": "longitude",
}
# How a CBV master-data attribute is written: its URN (either separator), the cbvmda: prefix of
# the EPCIS JSON-LD context, or its bare name (what the binding's query schema allows).
_ATTRIBUTE_PREFIXES = ("urn:epcglobal:cbv:mda#", "urn:epcglobal:cbv:mda:", "cbvmda:")


@dataclass(frozen=True)
class MasterDataCondition:
    """One HASATTR_ or EQ_ATTR_ parameter, parsed."""

    parameter: str
    field: str
    # The registered location's fields the attributes name (none: no attribute it keeps).
    location_fields: tuple[str, ...]
    # EQ_ATTR_: the attribute equals one of these; HASATTR_: None (it has a value).
    values: tuple[str, ...] | None

    @property
    def describes_places(self) -> bool:
        """Whether the registry holds master data this condition can be asked of."""
        return self.field in LOCATION_FIELDS and bool(self.location_fields)


def _location_field(attribute: str) -> str | None:
    for prefix in _ATTRIBUTE_PREFIXES:
        if attribute.startswith(prefix):
            attribute = attribute[len(prefix) :]
            break
    return LOCATION_ATTRIBUTES.get(attribute)


def _listed(parameter: str, raw: str) -> tuple[str, ...]:
    values = tuple(v for v in (part.strip() for part in raw.split("|")) if v)
    if not values:
        raise InvalidInput("needs at least one value", field=parameter)
    return values


def _known(attributes: tuple[str, ...]) -> tuple[str, ...]:
    found = (_location_field(a) for a in attributes)
    return tuple(sorted({f for f in found if f is not None}))


def master_data_condition(parameter: str, raw: str) -> MasterDataCondition | None:
    """The condition ``parameter`` asks for; None when the name is of neither family."""
    if parameter.startswith("HASATTR_"):
        field = parameter.removeprefix("HASATTR_")
        if not field:
            raise InvalidInput("names no field: HASATTR_bizLocation, say", field=parameter)
        return MasterDataCondition(parameter, field, _known(_listed(parameter, raw)), None)
    if not parameter.startswith("EQ_ATTR_"):
        return None
    rest = parameter.removeprefix("EQ_ATTR_")
    # A standard field's name has no '_': the first one ends it (readPoint, bizLocation).
    field, _, attribute = rest.partition("_")
    if not field or not attribute:
        raise InvalidInput(
            "names no field and attribute: EQ_ATTR_bizLocation_name, say", field=parameter
        )
    return MasterDataCondition(parameter, field, _known((attribute,)), _listed(parameter, raw))
