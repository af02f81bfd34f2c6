"""EPCIS XML <-> JSON-LD (EPCIS 2.0 section 10, "XML and JSON/JSON-LD bindings"), checked on
every XML example GS1 and the OpenEPCIS project publish (conformance folder): each converts
to JSON-LD that GS1's JSON Schema takes, converts back without losing a field, an extension
or a namespace, and keeps the CBV 2.0 event hash ID of its events.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import material, require_conformance
from tests.epcis_schema import EXAMPLES_DIR, schema_errors
from tests.epcis_xml import XML_DIR, XML_EXAMPLES, example_id, xml_facts
from traceability.epcis.event_hash import document_event_hash_ids
from traceability.epcis.xml import jsonld_to_xml, parse_xml, xml_to_jsonld
from traceability.errors import InvalidInput, TooLarge

LIMIT = 1024 * 1024
JSON_EXAMPLES = sorted(EXAMPLES_DIR.rglob("*.jsonld"))
# GS1 publishes these XML documents and JSON-LD documents as the same events (the EPCIS 2.0
# standard's examples 9.6.1 and the rail TransactionEvents). GS1's other pairs that share a
# name hold different events (the "all possible fields" JSON adds an errorDeclaration and
# certificationInfo its XML lacks; the persistent-disposition XML is an AggregationEvent
# where the JSON is an ObjectEvent), so they are not twins.
TWINS = {
    "2.0/Example_9.6.1-ObjectEvent-2020_06_18a.xml": ("Example_9.6.1-ObjectEvent.jsonld", 2),
    # GS1's JSON lists the second event's rail vehicles in another order than its XML.
    "2.0/Example-TransactionEvent-2020_07_03y.xml": (
        "Example-TransactionEvents-2020_07_03y.jsonld",
        1,
    ),
}


# GS1's JSON Schema lists persistentDisposition for ObjectEvent only, while GS1's own XML
# example Example-PersistentDisposition.xml (and the 1.2 document of every event type) puts
# it on an AggregationEvent, as the EPCIS 2.0 XML schema allows: the conversion keeps it.
SCHEMA_GAP = "'persistentDisposition' is not valid under any of the given schemas"


def gs1_schema_errors(document: Any) -> list[str]:
    return [e for e in schema_errors(document) if not e.endswith(SCHEMA_GAP)]


def convert(path: Path) -> dict[str, Any]:
    return xml_to_jsonld(path.read_bytes(), LIMIT)


def events(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["epcisBody"]["eventList"])


def prefixes(document: dict[str, Any]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for entry in document["@context"]:
        if isinstance(entry, dict):
            merged.update({k: v for k, v in entry.items() if isinstance(v, str)})
    return merged


def same_instants(value: Any) -> Any:
    """Timestamps as instants: the XML writes local time where GS1's JSON twin writes UTC."""
    if isinstance(value, dict):
        return {k: same_instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [same_instants(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return value
    return value


@pytest.mark.parametrize("path", material(XML_EXAMPLES), ids=example_id)
def test_every_xml_example_converts_to_json_ld_that_gs1s_schema_takes(path: Path) -> None:
    document = convert(path)
    assert document["type"] == "EPCISDocument"
    assert events(document), "every example holds events"
    assert gs1_schema_errors(document) == []


def member_prefixes(value: Any) -> set[str]:
    if isinstance(value, list):
        return set().union(*(member_prefixes(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found = {key.split(":", 1)[0] for key in value if ":" in key}
    return found.union(*(member_prefixes(v) for v in value.values()))


# Prefixes the standard EPCIS 2.0 JSON-LD context defines.
STANDARD_PREFIXES = {"cbvmda", "gs1", "cbv", "epcis", "xsd"}


@pytest.mark.parametrize("path", material(XML_EXAMPLES), ids=example_id)
def test_every_extension_namespace_becomes_a_context_prefix(path: Path) -> None:
    document = convert(path)
    declared = prefixes(document)
    used = member_prefixes(events(document))
    assert used <= set(declared) | STANDARD_PREFIXES
    # Each names the namespace the XML declared for it, exactly.
    source = path.read_text()
    for prefix, namespace in declared.items():
        assert f'xmlns:{prefix}="{namespace}"' in source


@pytest.mark.parametrize("version", ["2.0", "1.2"])
@pytest.mark.parametrize("path", material(XML_EXAMPLES), ids=example_id)
def test_xml_to_json_ld_and_back_loses_nothing(path: Path, version: str) -> None:
    document = convert(path)
    written = jsonld_to_xml(document, "2.0" if version == "2.0" else "1.2")
    # Every element, attribute and text of each event is kept (in the standard's order,
    # with 1.2's extension wrappers where 1.2 puts them)...
    assert xml_facts(written) == xml_facts(path.read_bytes())
    # ... and reading it again gives the same JSON-LD, prefixes and all.
    assert xml_to_jsonld(written, LIMIT) == document


@pytest.mark.parametrize("path", material(XML_EXAMPLES), ids=example_id)
def test_the_hash_id_of_an_event_does_not_depend_on_its_format(path: Path) -> None:
    document = convert(path)
    again = xml_to_jsonld(jsonld_to_xml(document), LIMIT)
    legacy = xml_to_jsonld(jsonld_to_xml(document, "1.2"), LIMIT)
    ids = document_event_hash_ids(document)
    assert ids == document_event_hash_ids(again) == document_event_hash_ids(legacy)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("xml_name", sorted(TWINS))
def test_an_xml_example_converts_to_its_gs1_json_ld_twin(xml_name: str) -> None:
    folder = require_conformance()
    twin_name, count = TWINS[xml_name]
    mine = events(convert(folder / "xml" / xml_name))[:count]
    gs1 = events(json.loads((folder / "examples" / twin_name).read_text()))[:count]
    for converted, twin in zip(mine, gs1, strict=True):
        if "eventID" not in converted:
            twin = {k: v for k, v in twin.items() if k != "eventID"}
        assert same_instants(converted) == same_instants(twin)


@pytest.mark.parametrize("xml_name", sorted(TWINS))
def test_an_xml_event_and_its_gs1_json_ld_twin_get_the_same_hash_id(xml_name: str) -> None:
    folder = require_conformance()
    twin_name, _ = TWINS[xml_name]
    xml = convert(folder / "xml" / xml_name)
    gs1 = json.loads((folder / "examples" / twin_name).read_text())
    # The first event of each: the same fields under the same namespaces. (The 9.6.1 JSON
    # adds a "/" to the namespace of its second event's extension, which names another
    # IRI; the rail JSON types terms in its @context that its XML leaves untyped.)
    assert document_event_hash_ids(xml)[0] == document_event_hash_ids(gs1)[0]


@pytest.mark.parametrize(
    "path",
    material(JSON_EXAMPLES),
    ids=lambda p: str(p.relative_to(EXAMPLES_DIR)) if p else "not-configured",
)
def test_every_gs1_json_ld_example_goes_to_xml_and_back_with_its_hash_ids(path: Path) -> None:
    source = json.loads(path.read_text())
    for version in ("2.0", "1.2"):
        back = xml_to_jsonld(jsonld_to_xml(source, version), LIMIT)  # type: ignore[arg-type]
        assert document_event_hash_ids(back) == document_event_hash_ids(source), version
        assert schema_errors(back) == [], version


def test_1_2_events_in_extension_wrappers_read_as_2_0_events() -> None:
    folder = require_conformance()
    document = convert(folder / "xml" / "1.2" / "All_eventTypes_in_single_document.xml")
    kinds = [event["type"] for event in events(document)]
    assert kinds == [
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
        "AssociationEvent",
    ]
    [_, aggregation, _, transformation, declared, corrective] = events(document)
    assert aggregation["persistentDisposition"] == {
        "set": ["completeness_verified"],
        "unset": ["completeness_inferred"],
    }
    assert transformation["ext1:int"] == "10"
    assert declared["errorDeclaration"]["reason"] == "incorrect_data"
    assert declared["errorDeclaration"]["correctiveEventIDs"] == [corrective["eventID"]]
    assert corrective["sensorElementList"][0]["sensorReport"][0]["type"] == "Length"
    assert corrective["sensorElementList"][0]["sensorReport"][0]["value"] == -477979.89


def test_cbv_urns_become_bare_words_and_are_written_back_as_urns() -> None:
    document = convert(
        require_conformance() / "xml" / "2.0" / "Example_9.6.1-ObjectEvent-2020_06_18a.xml"
    )
    [first, _] = events(document)
    assert (first["bizStep"], first["disposition"]) == ("shipping", "in_transit")
    assert first["bizTransactionList"][0]["type"] == "po"
    written = jsonld_to_xml(document).decode()
    assert "<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>" in written
    assert 'type="urn:epcglobal:cbv:btt:po"' in written


def test_a_query_document_is_written_and_read_as_one() -> None:
    require_conformance()
    source = json.loads((EXAMPLES_DIR / "EPCISQueryDocument.jsonld").read_text())
    for version in ("2.0", "1.2"):
        written = jsonld_to_xml(source, version)  # type: ignore[arg-type]
        back = xml_to_jsonld(written, LIMIT)
        assert back["type"] == "EPCISQueryDocument"
        assert back["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
        assert document_event_hash_ids(back) == document_event_hash_ids(source)


def test_a_member_named_by_an_absolute_iri_keeps_its_iri() -> None:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2026-10-30T07:15:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:8930001.012345.1"],
        "https://ns.example.vn/epcis/grade": "A",
    }
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "epcisBody": {"eventList": [event]},
    }
    back = xml_to_jsonld(jsonld_to_xml(document), LIMIT)
    [read] = events(back)
    prefix = next(k for k, v in prefixes(back).items() if v == "https://ns.example.vn/epcis/")
    assert read[f"{prefix}:grade"] == "A"


# Parsing is safe (issue: "no external entities, no entity expansion bombs, bounded depth
# and size"), whatever the document claims to be.
EPCIS = b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0">'
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    + EPCIS
    + b"<EPCISBody><EventList><ObjectEvent><eventTime>&x;</eventTime></ObjectEvent>"
    + b"</EventList></EPCISBody></epcis:EPCISDocument>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "ha">'
    + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10)
        for i in range(8)
    )
    + b"]>"
    + EPCIS
    + b"<EPCISBody>&i;</EPCISBody></epcis:EPCISDocument>"
)
EXTERNAL_DTD = b'<!DOCTYPE d SYSTEM "file:///etc/passwd">' + EPCIS + b"</epcis:EPCISDocument>"
DEEP = EPCIS + b"<a>" * 200 + b"</a>" * 200 + b"</epcis:EPCISDocument>"


@pytest.mark.parametrize(
    "data", [XXE, LAUGHS, EXTERNAL_DTD], ids=["external-entity", "billion-laughs", "external-dtd"]
)
def test_a_document_type_declaration_that_declares_anything_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        xml_to_jsonld(data, LIMIT)
    assert "passwd" not in refused.value.message
    assert "root:" not in refused.value.message


def test_entities_declared_in_utf_16_are_refused_too() -> None:
    # Past the byte check: libxml2's amplification limit or the DTD check refuses it.
    utf_16 = LAUGHS.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16")
    with pytest.raises(InvalidInput):
        xml_to_jsonld(utf_16, LIMIT)


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(InvalidInput, match="nests deeper"):
        parse_xml(DEEP, LIMIT)


def test_oversize_is_refused_before_parsing() -> None:
    with pytest.raises(TooLarge):
        parse_xml(EPCIS + b" " * LIMIT + b"</epcis:EPCISDocument>", LIMIT)


def test_a_bare_doctype_as_in_gs1s_examples_is_read() -> None:
    root = parse_xml(b"<!DOCTYPE project>" + EPCIS + b"</epcis:EPCISDocument>", LIMIT)
    assert root.get("schemaVersion") == "2.0"


def test_an_xml_document_that_is_not_epcis_is_refused_naming_its_root() -> None:
    with pytest.raises(InvalidInput, match="root element"):
        xml_to_jsonld(b"<html><body/></html>", LIMIT)
    with pytest.raises(InvalidInput, match="not well-formed"):
        xml_to_jsonld(b"<epcis:EPCISDocument", LIMIT)


def test_conformance_xml_folder_is_where_the_readme_says() -> None:
    assert require_conformance() / "xml" == XML_DIR
    assert any(p.parent.name == "1.2" for p in XML_EXAMPLES)
    assert any(p.parent.name == "2.0" for p in XML_EXAMPLES)
