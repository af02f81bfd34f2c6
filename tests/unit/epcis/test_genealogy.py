"""Stages and genealogy edges derived from EPCIS 2.0 event JSON, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests import demo_dataset as dataset
from traceability.chain.record import LotKey
from traceability.epcis.critical_tracking import (
    CRITICAL_TRACKING_EVENTS,
    critical_tracking_event,
    vocabulary_word,
)
from traceability.epcis.event_facts import (
    LogisticUnit,
    gln_of,
    logistic_unit,
    names,
    node_id,
    nodes_named,
    sscc_of,
)
from traceability.epcis.genealogy import (
    children_of,
    edges,
    edges_of,
    effective_events,
    parents_of,
    retracted_events,
    transformation_ids,
)
from traceability.epcis.stages import last_known_location, locations_reached, stage_of, stages

GTIN = "08936901020057"
PADDY = LotKey("08936901010010", "T01")
PADDY_2 = LotKey("08936901010010", "T02")
RICE = LotKey("08936901020019", "R1")
BRAN = LotKey("08936901020026", "B1")
SSCC = "089369010800004578"
SSCC_URN = "urn:epc:id:sscc:893690108.00000457"
SSCC_LINK = f"https://id.gs1.org/00/{SSCC}"
FIELD_GLN = "8936901019013"
MILL_GLN = "8936901029012"
DC_GLN = "8936901039011"


def dl(lot: LotKey) -> str:
    return f"https://id.gs1.org/01/{lot.gtin}/10/{lot.lot}"


def q(lot: LotKey, quantity: float = 10, uom: str | None = "KGM") -> dict[str, Any]:
    item: dict[str, Any] = {"epcClass": dl(lot), "quantity": quantity}
    if uom is not None:
        item["uom"] = uom
    return item


def transformation(
    inputs: list[LotKey], outputs: list[LotKey], event_id: str = "urn:uuid:t1", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "TransformationEvent",
        "eventID": event_id,
        "eventTime": "2026-08-10T07:30:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "bizStep": "commissioning",
        "inputQuantityList": [q(lot) for lot in inputs],
        "outputQuantityList": [q(lot) for lot in outputs],
        **extra,
    }


def object_event(lots: list[LotKey], event_id: str, when: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": event_id,
        "eventTime": when,
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "quantityList": [q(lot) for lot in lots],
        **extra,
    }


def aggregation(children: list[LotKey], parent: str, action: str = "ADD") -> dict[str, Any]:
    return {
        "type": "AggregationEvent",
        "eventID": f"urn:uuid:agg-{action}",
        "eventTime": "2026-10-19T14:00:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": action,
        "bizStep": "loading",
        "parentID": parent,
        "childQuantityList": [q(lot) for lot in children],
    }


# --- edges ------------------------------------------------------------------------------------


def test_a_transformation_makes_every_input_a_parent_of_every_output() -> None:
    found = edges_of(transformation([PADDY, PADDY_2], [RICE, BRAN]))

    assert {(e.parent, e.child) for e in found} == {
        (PADDY, RICE),
        (PADDY, BRAN),
        (PADDY_2, RICE),
        (PADDY_2, BRAN),
    }
    edge = found[0]
    assert edge.kind == "transformation"
    assert edge.event_id == "urn:uuid:t1"
    assert edge.event_type == "TransformationEvent"
    assert edge.biz_step == "commissioning"
    assert edge.event_time == datetime(2026, 8, 10, 0, 30, tzinfo=UTC)


def test_transformation_events_sharing_a_transformation_id_are_one_transformation() -> None:
    first = transformation([PADDY], [], "urn:uuid:in", transformationID="urn:uuid:batch-9")
    second = transformation([PADDY_2], [RICE], "urn:uuid:out", transformationID="urn:uuid:batch-9")
    unrelated = transformation([BRAN], [], "urn:uuid:other", transformationID="urn:uuid:x")

    found = edges([first, second, unrelated])

    assert {(e.parent, e.child) for e in found} == {(PADDY, RICE), (PADDY_2, RICE)}
    assert {e.event_id for e in found} == {"urn:uuid:out"}  # the event naming the output
    assert transformation_ids([first, second, unrelated]) == {"urn:uuid:batch-9", "urn:uuid:x"}


def test_events_without_a_transformation_id_are_never_grouped() -> None:
    found = edges([transformation([PADDY], [], "urn:uuid:a"), transformation([], [RICE], "b")])
    assert found == []


def test_an_aggregation_puts_its_child_lots_into_the_logistic_unit() -> None:
    [edge] = edges_of(aggregation([RICE], SSCC_URN))

    assert (edge.parent, edge.child) == (RICE, LogisticUnit(f"00/{SSCC}"))
    assert edge.kind == "aggregation"
    assert edge.biz_step == "loading"


@pytest.mark.parametrize("action", ["DELETE", "OBSERVE"])
def test_only_adding_to_a_unit_makes_an_edge(action: str) -> None:
    assert edges_of(aggregation([RICE], SSCC_URN, action)) == []


def test_an_sscc_is_one_unit_whether_sent_as_an_epc_urn_or_a_digital_link() -> None:
    assert logistic_unit(SSCC_URN) == logistic_unit(SSCC_LINK) == LogisticUnit(f"00/{SSCC}")
    assert sscc_of(SSCC_URN) == sscc_of(SSCC_LINK) == SSCC
    assert sscc_of("https://id.gs1.org/00/089369010800004570") is None  # bad check digit
    assert node_id(LogisticUnit(f"00/{SSCC}")) == f"00/{SSCC}"
    assert node_id(RICE) == "01/08936901020019/10/R1"


def test_events_naming_a_unit_by_either_spelling_are_its_stages() -> None:
    unit = logistic_unit(SSCC_URN)
    shipping = object_event([], "urn:uuid:ship", "2026-10-20T09:00:00+07:00", bizStep="shipping")
    shipping["epcList"] = [SSCC_LINK]

    assert names(shipping, unit)
    assert names(aggregation([RICE], SSCC_URN), unit)
    assert not names(aggregation([RICE], "urn:epc:id:sscc:893690108.00000458"), unit)
    [stage] = stages(unit, [shipping, aggregation([RICE], SSCC_URN, "DELETE")])[1:]
    assert stage.role == "subject"
    assert stage.quantity is None


def test_nodes_named_lists_lots_and_units_with_their_roles() -> None:
    named = nodes_named(aggregation([RICE], SSCC_URN))
    assert [(n.node, n.role) for n in named] == [
        (RICE, "child"),
        (LogisticUnit(f"00/{SSCC}"), "parent"),
    ]


def test_parents_and_children_one_step_either_way() -> None:
    found = edges([transformation([PADDY], [RICE]), aggregation([RICE], SSCC_URN)])
    assert [e.parent for e in parents_of(RICE, found)] == [PADDY]
    assert [e.child for e in children_of(RICE, found)] == [LogisticUnit(f"00/{SSCC}")]


def test_the_demo_rice_chain_links_the_bags_back_to_both_paddy_lots() -> None:
    found = edges(e.to_epcis() for e in dataset.RICE_EVENTS)
    by_child: dict[Any, set[Any]] = {}
    for edge in found:
        by_child.setdefault(edge.child, set()).add(edge.parent)

    assert by_child[dataset.RICE_BAG_LOT.key] == {dataset.MILLED_LOT.key}
    assert by_child[dataset.MILLED_LOT.key] == {dataset.PADDY_T01.key, dataset.PADDY_T02.key}


# --- stages -----------------------------------------------------------------------------------


def test_an_object_event_is_a_stage_what_when_where_with_whom_and_on_what_papers() -> None:
    event = object_event(
        [PADDY, PADDY_2],
        "urn:uuid:ship",
        "2026-08-05T08:00:00.000+07:00",
        bizStep="https://ref.gs1.org/cbv/BizStep-shipping",
        disposition="urn:epcglobal:cbv:disp:in_transit",
        readPoint={"id": f"https://id.gs1.org/414/{FIELD_GLN}"},
        bizLocation={"id": "urn:epc:id:sgln:893690101.901.0"},
        bizTransactionList=[
            {"type": "https://ref.gs1.org/cbv/BTT-desadv", "bizTransaction": "urn:x:PX-1"},
            {"type": "urn:epcglobal:cbv:btt:inv", "bizTransaction": "urn:x:HD-2"},
            {"bizTransaction": "urn:x:untyped"},
        ],
        sourceList=[
            {
                "type": "urn:epcglobal:cbv:sdt:owning_party",
                "source": "urn:epc:id:pgln:893690101.000",
            },
            {"type": "location", "source": f"https://id.gs1.org/414/{FIELD_GLN}"},
        ],
        destinationList=[
            {"type": "https://ref.gs1.org/cbv/SDT-location", "destination": f"urn:x:{MILL_GLN}"},
            {"type": "location", "destination": f"https://example.vn/414/{MILL_GLN}"},
        ],
    )
    stage = stage_of(event, PADDY)

    assert stage is not None
    assert (stage.event_id, stage.event_type, stage.action) == (
        "urn:uuid:ship",
        "ObjectEvent",
        "OBSERVE",
    )
    assert (stage.biz_step, stage.disposition) == ("shipping", "in_transit")
    assert stage.event_time == datetime(2026, 8, 5, 8, tzinfo=timezone(timedelta(hours=7)))
    assert stage.event_time_zone_offset == "+07:00"
    assert (stage.read_point_gln, stage.biz_location_gln) == (FIELD_GLN, FIELD_GLN)
    assert stage.location_gln == FIELD_GLN
    assert [(e.type, e.gln) for e in stage.sources] == [
        ("owning_party", "8936901010003"),
        ("location", FIELD_GLN),
    ]
    assert [(e.type, e.gln) for e in stage.destinations] == [
        ("location", None),
        ("location", MILL_GLN),
    ]
    assert stage.destination_glns() == [MILL_GLN]
    assert stage.source_glns("owning_party") == ["8936901010003"]
    assert [(t.type, t.id) for t in stage.biz_transactions] == [
        ("desadv", "urn:x:PX-1"),
        ("inv", "urn:x:HD-2"),
        (None, "urn:x:untyped"),
    ]
    assert (stage.quantity, stage.uom, stage.role) == (10, "KGM", "subject")
    assert stage.critical_tracking_event == "shipping"


def test_an_event_not_naming_the_lot_is_no_stage_of_it() -> None:
    assert stage_of(object_event([PADDY], "urn:uuid:a", "2026-08-05T08:00:00Z"), RICE) is None


def test_a_lot_named_in_several_entries_adds_up_in_the_first_unit() -> None:
    event = object_event([], "urn:uuid:a", "2026-08-05T08:00:00Z")
    event["quantityList"] = [q(RICE, 10), q(RICE, 5.5), q(RICE, 3, "TNE"), q(BRAN, 99)]
    stage = stage_of(event, RICE)
    assert stage is not None
    assert (stage.quantity, stage.uom) == (15.5, "KGM")


def test_instances_of_a_lot_are_counted_without_a_unit() -> None:
    event = {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:c",
        "eventTime": "2026-08-05T08:00:00Z",
        "action": "ADD",
        "bizStep": "commissioning",
        "epcList": [
            "urn:epc:id:sgtin:0614141.107346.2017",
            "urn:epc:id:sgtin:0614141.107346.2018",
            f"{dl(RICE)}/21/7",
        ],
        "ilmd": {"cbvmda:lotNumber": "LOT-7"},
    }
    stage = stage_of(event, LotKey("10614141073464", "LOT-7"))
    assert stage is not None
    assert (stage.quantity, stage.uom) == (2, None)
    other = stage_of(event, RICE)
    assert other is not None and other.quantity == 1


def test_stages_come_in_time_order_whatever_the_order_given() -> None:
    later = object_event([RICE], "urn:uuid:b", "2026-08-05T09:00:00+07:00")
    earlier = object_event([RICE], "urn:uuid:a", "2026-08-05T01:30:00Z")  # 08:30 in Vietnam
    undated = object_event([RICE], "urn:uuid:0", "not a time")
    assert [s.event_id for s in stages(RICE, [later, undated, earlier])] == [
        "urn:uuid:a",
        "urn:uuid:b",
        "urn:uuid:0",
    ]


def test_a_transformation_is_a_stage_of_its_inputs_and_outputs() -> None:
    event = transformation([PADDY], [RICE])
    source, product = stage_of(event, PADDY), stage_of(event, RICE)
    assert source is not None and product is not None
    assert (source.role, product.role) == ("input", "output")
    assert product.critical_tracking_event == "transformation"


# --- corrections ------------------------------------------------------------------------------


def test_retracted_events_and_their_declarations_do_not_stand() -> None:
    wrong = transformation([PADDY], [RICE], "urn:uuid:wrong")
    declaration = dict(wrong, errorDeclaration={"declarationTime": "2026-08-11T00:00:00Z"})
    right = transformation([PADDY_2], [RICE], "urn:uuid:right")

    standing = effective_events([(wrong, "mill"), (declaration, "mill"), (right, "mill")])

    assert [e["eventID"] for e in standing] == ["urn:uuid:right"]
    assert {(e.parent, e.child) for e in edges(standing)} == {(PADDY_2, RICE)}
    recorded = [(wrong, "mill"), (right, "mill")]
    assert effective_events(recorded, retracted=[("urn:uuid:right", "mill")]) == [wrong]


def test_a_declaration_retracts_only_its_own_organisations_event() -> None:
    event = transformation([PADDY], [RICE], "urn:uuid:owned")
    foreign = dict(event, errorDeclaration={"declarationTime": "2026-08-11T00:00:00Z"})

    recorded = [(event, "mill"), (foreign, "rival")]

    assert retracted_events(recorded) == {("urn:uuid:owned", "rival")}
    assert effective_events(recorded) == [event]
    assert effective_events([(event, "mill")], retracted=[("urn:uuid:owned", "rival")]) == [event]


# --- vocabulary and identifiers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "cte"),
    [
        (transformation([PADDY], [RICE]), "transformation"),
        (
            {
                "type": "ObjectEvent",
                "bizStep": "commissioning",
                "ilmd": {"cbvmda:harvestEndDate": "x"},
            },
            "harvesting",
        ),
        ({"type": "ObjectEvent", "bizStep": "commissioning"}, None),
        ({"type": "ObjectEvent", "bizStep": "urn:epcglobal:cbv:bizstep:harvesting"}, "harvesting"),
        ({"type": "ObjectEvent", "bizStep": "cooling"}, "cooling"),
        ({"type": "AggregationEvent", "bizStep": "packing"}, "initial packing"),
        ({"type": "ObjectEvent", "bizStep": "landing"}, "first land-based receiving"),
        (
            {"type": "ObjectEvent", "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping"},
            "shipping",
        ),
        ({"type": "ObjectEvent", "bizStep": "departing"}, "shipping"),
        ({"type": "ObjectEvent", "bizStep": "receiving"}, "receiving"),
        ({"type": "ObjectEvent", "bizStep": "arriving"}, "receiving"),
        ({"type": "ObjectEvent", "bizStep": "inspecting"}, None),
        ({"type": "ObjectEvent"}, None),
    ],
)
def test_biz_steps_map_to_fsma_critical_tracking_events(
    event: dict[str, Any], cte: str | None
) -> None:
    assert critical_tracking_event(event) == cte
    assert cte is None or cte in CRITICAL_TRACKING_EVENTS


def test_packing_lots_that_were_only_harvested_is_initial_packing() -> None:
    packing = transformation([PADDY], [RICE], bizStep="packing")
    assert critical_tracking_event(packing) == "transformation"
    assert critical_tracking_event(packing, inputs_harvested=True) == "initial packing"


@pytest.mark.parametrize(
    ("value", "gln"),
    [
        (f"https://id.gs1.org/414/{MILL_GLN}", MILL_GLN),
        (f"https://example.vn/resolver/414/{MILL_GLN}/254/dock-3", MILL_GLN),
        ("https://id.gs1.org/417/8936901010003", "8936901010003"),
        ("urn:epc:id:sgln:893690102.901.0", MILL_GLN),
        ("urn:epc:id:sgln:893690102.901.dock-3", MILL_GLN),
        ("urn:epc:id:pgln:893690101.000", "8936901010003"),
        ("https://id.gs1.org/414/8936901029013", None),  # wrong check digit
        ("urn:epc:id:pgln:89369010.1000x", None),
        ("urn:epc:id:sscc:893690108.00000457", None),
        ("not an identifier", None),
    ],
)
def test_gln_of_location_and_party_identifiers(value: str, gln: str | None) -> None:
    assert gln_of(value) == gln


def test_vocabulary_words_from_every_spelling() -> None:
    assert vocabulary_word("urn:epcglobal:cbv:sdt:possessing_party") == "possessing_party"
    assert vocabulary_word("https://gs1.org/voc/BTT-po") == "po"
    assert vocabulary_word("https://example.com/my-step") == "https://example.com/my-step"


# --- where a lot is ---------------------------------------------------------------------------


def _moves(event_id: str, when: str, step: str, at: str, to: str | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {"bizStep": step, "bizLocation": {"id": f"https://id.gs1.org/414/{at}"}}
    if to is not None:
        extra["destinationList"] = [
            {"type": "location", "destination": f"https://id.gs1.org/414/{to}"}
        ]
    return object_event([RICE], event_id, when, **extra)


def test_the_last_known_location_is_where_the_latest_move_left_the_lot() -> None:
    history = stages(
        RICE,
        [
            _moves("urn:uuid:1", "2026-08-12T16:00:00+07:00", "storing", MILL_GLN),
            _moves("urn:uuid:2", "2026-08-18T07:00:00+07:00", "shipping", MILL_GLN, DC_GLN),
            _moves("urn:uuid:3", "2026-09-15T10:00:00+07:00", "inspecting", FIELD_GLN),
        ],
    )
    found = last_known_location(history)
    assert found is not None
    assert (found[0].event_id, found[1]) == ("urn:uuid:2", DC_GLN)
    assert [(s.event_id, gln) for s, gln in locations_reached(history)] == [
        ("urn:uuid:2", MILL_GLN),
        ("urn:uuid:2", DC_GLN),
        ("urn:uuid:3", FIELD_GLN),
    ]


def test_a_shipment_without_a_destination_leaves_the_lot_where_it_was_shipped_from() -> None:
    history = stages(RICE, [_moves("urn:uuid:1", "2026-08-18T07:00:00Z", "shipping", MILL_GLN)])
    found = last_known_location(history)
    assert found is not None and found[1] == MILL_GLN
    assert (
        last_known_location(stages(RICE, [_moves("u", "2026-08-18T07:00:00Z", "x", DC_GLN)]))
        is None
    )
