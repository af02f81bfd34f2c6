"""SimpleEventQuery parameters on extension fields (EPCIS 2.0 section 8.2.7.1): EQ_, GT_,
GE_, LT_, LE_ and EXISTS_ of a fieldname, at the event's top level, in its ILMD, its error
declaration and its sensor data, and their INNER_ forms (nested inside a top-level
extension element, never at top level), tried on GS1's own examples."""

from __future__ import annotations

import httpx

from tests.factories.organizations import Tenant
from tests.gateway.epcis_calls import EPCIS, Query, capture_document, gs1_example, ids_of

EXT1 = "http://example.com/ext1/"  # the ext1 prefix of the all-possible-fields examples


async def test_ilmd_top_level_and_sensor_extension_fields(
    client: httpx.AsyncClient, admin: Tenant
) -> None:
    full = gs1_example("WithFullCombinationOfFields/object_event_all_possible_fields.jsonld")
    made = gs1_example("Example_9.6.4-TransformationEvent.jsonld")
    await capture_document(client, admin, full)
    await capture_document(client, admin, made)
    [object_event] = [e["eventID"] for e in full["epcisBody"]["eventList"]]
    [transformation] = [e["eventID"] for e in made["epcisBody"]["eventList"]]
    query = Query(client, admin)

    # ILMD, top level: ext1:int is "10", ext1:float "20", ext1:time 2013-06-08T14:58:56.591Z.
    assert await query.of("EQ_ILMD_ext1:int", "9|10") == [object_event]
    # The standard's own spelling: namespace, '#', name.
    assert await query.of(f"EQ_ILMD_{EXT1}#int", "10") == [object_event]
    assert await query.of("EQ_ILMD_http://example.com/other/#int", "10") == []
    assert await query.of("EQ_ILMD_ext1:int", "11") == []
    assert await query.of("GT_ILMD_ext1:float", "19.5") == [object_event]
    assert await query.of("GT_ILMD_ext1:float", "20") == []
    assert await query.of("GE_ILMD_ext1:float", "20") == [object_event]
    assert await query.of("LT_ILMD_ext1:float", "20") == []
    assert await query.of("LE_ILMD_ext1:float", "20.0") == [object_event]
    # The same instant at another offset.
    assert await query.of("GE_ILMD_ext1:time", "2013-06-08T16:58:56.591+02:00") == [object_event]
    assert await query.of("LT_ILMD_ext1:time", "2013-06-08T16:58:56.591+02:00") == []
    assert await query.of("EXISTS_ILMD_example:batch") == [transformation]
    assert await query.of("EXISTS_ILMD_example:nothing") == []

    # INNER: nested in a top-level ILMD element, and only there.
    nested = "stringInObjectInObject"  # ilmd / ext1:object / ext2:object / ext2:object
    assert await query.of("EQ_INNER_ILMD_ext3:string", nested) == [object_event]
    assert await query.of("EQ_ILMD_ext3:string", nested) == []
    assert await query.of("EQ_INNER_ILMD_ext1:int", "10") == []
    assert await query.of("GT_INNER_ILMD_ext2:int", "12") == [object_event]  # "13", in an array
    assert await query.of("EXISTS_INNER_ILMD_ext3:string") == [object_event]

    # The event's own extension fields, and those nested in them.
    assert await query.of("EQ_ext1:string", "string") == [object_event]
    assert await query.of("EQ_example:myField", "Example of a vendor/user extension") == [
        transformation
    ]
    assert await query.of("EQ_INNER_ext2:string", "stringInObject") == [object_event]
    assert await query.of("EQ_ext2:string", "stringInObject") == []
    assert await query.of("EXISTS_INNER_ext2:array") == [object_event]
    assert await query.of("EXISTS_INNER_ext1:string") == []
    assert await query.of("LT_ext1:int", "10.5") == [object_event]

    # Sensor data: the element's own fields, its metadata's, its reports'.
    assert await query.of("EQ_SENSORELEMENT_ext1:int", "10") == [object_event]
    assert await query.of("EQ_SENSORMETADATA_ext1:someFurtherMetadata", "someText") == [
        object_event
    ]
    assert await query.of("EQ_SENSORREPORT_ext1:someFurtherReportData", "someText") == [
        object_event
    ]
    assert await query.of("EQ_SENSORREPORT_ext1:someFurtherMetadata", "someText") == []
    assert await query.of("EQ_INNER_SENSORELEMENT_ext2:int", "13") == [object_event]

    # A named query keeps them too.
    saved = {"name": "GradeTen", "query": {"EQ_ILMD_ext1:int": ["10"], "EXISTS_ext1:time": 1}}
    created = await client.post(f"{EPCIS}/queries", json=saved, headers=admin.headers)
    assert created.status_code == 201, created.text
    named = await client.get(f"{EPCIS}/queries/GradeTen/events", headers=admin.headers)
    assert ids_of(named) == [object_event]


async def test_error_declaration_extension_fields_and_ill_formed_names(
    client: httpx.AsyncClient, admin: Tenant
) -> None:
    source = gs1_example("WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld")
    declared, corrective = source["epcisBody"]["eventList"]
    # GS1's declaration has one extension field; one nested inside another is added here.
    declared["errorDeclaration"]["example:review"] = {"example:reviewer": "QA-7"}
    await capture_document(client, admin, source)
    query = Query(client, admin)

    async def declarations(name: str, value: str = "") -> list[str]:
        events = (await query.answer(**{name: value})).json()
        found = events["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert all("errorDeclaration" in e for e in found)
        return [e["eventID"] for e in found]

    assert await declarations("EQ_ERROR_DECLARATION_example:vendorExtension", "Test1") == [
        declared["eventID"]
    ]
    assert await query.of("EQ_ERROR_DECLARATION_example:vendorExtension", "Test2") == []
    assert await declarations("EXISTS_INNER_ERROR_DECLARATION_example:reviewer") == [
        declared["eventID"]
    ]
    assert await declarations(
        "EQ_INNER_ERROR_DECLARATION_http://ns.example.com/epcis/#reviewer", "QA-7"
    ) == [declared["eventID"]]
    assert await query.of("EQ_ERROR_DECLARATION_example:reviewer", "QA-7") == []
    assert corrective["eventID"] not in await query.of("EXISTS_ERROR_DECLARATION_example:review")

    for name, value in (
        ("EQ_INNER_ILMD_grade", "A"),  # not namespace-qualified
        ("EQ_ILMD_example:", "A"),
        ("GT_ILMD_example:grade", "warm"),  # neither a number nor an instant
        ("GE_example:when", "2026-10-30T07:00:00"),  # an instant without a time zone
        ("GT_readPoint_example:x", "1"),  # a location's extensions are only compared with EQ_
        ("EQ_ILMD_example:grade", "|"),
    ):
        refused = await query.answer(**{name: value})
        assert refused.status_code == 400, (name, refused.text)
        assert refused.json()["type"] == "epcisException:QueryParameterException"
