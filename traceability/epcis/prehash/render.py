"""Step 4: the pre-hash string of an event tree, fields in the order of CBV 2.0 section 8.9."""

from __future__ import annotations

from typing import Any, Final

from traceability.epcis.prehash.event_tree import ORDERED_MEMBERS, Node
from traceability.epcis.prehash.values import canonical_value, utc_timestamp

# Field order of the pre-hash string (CBV 2.0, 8.9). None: a leaf-like field; a dict: the order
# of the field's children.
_Order = dict[str, "_Order | None"]


def _order(names: str) -> _Order:
    return dict.fromkeys(names.split())


_QUANTITY: Final[_Order] = {"quantityElement": _order("epcClass quantity uom")}
_EPCS: Final[_Order] = {"epc": None}
_SENSOR_METADATA: Final = _order(
    "time startTime endTime deviceID deviceMetadata rawData dataProcessingMethod bizRules"
)
_SENSOR_REPORT: Final = _order(
    "type exception deviceID deviceMetadata rawData dataProcessingMethod time microorganism"
    " chemicalSubstance value component stringValue booleanValue hexBinaryValue uriValue"
    " minValue maxValue meanValue sDev percRank percValue uom coordinateReferenceSystem"
)
EVENT_ORDER: Final[_Order] = {
    "eventTime": None,
    "eventTimeZoneOffset": None,
    "certificationInfo": None,
    "parentID": None,
    "epcList": _EPCS,
    "inputEPCList": _EPCS,
    "childEPCs": _EPCS,
    "quantityList": _QUANTITY,
    "childQuantityList": _QUANTITY,
    "inputQuantityList": _QUANTITY,
    "outputEPCList": _EPCS,
    "outputQuantityList": _QUANTITY,
    "action": None,
    "transformationID": None,
    "bizStep": None,
    "disposition": None,
    "persistentDisposition": _order("set unset"),
    "readPoint": {"id": None},
    "bizLocation": {"id": None},
    # The typed lists never render in the ordered part; they end up in the generic tail.
    "bizTransactionList": None,
    "sourceList": None,
    "destinationList": None,
    "sensorElementList": {
        "sensorElement": {"sensorMetadata": _SENSOR_METADATA, "sensorReport": _SENSOR_REPORT}
    },
    # ilmd is not in the ordered part either: it is rendered with the generic tail.
}
_ABSENT: Final[Any] = object()


def _is_extension(name: str) -> bool:
    return "{" in name and "/}" in name


def render_ordered(children: list[Node], order: _Order) -> tuple[str, list[Node]]:
    """Render the children named in ``order``; return the text and the children left over."""
    extensions: list[Node] = []
    if len(children) > 1 and not any(
        "eventTime" in child[0] or "action" in child[0] for child in children
    ):
        extensions = [child for child in children if _is_extension(child[0])]
        if extensions:
            children = [child for child in children if not _is_extension(child[0])]
    rendered: dict[str, list[str]] = {}
    remaining: list[Node] = []
    for child in children:
        name = child[0]
        sub_order = order.get(name, _ABSENT)
        if sub_order is _ABSENT:
            remaining.append(child)
            continue
        grand_children = child[2]
        nested = ""
        if sub_order is not None:
            nested, grand_children = render_ordered(grand_children, sub_order)
        value = ""
        if child[1]:
            value = child[1].strip()
            lowered = name.lower()
            if "time" in lowered and "offset" not in lowered:
                value = utc_timestamp(value)
            else:
                value = canonical_value(value)
            if value:
                value = "=" + value
        if value or nested:
            rendered.setdefault(name, []).append(name + value + nested)
        if grand_children:
            remaining.append((name, child[1], grand_children))
    text = "".join("".join(sorted(rendered[name])) for name in order if name in rendered)
    if extensions:
        text += render_generic(extensions)
    return text, remaining


def render_generic(children: list[Node]) -> str:
    parts = []
    for name, text, grand_children in children:
        value = text.strip()
        if value:
            value = "=" + canonical_value(value)
        parts.append(name + value + (render_generic(grand_children) if grand_children else ""))
    if len(parts) > 1 and not any(child[0] in ORDERED_MEMBERS for child in children):
        parts.sort()
    return "".join(parts)
