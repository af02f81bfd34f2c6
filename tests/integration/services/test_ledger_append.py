"""Appending events: every named lot's chain is extended, signed, and the event enters the log."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from tests.factories.events import append, audit, epcis_event
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.chain.record import ChainLink, EventRecord, LotKey
from traceability.crypto.signing import SigningKey, verify_signature
from traceability.errors import BadSignature, Conflict, InvalidInput, NotFound
from traceability.log.memory_tree import MemoryTree
from traceability.log.merkle import leaf_hash
from traceability.portal import Portal
from traceability.repositories.chains import ChainRepository
from traceability.repositories.ledger import LedgerRepository
from traceability.repositories.log import LogRepository
from traceability.repositories.organizations import SigningKeyRepository
from traceability.services.ledger import ClientSignature, Submission


async def chain_links(state: Portal, lot) -> list[tuple[int, bytes | None, bytes]]:
    async with state.database.read() as session:
        row = await ChainRepository(session).get(lot.gtin, lot.lot)
        if row is None:  # no event ever named this lot
            return []
        chain = await LedgerRepository(session).chain_of(row.id)
    out = []
    for stored in chain:
        link = next(k for k in stored.links if (k.gtin, k.lot_code) == (lot.gtin, lot.lot))
        out.append((link.seq, link.prev_hash, stored.row.event_hash))
    return out


async def test_events_on_one_lot_form_a_contiguous_hash_chain(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    appended = await append(state, org, [lot], count=5)

    links = await chain_links(state, lot)
    assert [seq for seq, _, _ in links] == [1, 2, 3, 4, 5]
    assert links[0][1] is None
    for (_, _, before), (_, prev, _) in itertools.pairwise(links):
        assert prev == before
    assert [a.event_hash for a in appended] == [h for _, _, h in links]


async def test_an_event_naming_several_lots_extends_every_chain(state: Portal) -> None:
    org = await make_org(state)
    paddy, rice = await make_lots(state, org, count=2)
    await append(state, org, [paddy], count=2)
    [milling] = await append(state, org, [paddy, rice])

    assert {(k.lot, k.seq) for k in milling.record.links} == {(paddy, 3), (rice, 1)}
    assert (await chain_links(state, paddy))[-1][2] == milling.event_hash
    assert (await chain_links(state, rice))[0] == (1, None, milling.event_hash)


async def test_the_event_hash_covers_event_links_organisation_key_and_time(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    [appended] = await append(state, org, [lot])

    record = appended.record
    assert appended.event_hash == record.hash()
    assert record.organization_id == org.id
    assert record.key_id == org.created.signing_key_id
    document = record.hashed_document()
    assert set(document) == {"version", "event", "organization", "key_id", "links", "recorded_at"}


async def test_portal_signs_with_the_key_it_holds_for_the_organisation(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    [appended] = await append(state, org, [lot])
    async with state.database.read() as session:
        key = await SigningKeyRepository(session).get(appended.record.key_id)
    assert key is not None and key.custody == "portal"
    assert appended.signed_by == "portal"
    assert verify_signature(key.public_key, appended.signature, appended.event_hash)


async def test_every_event_becomes_the_next_leaf_of_the_portal_log(state: Portal) -> None:
    org = await make_org(state)
    lots = await make_lots(state, org, count=3)
    appended = []
    for lot in lots:
        appended += await append(state, org, [lot], count=3)

    oracle = MemoryTree()
    for a in appended:
        oracle.append(a.event_hash)
    assert [a.log_index for a in appended] == list(range(9))
    async with state.database.read() as session:
        log_state = await LogRepository(session).state()
        leaves = await LogRepository(session).leaves(list(range(9)))
    assert log_state.size == 9
    assert log_state.root == oracle.root(9)
    assert [leaves[i] for i in range(9)] == [a.event_hash for a in appended]
    assert leaf_hash(appended[0].event_hash) != appended[0].event_hash


async def test_capturing_the_same_event_twice_is_a_conflict_and_stores_nothing(
    state: Portal,
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    event = epcis_event([lot])
    async with state.database.write() as session:
        await state.ledger.append(session, [Submission(event, [lot], org.id)])

    with pytest.raises(Conflict, match="already recorded"):
        async with state.database.write() as session:
            await state.ledger.append(session, [Submission(event, [lot], org.id)])
    assert len(await chain_links(state, lot)) == 1


async def test_a_batch_with_one_bad_event_stores_none_of_it(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    good = Submission(epcis_event([lot]), [lot], org.id)
    bad = Submission({**epcis_event([lot]), "eventTime": "yesterday"}, [lot], org.id)

    with pytest.raises(InvalidInput, match="event 1: eventTime"):
        async with state.database.write() as session:
            await state.ledger.append(session, [good, bad])
    assert await chain_links(state, lot) == []
    async with state.database.read() as session:
        assert (await LogRepository(session).state()).size == 0


async def test_a_lot_nobody_registered_is_chained_all_the_same(state: Portal) -> None:
    # Imports and other portals' GTINs appear in real EPCIS documents; they are chained too.
    org = await make_org(state)
    foreign = LotKey("04012345123456", "998877")
    async with state.database.write() as session:
        await state.ledger.append(session, [Submission(epcis_event([foreign]), [foreign], org.id)])
    await append(state, org, [foreign])
    assert [seq for seq, _, _ in await chain_links(state, foreign)] == [1, 2]
    assert (await audit(state, foreign)).intact


async def test_an_event_without_an_id_is_refused(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    event = epcis_event([lot])
    del event["eventID"]
    with pytest.raises(InvalidInput, match="eventID"):
        async with state.database.write() as session:
            await state.ledger.append(session, [Submission(event, [lot], org.id)])


class OwnKey:
    """A business that keeps its own Ed25519 key and registers only the public half."""

    def __init__(self) -> None:
        self.key = SigningKey.generate()

    async def register(self, state: Portal, org_id: str, **validity) -> None:
        async with state.database.write() as session:
            await state.registry.register_public_key(
                session, org_id, self.key.public_b64, **validity
            )

    def sign(self, state: Portal, org_id: str, event, lot, seq: int, prev: bytes | None, at=None):
        recorded_at = at or state.ledger.clock()
        links = (ChainLink(lot, seq, prev),)
        record = EventRecord(event, org_id, self.key.key_id, links, recorded_at)
        signature = self.key.sign(record.hash())
        return Submission(
            event, [lot], org_id, ClientSignature(self.key.key_id, recorded_at, links, signature)
        )


async def test_a_business_may_sign_with_its_own_registered_key(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    own = OwnKey()
    await own.register(state, org.id)

    submission = own.sign(state, org.id, epcis_event([lot]), lot, 1, None)
    async with state.database.write() as session:
        [appended] = await state.ledger.append(session, [submission])
    assert appended.signed_by == "organization"
    assert appended.record.key_id == own.key.key_id


async def test_a_client_signature_over_a_stale_head_is_a_conflict(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    own = OwnKey()
    await own.register(state, org.id)
    stale = own.sign(state, org.id, epcis_event([lot]), lot, 1, None)
    await append(state, org, [lot])  # someone else moved the head meanwhile

    with pytest.raises(Conflict, match="heads moved"):
        async with state.database.write() as session:
            await state.ledger.append(session, [stale])


async def test_a_forged_client_signature_is_refused(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    own = OwnKey()
    await own.register(state, org.id)
    submission = own.sign(state, org.id, epcis_event([lot]), lot, 1, None)
    signed = submission.client_signature
    assert signed is not None
    forged = Submission({**submission.event, "bizStep": "destroying"}, [lot], org.id, signed)
    with pytest.raises(BadSignature, match="does not verify"):
        async with state.database.write() as session:
            await state.ledger.append(session, [forged])


async def test_another_organisations_key_may_not_sign(state: Portal) -> None:
    org, other = await make_org(state), await make_org(state)
    [lot] = await make_lots(state, org)
    own = OwnKey()
    await own.register(state, other.id)
    submission = own.sign(state, org.id, epcis_event([lot]), lot, 1, None)
    with pytest.raises(BadSignature, match="not a key of this organisation"):
        async with state.database.write() as session:
            await state.ledger.append(session, [submission])


async def test_a_revoked_key_is_refused_at_once(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    own = OwnKey()
    await own.register(state, org.id)
    submission = own.sign(state, org.id, epcis_event([lot]), lot, 1, None)
    async with state.database.write() as session:
        await state.registry.revoke_key(session, org.id, own.key.key_id)
    with pytest.raises(BadSignature, match="revoked"):
        async with state.database.write() as session:
            await state.ledger.append(session, [submission])


async def test_an_expired_key_is_refused(state: Portal, clock) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    own = OwnKey()
    await own.register(state, org.id, valid_to=clock.now + timedelta(seconds=30))
    clock.advance(minutes=1)
    submission = own.sign(state, org.id, epcis_event([lot]), lot, 1, None)
    with pytest.raises(BadSignature, match="not valid"):
        async with state.database.write() as session:
            await state.ledger.append(session, [submission])


async def test_a_client_record_time_far_from_the_portal_clock_is_refused(
    state: Portal, clock
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    own = OwnKey()
    await own.register(state, org.id)
    clock.advance(hours=1)
    submission = own.sign(
        state, org.id, epcis_event([lot]), lot, 1, None, at=clock.now - timedelta(hours=1)
    )
    with pytest.raises(InvalidInput, match="portal's clock"):
        async with state.database.write() as session:
            await state.ledger.append(session, [submission])


async def test_a_revoked_portal_key_leaves_the_organisation_unable_to_sign_via_the_portal(
    state: Portal,
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    async with state.database.write() as session:
        await state.registry.revoke_key(session, org.id, org.created.signing_key_id)
    with pytest.raises(NotFound, match="no valid signing key"):
        await append(state, org, [lot])


async def test_event_bodies_round_trip_through_the_database_to_the_same_hash(
    state: Portal,
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    tricky = epcis_event(
        [lot],
        sensorElementList=[
            {
                "sensorReport": [
                    {"type": "Temperature", "value": 1.0, "minValue": -0.0, "maxValue": 1e16},
                    {"type": "Humidity", "value": 0.1, "sDev": 1e-7, "count": 123456789},
                ]
            }
        ],
        **{"ghiChú": 'Hàng dễ vỡ — xin nhẹ tay \u2028 "quoted" \\ ', "emptyList": [], "n": None},
    )
    async with state.database.write() as session:
        [appended] = await state.ledger.append(session, [Submission(tricky, [lot], org.id)])
    result = await audit(state, lot)
    assert result.result.intact, result.result.first_bad
    assert result.events[0].entry.record.hash() == appended.event_hash


async def test_a_number_json_cannot_carry_exactly_is_refused_and_nothing_stored(
    state: Portal,
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    event = epcis_event([lot], quantityList=[{"epcClass": "x", "quantity": 12345678901234567}])
    with pytest.raises(InvalidInput, match="12345678901234567"):
        async with state.database.write() as session:
            await state.ledger.append(session, [Submission(event, [lot], org.id)])
    assert await chain_links(state, lot) == []
