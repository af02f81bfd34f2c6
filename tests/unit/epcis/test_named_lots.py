"""Which lots an event names: the chains it extends and the genealogy edges it makes."""

from __future__ import annotations

from traceability.chain.record import LotKey
from traceability.epcis.lots import NamedLot, lots_of, named_lots


def test_a_transformation_names_its_input_and_output_lots() -> None:
    event = {
        "type": "TransformationEvent",
        "inputQuantityList": [
            {"epcClass": "urn:epc:class:lgtin:4012345.011111.4444", "quantity": 10},
            {"epcClass": "urn:epc:idpat:sgtin:4012345.066666.*", "quantity": 220},
        ],
        "outputQuantityList": [
            {"epcClass": "https://id.gs1.org/01/08936901020057/10/ST25-260812", "quantity": 5}
        ],
    }
    assert named_lots(event) == [
        NamedLot(LotKey("04012345111118", "4444"), "input"),
        NamedLot(LotKey("08936901020057", "ST25-260812"), "output"),
    ]


def test_an_instance_with_its_lot_in_the_digital_link_names_that_lot() -> None:
    event = {"epcList": ["https://id.gs1.org/01/09506000134352/10/ABC/21/7"]}
    assert lots_of(event) == [LotKey("09506000134352", "ABC")]


def test_sgtins_commissioned_with_an_ilmd_lot_number_belong_to_that_lot() -> None:
    event = {
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
        "ilmd": {"cbvmda:lotNumber": "LOT-7"},
    }
    assert lots_of(event) == [LotKey("10614141073464", "LOT-7")]


def test_bare_sgtins_and_logistic_units_name_no_lot() -> None:
    event = {
        "parentID": "urn:epc:id:sscc:0614141.1234567890",
        "childEPCs": ["urn:epc:id:sgtin:0614141.107346.2017"],
    }
    assert lots_of(event) == []


def test_a_lot_named_twice_is_one_lot() -> None:
    dl = "https://id.gs1.org/01/09506000134352/10/ABC"
    event = {"quantityList": [{"epcClass": dl}, {"epcClass": dl}], "epcList": [dl + "/21/1"]}
    assert lots_of(event) == [LotKey("09506000134352", "ABC")]


def test_malformed_entries_are_ignored_here_and_left_to_validation() -> None:
    assert lots_of({"quantityList": ["x", {"epcClass": 5}], "epcList": [3, None]}) == []


def test_every_spelling_of_a_gs1_key_has_one_canonical_form() -> None:
    from traceability.epcis.index import canonical_identifier

    sscc = {"urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"}
    gln = {"urn:epc:id:sgln:0614141.00777.0", "https://id.gs1.org/414/0614141007776"}
    sgtin = {"urn:epc:id:sgtin:0614141.112345.400", "https://id.gs1.org/01/10614141123459/21/400"}
    for spellings in (sscc, gln, sgtin):
        assert len({canonical_identifier(s) for s in spellings}) == 1
    assert canonical_identifier("https://example.com/00/123") == "https://example.com/00/123"
