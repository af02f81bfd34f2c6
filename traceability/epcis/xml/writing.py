"""The EPCIS 2.0 JSON-LD form the portal stores -> EPCIS 2.0 or 1.2 XML.

The inverse of :mod:`~traceability.epcis.xml.reading`: CBV bare words are written as their
URNs, ``prefix:local`` members as elements of the namespace ``@context`` gives the prefix.
A prefix no context defines is, in JSON-LD, the scheme of an absolute IRI ("p:local" expands
to "p:local"); it is written with namespace "p:", which keeps that IRI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from lxml import etree

from traceability.epcis.xml import names
from traceability.epcis.xml.reading import TEXT
from traceability.errors import InvalidInput

XmlVersion = Literal["2.0", "1.2"]
_SKIPPED: Final = frozenset({"type", "@context"})
# JSON-LD native values in XML (JSON-LD 1.1 section 8.6): their type says what the text is.
_XSD_TYPE_OF: Final = {bool: "boolean", int: "integer", float: "double"}


def _context_prefixes(context: Any, into: dict[str, str]) -> dict[str, str]:
    entries = context if isinstance(context, list) else [context]
    for entry in entries:
        if isinstance(entry, Mapping):
            for prefix, uri in entry.items():
                if isinstance(prefix, str) and isinstance(uri, str) and not prefix.startswith("@"):
                    into[prefix] = uri
    return into


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return ""
    return str(value)


def _urn(value: Any, urn_prefix: str) -> str:
    text = _scalar(value)
    return urn_prefix + text if text and ":" not in text else text


class _Writer:
    def __init__(self, version: XmlVersion) -> None:
        self.version = version
        self.used: dict[str, str] = {}  # prefix -> namespace, declared on the root

    def qname(self, key: str, prefixes: Mapping[str, str]) -> str:
        if ":" not in key:
            return key
        if "://" in key:
            return self.iri_qname(key)
        prefix, local = key.split(":", 1)
        namespace = prefixes.get(prefix) or names.DEFAULT_XML_NAMESPACE.get(prefix)
        if namespace is None:
            namespace = prefix + ":"
        if not local or not _is_ncname(local) or not _is_ncname(prefix):
            raise InvalidInput(f"{key!r} cannot be an XML element name", field=key)
        if self.used.setdefault(prefix, namespace) != namespace:
            raise InvalidInput(f"prefix {prefix!r} names two namespaces", field=key)
        return f"{{{namespace}}}{local}"

    def iri_qname(self, iri: str) -> str:
        """A member named by an absolute IRI: namespace up to its last "/" or "#", under a
        prefix of its own (read back as "nsN:local", which expands to the same IRI)."""
        cut = max(iri.rfind("/"), iri.rfind("#")) + 1
        namespace, local = iri[:cut], iri[cut:]
        if not local or not _is_ncname(local):
            raise InvalidInput(f"{iri!r} cannot be an XML element name", field=iri)
        prefix = next((p for p, uri in self.used.items() if uri == namespace), None)
        if prefix is None:
            number = 1
            while f"ns{number}" in self.used:
                number += 1
            prefix = f"ns{number}"
            self.used[prefix] = namespace
        return f"{{{namespace}}}{local}"

    def sub(self, parent: Any, tag: str, text: str | None = None) -> Any:
        element = etree.SubElement(parent, tag)
        if text is not None:
            element.text = text
        return element

    def generic(self, parent: Any, key: str, value: Any, prefixes: Mapping[str, str]) -> None:
        if isinstance(value, list):
            for item in value:
                self.generic(parent, key, item, prefixes)
            return
        element = self.sub(parent, self.qname(key, prefixes))
        if isinstance(value, Mapping):
            # Inside an extension "type" is data like any other member.
            # With text, the other plain members were the element's attributes.
            attributes = TEXT in value
            for member, inner in value.items():
                if member == TEXT:
                    element.text = _scalar(inner)
                elif attributes and not isinstance(inner, Mapping | list):
                    element.set(self.qname(member, prefixes), _scalar(inner))
                elif member != "@context":
                    self.generic(element, member, inner, prefixes)
        else:
            element.text = _scalar(value)
            xsd_type = _XSD_TYPE_OF.get(type(value))
            if xsd_type is not None:
                self.used.setdefault("xsd", names.XSD)
                self.used.setdefault("xsi", names.XSI)
                element.set(f"{{{names.XSI}}}type", f"xsd:{xsd_type}")

    def extras(
        self, parent: Any, obj: Mapping[str, Any], known: Sequence[str], prefixes: Mapping[str, str]
    ) -> None:
        for key, value in obj.items():
            if key not in known and key not in _SKIPPED:
                self.generic(parent, key, value, prefixes)

    def field(self, parent: Any, name: str, value: Any, prefixes: Mapping[str, str]) -> None:
        if name in names.EPC_LISTS:
            holder = self.sub(parent, name)
            for epc in value:
                self.sub(holder, "epc", _scalar(epc))
        elif name in names.QUANTITY_LISTS:
            holder = self.sub(parent, name)
            for item in value:
                element = self.sub(holder, "quantityElement")
                for member in ("epcClass", "quantity", "uom"):
                    if member in item:
                        self.sub(element, member, _scalar(item[member]))
                self.extras(element, item, ("epcClass", "quantity", "uom"), prefixes)
        elif name == "bizStep":
            self.sub(parent, name, _urn(value, names.BIZ_STEP))
        elif name == "disposition":
            self.sub(parent, name, _urn(value, names.DISPOSITION))
        elif name in ("readPoint", "bizLocation"):
            element = self.sub(parent, name)
            self.sub(element, "id", _scalar(value.get("id")))
            self.extras(element, value, ("id",), prefixes)
        elif name == "bizTransactionList":
            self.typed_list(parent, name, "bizTransaction", value, names.BIZ_TRANSACTION_TYPE)
        elif name in ("sourceList", "destinationList"):
            member = name.removesuffix("List")
            self.typed_list(parent, name, member, value, names.SOURCE_DEST_TYPE)
        elif name == "sensorElementList":
            holder = self.sub(parent, name)
            for item in value:
                self.sensor_element(holder, item, prefixes)
        elif name == "persistentDisposition":
            element = self.sub(parent, name)
            for member in ("set", "unset"):
                for word in value.get(member, []):
                    self.sub(element, member, _urn(word, names.DISPOSITION))
            self.extras(element, value, ("set", "unset"), prefixes)
        elif name == "errorDeclaration":
            element = self.sub(parent, name)
            if "declarationTime" in value:
                self.sub(element, "declarationTime", _scalar(value["declarationTime"]))
            if "reason" in value:
                self.sub(element, "reason", _urn(value["reason"], names.ERROR_REASON))
            if "correctiveEventIDs" in value:
                ids = self.sub(element, "correctiveEventIDs")
                for event_id in value["correctiveEventIDs"]:
                    self.sub(ids, "correctiveEventID", _scalar(event_id))
            known = ("declarationTime", "reason", "correctiveEventIDs")
            self.extras(element, value, known, prefixes)
        elif name == "ilmd":
            element = self.sub(parent, name)
            self.extras(element, value, (), prefixes)
        else:
            values = value if isinstance(value, list) else [value]
            for item in values:
                self.sub(parent, name, _scalar(item))

    def typed_list(self, parent: Any, name: str, member: str, items: Any, urn_prefix: str) -> None:
        holder = self.sub(parent, name)
        for item in items:
            element = self.sub(holder, member, _scalar(item.get(member)))
            if "type" in item:
                element.set("type", _urn(item["type"], urn_prefix))

    def sensor_attributes(
        self, element: Any, attributes: Mapping[str, Any], prefixes: Mapping[str, str]
    ) -> None:
        for key, value in attributes.items():
            if key == "type":
                text = _urn(value, names.MEASUREMENT_TYPE)
            elif key == "component":
                text = _urn(value, names.COMPONENT)
            else:
                text = _scalar(value)
            element.set(self.qname(key, prefixes), text)

    def sensor_element(
        self, holder: Any, item: Mapping[str, Any], prefixes: Mapping[str, str]
    ) -> None:
        element = self.sub(holder, "sensorElement")
        if "sensorMetadata" in item:
            metadata = self.sub(element, "sensorMetadata")
            self.sensor_attributes(metadata, item["sensorMetadata"], prefixes)
        for report in item.get("sensorReport", []):
            self.sensor_attributes(self.sub(element, "sensorReport"), report, prefixes)
        self.extras(element, item, ("sensorMetadata", "sensorReport"), prefixes)

    def event(
        self, parent: Any, event: Mapping[str, Any], document_prefixes: dict[str, str]
    ) -> None:
        kind = event.get("type")
        if kind not in names.FIELD_ORDER_2:
            raise InvalidInput(f"{kind!r} has no EPCIS XML form", field="type")
        prefixes = _context_prefixes(event.get("@context"), dict(document_prefixes))
        if self.version == "1.2":
            self.event_1_2(parent, kind, event, prefixes)
            return
        element = self.sub(parent, kind)
        order = names.FIELD_ORDER_2[kind]
        for name in order:
            if name in event:
                self.field(element, name, event[name], prefixes)
        self.extras(element, event, order, prefixes)

    def event_1_2(
        self, parent: Any, kind: str, event: Mapping[str, Any], prefixes: Mapping[str, str]
    ) -> None:
        # 1.2 puts TransformationEvent one <extension> down in the EventList, and
        # AssociationEvent (which it does not know) two, as 1.2 systems exchange it.
        if kind == "TransformationEvent":
            parent = self.sub(parent, "extension")
        elif kind == "AssociationEvent":
            parent = self.sub(self.sub(parent, "extension"), "extension")
        element = self.sub(parent, kind)
        for name in ("eventTime", "recordTime", "eventTimeZoneOffset"):
            if name in event:
                self.field(element, name, event[name], prefixes)
        base = [name for name in names.BASE_EXTENSION_1_2 if name in event]
        if base:
            holder = self.sub(element, "baseExtension")
            for name in base:
                self.field(holder, name, event[name], prefixes)
        main, extended = names.FIELDS_1_2.get(kind, (names.FIELD_ORDER_2[kind][6:], ()))
        for name in main:
            if name in event:
                self.field(element, name, event[name], prefixes)
        placed = {"eventTime", "recordTime", "eventTimeZoneOffset", *base, *main}
        later = [n for n in names.FIELD_ORDER_2[kind] if n in event and n not in placed]
        first = [n for n in extended if n in later]
        deeper = [n for n in later if n not in extended]
        if first or deeper:
            holder = self.sub(element, "extension")
            for name in first:
                self.field(holder, name, event[name], prefixes)
            if deeper:
                inner = self.sub(holder, "extension") if kind != "TransformationEvent" else holder
                for name in deeper:
                    self.field(inner, name, event[name], prefixes)
        self.extras(element, event, names.FIELD_ORDER_2[kind], prefixes)


def _is_ncname(text: str) -> bool:
    try:
        etree.QName(text)
    except ValueError:
        return False
    return ":" not in text


def jsonld_to_xml(document: Mapping[str, Any], version: XmlVersion = "2.0") -> bytes:
    """EPCIS XML of a JSON-LD EPCISDocument or EPCISQueryDocument, UTF-8 with a declaration."""
    kind = document.get("type")
    if kind not in ("EPCISDocument", "EPCISQueryDocument"):
        raise InvalidInput("must be an EPCISDocument or EPCISQueryDocument", field="type")
    writer = _Writer(version)
    query = kind == "EPCISQueryDocument"
    if version == "2.0":
        namespace = names.QUERY_2 if query else names.EPCIS_2
    else:
        namespace = names.QUERY_1 if query else names.EPCIS_1
    prefix = "epcisq" if query else "epcis"
    root = etree.Element(f"{{{namespace}}}{kind}", nsmap={prefix: namespace})
    root.set("schemaVersion", version)
    if "creationDate" in document:
        root.set("creationDate", _scalar(document["creationDate"]))
    prefixes = _context_prefixes(document.get("@context"), {})
    for name, uri in prefixes.items():
        # Every prefix is declared, used by a name or not: a value ("example:x") may use it.
        if _is_ncname(name) and name not in ("xml", "xmlns"):
            writer.used.setdefault(
                name,
                names.DEFAULT_XML_NAMESPACE.get(name, uri)
                if name in names.DEFAULT_XML_NAMESPACE
                and uri in names.STANDARD_XML_NAMESPACES[name]
                else uri,
            )
    body = etree.SubElement(root, "EPCISBody")
    content = document.get("epcisBody") or {}
    if query:
        results_json = content.get("queryResults") or {}
        results = etree.SubElement(body, f"{{{namespace}}}QueryResults")
        for name in ("queryName", "subscriptionID"):
            if name in results_json:
                writer.sub(results, name, _scalar(results_json[name]))
        holder = writer.sub(results, "resultsBody")
        events = (results_json.get("resultsBody") or {}).get("eventList", [])
    else:
        holder = body
        events = content.get("eventList", [])
    event_list = writer.sub(holder, "EventList")
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise InvalidInput("must be an object", field=f"eventList[{index}]")
        writer.event(event_list, event, prefixes)
    # Declarations only referred to in values (xsi:type="xsd:integer", "example:x") are kept.
    etree.cleanup_namespaces(
        root, top_nsmap={prefix: namespace, **writer.used}, keep_ns_prefixes=list(writer.used)
    )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
