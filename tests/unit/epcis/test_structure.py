"""What GS1's EPCIS 2.0 JSON Schema refuses, the portal refuses, naming the event and the field.

Each case is one the standard's schema states; `test_schema_agreement` checks the same against
GS1's own schema files over mutations of GS1's examples.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from traceability.epcis.validation import document_events, validate_event
from traceability.errors import InvalidInput

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
LOT = "https://id.gs1.org/01/08930000000019/10/L1"


def event(**members: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2026-10-30T07:15:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "quantityList": [{"epcClass": LOT, "quantity": 5, "uom": "KGM"}],
    }
    base.update(members)
    return {k: v for k, v in base.items() if v is not None}


def refusal(candidate: dict[str, Any], index: int = 0) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_event(candidate, index, NOW)
    return caught.value


def test_a_well_formed_event_passes() -> None:
    validate_event(event(), 0, NOW)


def test_an_object_event_must_name_objects_by_epc_list_or_quantity_list() -> None:
    problem = refusal(event(quantityList=None), index=3)
    assert problem.field == "eventList[3]"
    assert "epcList or a non-empty quantityList" in problem.message
    assert problem.message.startswith("event 3:")
    # An empty epcList is allowed by the schema (an observation of nothing identified).
    validate_event(event(quantityList=None, epcList=[]), 0, NOW)


def test_an_unknown_member_of_a_quantity_element_is_refused_by_name() -> None:
    problem = refusal(event(quantityList=[{"epcClass": LOT, "quantity": 5, "colour": "red"}]))
    assert problem.field == "eventList[0].quantityList[0].colour"
    assert "epcClass, quantity, uom" in problem.message


def test_a_uom_must_be_a_rec20_code() -> None:
    problem = refusal(event(quantityList=[{"epcClass": LOT, "quantity": 5, "uom": "kilos"}]))
    assert problem.field == "eventList[0].quantityList[0].uom"


def test_an_object_where_a_uri_is_required_is_refused() -> None:
    problem = refusal(event(readPoint={"id": {"gln": "8930000000017"}}))
    assert problem.field == "eventList[0].readPoint.id"
    assert "is not a URI" in problem.message
    problem = refusal(event(bizTransactionList=[{"type": "po", "bizTransaction": {"n": 1}}]))
    assert problem.field == "eventList[0].bizTransactionList[0].bizTransaction"


@pytest.mark.parametrize(
    ("member", "typo", "meant"),
    [
        ("bizStep", "shiping", "shipping"),
        ("disposition", "in_transt", "in_transit"),
        ("bizStep", "Shipping", "shipping"),
    ],
)
def test_a_bare_word_must_be_a_cbv_term_and_a_typo_gets_a_suggestion(
    member: str, typo: str, meant: str
) -> None:
    problem = refusal(event(**{member: typo}))
    assert problem.field == f"eventList[0].{member}"
    assert f'did you mean "{meant}"' in problem.message


def test_a_business_own_vocabulary_is_a_uri_and_is_accepted() -> None:
    validate_event(event(bizStep="https://example.vn/steps/drying"), 0, NOW)
    validate_event(event(disposition="urn:example:disp:quarantined"), 0, NOW)


def test_the_standard_namespaces_hold_only_the_standard_terms() -> None:
    # EPCIS 2.0 JSON writes CBV terms bare; the old URN form is the schema's refusal, with the
    # word to write instead; the web URI of a term that does not exist is a typo.
    problem = refusal(event(bizStep="urn:epcglobal:cbv:bizstep:shipping"))
    assert 'write the bare word "shipping"' in problem.message
    validate_event(event(bizStep="https://ref.gs1.org/cbv/BizStep-shipping"), 0, NOW)
    problem = refusal(event(bizStep="https://ref.gs1.org/cbv/BizStep-shiping"))
    assert 'did you mean "shipping"' in problem.message


def test_an_unknown_bare_member_is_refused_and_a_prefixed_extension_kept() -> None:
    problem = refusal(event(colour="red"))
    assert problem.field == "eventList[0].colour"
    assert "prefixed name" in problem.message
    validate_event(event(**{"example:colour": "red"}), 0, NOW)
    problem = refusal(event(bizstep="shipping"))
    assert 'did you mean "bizStep"' in problem.message


def test_members_of_another_event_type_are_refused() -> None:
    problem = refusal(event(childEPCs=[LOT]))
    assert problem.field == "eventList[0].childEPCs"


def test_required_members_of_each_type() -> None:
    assert refusal(event(action=None)).field == "eventList[0].action"
    transaction = event(type="TransactionEvent")
    assert refusal(transaction).field == "eventList[0].bizTransactionList"
    association = event(type="AssociationEvent", quantityList=None, childEPCs=[LOT])
    assert refusal(association).field == "eventList[0].parentID"


def test_a_transformation_needs_inputs_and_outputs_or_an_id() -> None:
    inputs = [{"epcClass": LOT, "quantity": 5}]
    transformation = {
        "type": "TransformationEvent",
        "eventTime": "2026-10-30T07:15:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "inputQuantityList": inputs,
    }
    problem = refusal(transformation)
    assert "inputs and outputs" in problem.message
    validate_event({**transformation, "transformationID": "urn:example:tx:1"}, 0, NOW)
    validate_event({**transformation, "outputQuantityList": inputs}, 0, NOW)


def test_ilmd_belongs_to_an_add() -> None:
    problem = refusal(event(ilmd={"cbvmda:lotNumber": "L1"}))
    assert problem.field == "eventList[0].ilmd"
    validate_event(event(action="ADD", ilmd={"cbvmda:lotNumber": "L1"}), 0, NOW)


def test_persistent_disposition_words_are_cbv_terms() -> None:
    problem = refusal(event(persistentDisposition={"set": ["recaled"]}))
    assert problem.field == "eventList[0].persistentDisposition.set[0]"
    assert 'did you mean "recalled"' in problem.message
    assert refusal(event(persistentDisposition={})).field == "eventList[0].persistentDisposition"


def test_sensor_reports_name_a_measurement_type() -> None:
    sensors = [{"sensorReport": [{"type": "Temperatur", "value": 4.5, "uom": "CEL"}]}]
    problem = refusal(event(sensorElementList=sensors))
    assert problem.field == "eventList[0].sensorElementList[0].sensorReport[0].type"
    assert 'did you mean "Temperature"' in problem.message
    sensors[0]["sensorReport"][0]["type"] = "Temperature"
    validate_event(event(sensorElementList=sensors), 0, NOW)


def test_an_extension_event_type_is_accepted_as_the_schema_allows() -> None:
    custom = {
        "type": "example:InspectionEvent",
        "eventTime": "2026-10-30T07:15:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "example:inspector": "Nguyễn Văn A",
    }
    validate_event(custom, 0, NOW)
    problem = refusal({**custom, "type": "InspectionEvent"})
    assert problem.field == "eventList[0].type"
    problem = refusal({**custom, "type": "ObjectEvnt"})
    assert 'did you mean "ObjectEvent"' in problem.message


def test_time_zone_offsets_run_from_minus_13_59_to_plus_14() -> None:
    validate_event(event(eventTimeZoneOffset="+14:00"), 0, NOW)
    assert refusal(event(eventTimeZoneOffset="+14:30")).field == "eventList[0].eventTimeZoneOffset"


def document(**header: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-10-30T08:00:00+07:00",
        "epcisBody": {"eventList": [event()]},
    }
    base.update(header)
    return {k: v for k, v in base.items() if v is not None}


def test_a_document_without_context_is_refused() -> None:
    with pytest.raises(InvalidInput, match="@context: is required") as caught:
        document_events(document(**{"@context": None}))
    assert caught.value.field == "@context"


@pytest.mark.parametrize("missing", ["schemaVersion", "creationDate"])
def test_a_document_header_has_what_the_schema_requires(missing: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        document_events(document(**{missing: None}))
    assert caught.value.field == missing


def test_a_document_keeps_its_own_prefixes_and_refuses_bare_unknown_members() -> None:
    context = [*CONTEXT, {"example": "http://ns.example.com/epcis/"}]
    events, kept = document_events(document(**{"@context": context}))
    assert kept == context and len(events) == 1
    with pytest.raises(InvalidInput) as caught:
        document_events(document(comment="hello"))
    assert caught.value.field == "comment"
