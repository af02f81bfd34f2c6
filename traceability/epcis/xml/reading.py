"""EPCIS 2.0 and 1.2 XML -> the EPCIS 2.0 JSON-LD document the portal stores.

1.2 wraps what later versions added in ``<extension>`` (quantityList, sourceList, ilmd,
TransformationEvent ...) and ``<baseExtension>`` (eventID, errorDeclaration); those wrappers
are unwrapped here, so both versions give the same JSON-LD. User extension elements become
``prefix:local`` members, their namespaces ``@context`` prefixes, as EPCIS 2.0 section 10
maps them and GS1's JSON-LD twins of its XML examples show.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from lxml import etree

from traceability.epcis.xml import names
from traceability.epcis.xml.safe_parse import parse_xml
from traceability.errors import InvalidInput

# The text of an extension element that also has attributes.
TEXT: Final = "#text"
EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
_NIL: Final = f"{{{names.XSI}}}nil"
_TRUE: Final = ("true", "1")
_TYPE: Final = f"{{{names.XSI}}}type"
_NOT_PREFIXES: Final = names.EPCIS_NAMESPACES | {names.XSI}
_WRAPPERS: Final = frozenset({"extension", "baseExtension"})
_TEXT_FIELDS: Final = frozenset(
    {
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "action",
        "parentID",
        "transformationID",
        "certificationInfo",
    }
)


def _local(element: Any) -> str:
    # Tags are "{namespace}local" or "local": string work, cheaper than etree.QName.
    tag = str(element.tag)
    return tag[tag.index("}") + 1 :] if tag[0] == "{" else tag


def _namespace(element: Any) -> str | None:
    tag = str(element.tag)
    return tag[1 : tag.index("}")] if tag[0] == "{" else None


def _text(element: Any) -> str:
    return str(element.text or "").strip()


def _cbv(value: str, urn_prefix: str) -> str:
    """A CBV standard value as JSON-LD writes it: the bare word for its URN form."""
    if value.startswith(urn_prefix) and len(value) > len(urn_prefix):
        return value[len(urn_prefix) :]
    return value


def _number(value: str, where: str) -> int | float:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not a number", field=where) from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInput(f"{value!r} is not a finite number", field=where)
    return number


def _typed(element: Any) -> Any:
    """The text of a leaf element, as the JSON value its xsi:type names (a string if none)."""
    text = str(element.text or "")
    declared = element.get(_TYPE)
    if not declared or ":" not in declared:
        return text
    prefix, local = declared.split(":", 1)
    if element.nsmap.get(prefix) != names.XSD:
        return text
    if local in names.XSD_BOOLEAN and text.strip() in ("true", "false", "1", "0"):
        return text.strip() in ("true", "1")
    if local in names.XSD_INTEGER | names.XSD_DOUBLE:
        number = _number(text.strip(), _local(element))
        return float(number) if local in names.XSD_DOUBLE else number
    return text


def _children(element: Any) -> Iterator[Any]:
    """Element children, with EPCIS's <extension>/<baseExtension> wrappers unwrapped.

    A standard element is unqualified, so its tag is its name; an extension's tag starts
    with "{namespace}" and never equals one. (The parser drops comments and processing
    instructions, so every child here is an element.)"""
    for child in element:
        tag = child.tag
        if tag in _WRAPPERS:
            yield from _children(child)
        elif isinstance(tag, str) and child.get(_NIL) not in _TRUE:
            yield child  # xsi:nil says the element has no value: JSON-LD leaves it out


class _Reader:
    """One document's conversion; collects the namespaces its extensions use."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}  # prefix -> namespace, for @context

    def declare(self, root: Any) -> None:
        """Every namespace the root declares becomes a prefix, used or not (a value such as
        "example:x" may name it); those of other elements as their names use them."""
        for prefix, namespace in root.nsmap.items():
            if namespace not in _NOT_PREFIXES:
                self.prefix_for(namespace, prefix)

    def key(self, element: Any) -> str:
        namespace = _namespace(element)
        if namespace is None:
            return _local(element)
        return f"{self.prefix_for(namespace, element.prefix)}:{_local(element)}"

    def attribute_key(self, qualified: str, element: Any) -> str:
        name = etree.QName(qualified)
        if not name.namespace:
            return str(name.localname)
        prefix = next((p for p, uri in element.nsmap.items() if uri == name.namespace and p), None)
        return f"{self.prefix_for(str(name.namespace), prefix)}:{name.localname}"

    def prefix_for(self, namespace: str, wanted: str | None) -> str:
        if wanted and namespace in names.STANDARD_XML_NAMESPACES.get(wanted, ()):
            return wanted
        for prefix, known in self.prefixes.items():
            if known == namespace:
                return prefix
        base = wanted or "ns"
        prefix, suffix = base, 1
        while prefix in self.prefixes or prefix in names.STANDARD_XML_NAMESPACES:
            prefix, suffix = f"{base}{suffix}", suffix + 1
        self.prefixes[prefix] = namespace
        return prefix

    # Generic: user extensions, ilmd, and anything unknown, kept as they are.
    def generic(self, element: Any) -> Any:
        children = list(_children(element))
        # JSON-LD has no attributes: an extension element's attributes are members of its
        # object, as its child elements are (EPCIS 2.0 section 10).
        attributes = {
            self.attribute_key(name, element): value
            for name, value in element.attrib.items()
            if etree.QName(name).namespace != names.XSI
        }
        if not children and not attributes:
            return _typed(element)
        members: dict[str, Any] = dict(attributes)
        text = str(element.text or "").strip()
        if text and not children:
            members[TEXT] = text  # <cbvmda:netWeight measurementUnitCode="KGM">3.5</...>
        for child in children:
            self._add(members, self.key(child), self.generic(child))
        return members

    @staticmethod
    def _add(members: dict[str, Any], key: str, value: Any) -> None:
        # generic() never gives a list, so a list here is a repeated element.
        if key not in members:
            members[key] = value
        elif isinstance(members[key], list):
            members[key].append(value)
        else:
            members[key] = [members[key], value]

    def extended(self, members: dict[str, Any], rest: list[Any]) -> dict[str, Any]:
        """A standard object's ``members``, and the extension elements ``rest`` beside them."""
        repeated: dict[str, list[Any]] = {}
        for child in rest:
            repeated.setdefault(self.key(child), []).append(self.generic(child))
        for key, values in repeated.items():
            if key not in members:
                members[key] = values[0] if len(values) == 1 else values
        return members

    def event(self, element: Any) -> dict[str, Any]:
        kind = _local(element)
        event: dict[str, Any] = {"type": kind}
        extensions: dict[str, list[Any]] = {}
        for child in _children(element):
            name = child.tag
            if name[0] == "{" or not self.standard(event, name, child):
                extensions.setdefault(self.key(child), []).append(self.generic(child))
        for key, values in extensions.items():
            if key in event:
                raise InvalidInput(f"{kind}: {key} appears twice", field=key)
            event[key] = values[0] if len(values) == 1 else values
        return event

    def standard(self, event: dict[str, Any], name: str, child: Any) -> bool:
        """Reads a standard field into ``event``; False when ``name`` is none."""
        if name in event:
            raise InvalidInput(f"{event['type']}: {name} appears twice", field=name)
        if name in _TEXT_FIELDS:
            event[name] = _text(child)
        elif name == "bizStep":
            event[name] = _cbv(_text(child), names.BIZ_STEP)
        elif name == "disposition":
            event[name] = _cbv(_text(child), names.DISPOSITION)
        elif name in names.EPC_LISTS:
            event[name] = [_text(epc) for epc in _children(child)]
        elif name in names.QUANTITY_LISTS:
            event[name] = [self.quantity(item) for item in _children(child)]
        elif name in ("readPoint", "bizLocation"):
            event[name] = self.place(child)
        elif name == "bizTransactionList":
            event[name] = [
                self.typed(item, "bizTransaction", names.BIZ_TRANSACTION_TYPE)
                for item in _children(child)
            ]
        elif name in ("sourceList", "destinationList"):
            member = name.removesuffix("List")
            event[name] = [
                self.typed(item, member, names.SOURCE_DEST_TYPE) for item in _children(child)
            ]
        elif name == "sensorElementList":
            event[name] = [self.sensor_element(item) for item in _children(child)]
        elif name == "persistentDisposition":
            event[name] = self.persistent_disposition(child)
        elif name == "errorDeclaration":
            event[name] = self.error_declaration(child)
        elif name == "ilmd":
            value = self.generic(child)
            event[name] = value if isinstance(value, dict) else {}
        else:
            return False
        return True

    def quantity(self, element: Any) -> dict[str, Any]:
        rest: list[Any] = []
        item: dict[str, Any] = {}
        for child in _children(element):
            name = child.tag
            if name == "epcClass" or name == "uom":
                item[name] = _text(child)
            elif name == "quantity":
                item[name] = _number(_text(child), "quantity")
            else:
                rest.append(child)
        return self.extended(item, rest)

    def place(self, element: Any) -> dict[str, Any]:
        rest: list[Any] = []
        place: dict[str, Any] = {}
        for child in _children(element):
            if child.tag == "id":
                place["id"] = _text(child)
            else:
                rest.append(child)
        return self.extended(place, rest)

    def typed(self, element: Any, member: str, urn_prefix: str) -> dict[str, Any]:
        item: dict[str, Any] = {}
        kind = element.get("type")
        if kind is not None:
            item["type"] = _cbv(kind.strip(), urn_prefix)
        item[member] = _text(element)
        return item

    def sensor_attributes(self, element: Any) -> dict[str, Any]:
        members: dict[str, Any] = {}
        for qualified, raw in element.attrib.items():
            key = self.attribute_key(qualified, element)
            value: Any = raw
            if key in names.NUMBER_ATTRIBUTES:
                value = _number(raw.strip(), key)
            elif key in names.BOOLEAN_ATTRIBUTES:
                if raw.strip() not in ("true", "false", "1", "0"):
                    raise InvalidInput(f"{raw!r} is not a boolean", field=key)
                value = raw.strip() in ("true", "1")
            elif key == "type":
                value = _cbv(raw.strip(), names.MEASUREMENT_TYPE)
            members[key] = value
        return members

    def sensor_element(self, element: Any) -> dict[str, Any]:
        rest: list[Any] = []
        item: dict[str, Any] = {}
        reports = []
        for child in _children(element):
            name = child.tag
            if name == "sensorMetadata":
                item["sensorMetadata"] = self.sensor_attributes(child)
            elif name == "sensorReport":
                reports.append(self.sensor_attributes(child))
            else:
                rest.append(child)
        if reports:
            item["sensorReport"] = reports
        return self.extended(item, rest)

    def persistent_disposition(self, element: Any) -> dict[str, Any]:
        rest: list[Any] = []
        result: dict[str, Any] = {}
        for child in _children(element):
            name = child.tag
            if name in ("set", "unset"):
                result.setdefault(name, []).append(_cbv(_text(child), names.DISPOSITION))
            else:
                rest.append(child)
        return self.extended(result, rest)

    def error_declaration(self, element: Any) -> dict[str, Any]:
        rest: list[Any] = []
        result: dict[str, Any] = {}
        for child in _children(element):
            name = child.tag
            if name == "declarationTime":
                result[name] = _text(child)
            elif name == "reason":
                result[name] = _cbv(_text(child), names.ERROR_REASON)
            elif name == "correctiveEventIDs":
                result[name] = [_text(item) for item in _children(child)]
            else:
                rest.append(child)
        return self.extended(result, rest)

    def events(self, event_list: Any) -> list[dict[str, Any]]:
        events = []
        for child in _children(event_list):
            if child.tag in names.EVENT_TYPES:
                events.append(self.event(child))
            else:
                raise InvalidInput(f"{_local(child)} is not an EPCIS event type", field="EventList")
        return events

    def context(self) -> list[Any]:
        return [EPCIS_CONTEXT, *({prefix: uri} for prefix, uri in self.prefixes.items())]


def _find(element: Any, name: str) -> Any:
    for child in _children(element):
        if _local(child) == name:
            return child
    return None


def _document_head(root: Any, kind: str) -> dict[str, Any]:
    document: dict[str, Any] = {"type": kind}
    version = root.get("schemaVersion")
    # A 1.2 document is converted to 2.0: its schemaVersion says what it now is.
    document["schemaVersion"] = "2.0" if version in (None, "1.2", "1.1", "1.0") else version
    creation = root.get("creationDate")
    if creation is not None:
        document["creationDate"] = creation.strip()
    return document


def xml_to_jsonld(data: bytes, max_bytes: int) -> dict[str, Any]:
    """The EPCIS 2.0 JSON-LD form of an EPCIS 2.0 or 1.2 XML EPCISDocument or
    EPCISQueryDocument; :class:`InvalidInput` when the XML is not one."""
    root = parse_xml(data, max_bytes)
    kind = _local(root)
    if _namespace(root) not in names.EPCIS_NAMESPACES or kind not in (
        "EPCISDocument",
        "EPCISQueryDocument",
    ):
        raise InvalidInput(
            f"the root element must be an EPCISDocument or EPCISQueryDocument of namespace "
            f"{names.EPCIS_2} (2.0) or {names.EPCIS_1} (1.2), got {root.tag}",
            field="body",
        )
    reader = _Reader()
    reader.declare(root)
    document = _document_head(root, kind)
    header = _find(root, "EPCISHeader")
    if header is not None:
        document["epcisHeader"] = reader.generic(header)
    body = _find(root, "EPCISBody")
    if body is None:
        raise InvalidInput("the document has no EPCISBody", field="EPCISBody")
    if kind == "EPCISDocument":
        event_list = _find(body, "EventList")
        events = reader.events(event_list) if event_list is not None else []
        document["epcisBody"] = {"eventList": events}
    else:
        results = _find(body, "QueryResults")
        if results is None:
            raise InvalidInput("the query document has no QueryResults", field="QueryResults")
        answer: dict[str, Any] = {}
        for name in ("queryName", "subscriptionID"):
            found = _find(results, name)
            if found is not None:
                answer[name] = _text(found)
        results_body = _find(results, "resultsBody")
        event_list = _find(results_body, "EventList") if results_body is not None else None
        answer["resultsBody"] = {
            "eventList": reader.events(event_list) if event_list is not None else []
        }
        document["epcisBody"] = {"queryResults": answer}
    return {"@context": reader.context(), **document}
