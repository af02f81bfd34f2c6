"""A lot's bundle, built from the database, verifies offline with nothing but the log key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from tests.factories.events import append, audit, epcis_event
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.chain.bundle import Bundle
from traceability.chain.bundle_verify import verify_bundle
from traceability.chain.record import ChainLink, EventRecord, LotKey
from traceability.crypto.signing import SigningKey
from traceability.errors import NotFound
from traceability.portal import Portal
from traceability.services.bundles import BundleService
from traceability.services.ledger import ClientSignature, Submission


async def bundle_of(state: Portal, lot: LotKey) -> dict[str, Any]:
    """As the bundle endpoint runs it: in a snapshot, like an audit."""
    async with state.database.read(snapshot=True) as session:
        return await BundleService(state.audit).bundle(session, lot.gtin, lot.lot)


def downloaded(bundle: dict[str, Any]) -> dict[str, Any]:
    """What the inspector's file holds after the bundle went over the wire."""
    result: dict[str, Any] = json.loads(json.dumps(bundle, ensure_ascii=False))
    return result


async def test_the_bundle_of_a_real_chain_verifies_against_the_portal_log_key(
    state: Portal,
) -> None:
    org = await make_org(state)
    lot, other = await make_lots(state, org, count=2)
    for _ in range(3):  # the lot's leaves interleave with another lot's in the log
        await append(state, org, [lot])
        await append(state, org, [other])

    bundle = downloaded(await bundle_of(state, lot))
    report = verify_bundle(bundle, state.transparency.verifier_key())

    assert report.ok, report.lines
    assert (report.lot, report.checked, report.checkpoint_size) == (lot, 3, 6)
    assert report.log_key_supplied
    assert [e["log_index"] for e in bundle["events"]] == [0, 2, 4]
    assert bundle["head"]["seq"] == 3
    assert bundle["log"]["verifier_key"] == state.transparency.verifier_key()
    assert {e["signed_by"] for e in bundle["events"]} == {"portal"}
    assert [k["key_id"] for k in bundle["keys"]] == [org.created.signing_key_id]


async def test_the_bundle_json_round_trips_through_dumps_and_loads_unchanged(
    state: Portal,
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot], count=4)

    bundle = await bundle_of(state, lot)

    assert downloaded(bundle) == bundle
    assert Bundle.from_json(downloaded(bundle)).to_json() == bundle


async def test_the_bundle_carries_the_events_exactly_as_they_were_hashed(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    appended = await append(state, org, [lot], count=2)

    bundle = downloaded(await bundle_of(state, lot))

    for event, original in zip(bundle["events"], appended, strict=True):
        assert event["record"] == original.record.hashed_document()
        assert event["event_hash"] == original.event_hash.hex()
        assert EventRecord.from_hashed_document(event["record"]).hash() == original.event_hash


async def test_an_event_naming_two_lots_verifies_in_the_bundle_of_each(state: Portal) -> None:
    org = await make_org(state)
    paddy, rice = await make_lots(state, org, count=2)
    await append(state, org, [paddy], count=2)
    await append(state, org, [paddy, rice])  # the milling names both lots
    await append(state, org, [rice])

    key = state.transparency.verifier_key()
    for lot, length in ((paddy, 3), (rice, 2)):
        report = verify_bundle(downloaded(await bundle_of(state, lot)), key)
        assert report.ok, report.lines
        assert report.checked == length


async def test_an_event_signed_with_the_business_own_key_verifies_and_says_who_signed(
    state: Portal,
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot])
    own = SigningKey.generate()
    async with state.database.write() as session:
        await state.registry.register_public_key(session, org.id, own.public_b64)
    [first] = (await audit(state, lot)).events
    recorded_at = state.ledger.clock()
    links = (ChainLink(lot, 2, first.entry.stored_hash),)
    event = epcis_event([lot])
    record = EventRecord(event, org.id, own.key_id, links, recorded_at)
    signed = ClientSignature(own.key_id, recorded_at, links, own.sign(record.hash()))
    async with state.database.write() as session:
        await state.ledger.append(session, [Submission(event, [lot], org.id, signed)])

    bundle = downloaded(await bundle_of(state, lot))

    assert [e["signed_by"] for e in bundle["events"]] == ["portal", "organization"]
    assert {k["key_id"] for k in bundle["keys"]} == {org.created.signing_key_id, own.key_id}
    assert verify_bundle(bundle, state.transparency.verifier_key()).ok


async def test_a_chain_tampered_in_the_database_gives_a_bundle_failing_at_the_same_event(
    state: Portal,
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    appended = await append(state, org, [lot], count=5)
    edited = {**appended[2].record.event, "bizStep": "destroying"}
    async with state.database.writer.begin() as connection:
        await connection.execute(
            text(
                "UPDATE events SET event = :doc "
                "WHERE id = (SELECT event_pk FROM chain_links WHERE seq = 3)"
            ),
            {"doc": json.dumps(edited)},
        )

    audited = await audit(state, lot)
    report = verify_bundle(
        downloaded(await bundle_of(state, lot)), state.transparency.verifier_key()
    )

    assert audited.result.first_bad is not None and report.failure is not None
    assert (report.failure.kind, report.failure.seq, report.failure.event_id) == (
        audited.result.first_bad.fault,
        audited.result.first_bad.seq,
        appended[2].record.event_id,
    )
    assert report.failure.kind == "hash_mismatch"


async def test_a_lot_no_event_names_has_no_bundle(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    with pytest.raises(NotFound):
        await bundle_of(state, lot)
