"""EPCIS query subscriptions by webhook (REST binding, /queries/{queryName}/subscriptions).

Each notification goes to a real HTTP receiver on 127.0.0.1, as an EPCISQueryDocument
signed with the subscription's token (GS1-Signature) and carrying an Idempotency-Key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.factories.events import harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import Tenant, gln_for, tenant
from tests.gateway.epcis_calls import register_location
from tests.webhook_receiver import webhook_receiver
from traceability.background.subscriptions import SubscriptionDeliverer, subscription_deliverer
from traceability.clock import utc_now
from traceability.config import Settings
from traceability.epcis.query import EPCIS_CONTEXT
from traceability.portal import Portal
from traceability.services import subscriptions as subscriptions_service
from traceability.subscriptions.delivery import signature_matches

TOKEN = "13df38d8275b13f05704629e5f1cf3d45d6132d5"
# A claim long enough that no loaded machine lets it lapse by itself during the test.
CLAIM_SECONDS = 60.0
SUBSCRIPTIONS = "/api/v1/epcis/queries/Shipments/subscriptions"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The receiver listens on 127.0.0.1, a private address a deployment refuses by default.
    return settings.model_copy(
        update={
            "subscription_allow_private": True,
            "subscription_retry_first": 0.01,
            "subscription_retry_max": 0.05,
            "subscription_max_attempts": 4,
            "subscription_poll_interval": 0.05,
        }
    )


async def subscribe(
    client: httpx.AsyncClient, who: Tenant, dest: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        SUBSCRIPTIONS,
        json={"dest": dest, "signatureToken": TOKEN, "stream": True} | body,
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"].endswith(response.json()["subscriptionID"])
    return dict(response.json())


async def record(client: httpx.AsyncClient, who: Tenant, gtin: str, **extra: Any) -> str:
    response = await client.post(
        "/api/v1/epcis/events", json=harvest(gtin, "L1", **extra), headers=who.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["eventID"])


@asynccontextmanager
async def a_deliverer(state: Portal) -> AsyncIterator[SubscriptionDeliverer]:
    """A serving process's deliverer, run round by round by the test, closed after."""
    deliverer = SubscriptionDeliverer(state)
    try:
        yield deliverer
    finally:
        await deliverer.close()


async def until(condition: Callable[[], bool], deliverer: SubscriptionDeliverer) -> None:
    """Run the deliverer's rounds until ``condition`` holds (or give up after 5 s)."""
    for _ in range(250):
        await deliverer.run_once()
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def the_one_delivery_and_nothing_after(state: Portal, receiver: Any) -> None:
    """Run a deliverer until the receiver has one notification, then one more round, in which
    nothing more may arrive."""
    async with a_deliverer(state) as deliverer:
        await until(lambda: len(receiver.delivered) == 1, deliverer)
        await deliverer.run_once()


async def status_of(client: httpx.AsyncClient, who: Tenant, sub: dict[str, Any]) -> Any:
    response = await client.get(f"{SUBSCRIPTIONS}/{sub['subscriptionID']}", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_stream_subscription_is_sent_each_new_matching_event_signed_with_its_token(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    with webhook_receiver() as receiver:
        sub = await subscribe(client, owner, receiver.url, query={"EQ_bizStep": "shipping"})
        shipped = await record(client, owner, gtin, bizStep="shipping", disposition="in_transit")
        await record(client, owner, gtin)  # commissioning: not what the query asks for
        await the_one_delivery_and_nothing_after(state, receiver)
    [received] = receiver.seen
    assert signature_matches(TOKEN, received.body, received.headers["gs1-signature"])
    assert received.headers["idempotency-key"].startswith(sub["subscriptionID"])
    document = received.document
    assert document["type"] == "EPCISQueryDocument"
    assert document["epcisBody"]["queryResults"]["queryName"] == "Shipments"
    assert document["epcisBody"]["queryResults"]["subscriptionID"] == sub["subscriptionID"]
    assert [e["eventID"] for e in received.events] == [shipped]
    assert "recordTime" in received.events[0]
    seen = await status_of(client, owner, sub)
    assert seen["deliveries"] == {"pending": 0, "delivered": 1, "dead": 0}
    assert seen["lastNotifiedAt"] is not None
    assert "signatureToken" not in seen


async def test_a_query_that_looks_inside_events_is_sent_only_the_events_that_meet_it(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    own_prefix = {"@context": [EPCIS_CONTEXT, {"example": "http://ns.example.com/epcis/"}]}
    with webhook_receiver() as receiver:
        await subscribe(client, owner, receiver.url, query={"EQ_ILMD_example:grade": "A"})
        graded_a = await record(client, owner, gtin, ilmd={"example:grade": "A"}, **own_prefix)
        await record(client, owner, gtin, ilmd={"example:grade": "B"}, **own_prefix)
        await record(client, owner, gtin)
        await the_one_delivery_and_nothing_after(state, receiver)
    assert [[e["eventID"] for e in r.events] for r in receiver.delivered] == [[graded_a]]


async def test_a_query_on_measures_and_master_data_is_sent_only_the_events_that_meet_it(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    store = gln_for(owner.prefix, 2)
    await register_location(client, owner, gln=store, name="Kho Cần Thơ")
    at_store = {"bizLocation": {"id": f"https://id.gs1.org/414/{store}"}}
    # harvest() records 500 KGM of the lot.
    query = {"GE_quantity_KGM": "400", "EQ_ATTR_bizLocation_name": "Kho Cần Thơ"}
    with webhook_receiver() as receiver:
        await subscribe(client, owner, receiver.url, query=query)
        wanted = await record(client, owner, gtin, **at_store)
        await record(client, owner, gtin)  # no place the registry describes
        pounds = {"epcClass": f"https://id.gs1.org/01/{gtin}/10/L1", "quantity": 500, "uom": "LBR"}
        await record(client, owner, gtin, quantityList=[pounds], **at_store)
        await the_one_delivery_and_nothing_after(state, receiver)
    assert [[e["eventID"] for e in r.events] for r in receiver.delivered] == [[wanted]]


async def test_nothing_is_sent_twice_when_the_deliverer_restarts_and_nothing_queued_is_lost(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    with webhook_receiver() as receiver:
        await subscribe(client, owner, receiver.url)
        first = await record(client, owner, gtin)
        # The serving process's own deliverer (the background task), then it stops.
        async with subscription_deliverer(state):
            for _ in range(250):
                if receiver.delivered:
                    break
                await asyncio.sleep(0.02)
        # Recorded while no deliverer runs: it waits in the outbox for the next process.
        second = await record(client, owner, gtin, bizStep="shipping")
        async with subscription_deliverer(state):
            for _ in range(250):
                if len(receiver.delivered) >= 2:
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # several more rounds: nothing more is sent
        async with subscription_deliverer(state):
            await asyncio.sleep(0.3)
    sent = [[e["eventID"] for e in r.events] for r in receiver.delivered]
    assert sent == [[first], [second]]
    assert len({r.headers["idempotency-key"] for r in receiver.delivered}) == 2


async def test_a_notification_a_stopped_deliverer_had_claimed_is_sent_by_another_once(
    client: httpx.AsyncClient, state: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    with webhook_receiver() as receiver:
        await subscribe(client, owner, receiver.url)
        event_id = await record(client, owner, gtin)
        stopped = SubscriptionDeliverer(state, claim_seconds=CLAIM_SECONDS)
        try:
            await stopped.queue()
            async with state.write() as session:
                # Claimed, then the process stops before it sends: nothing reaches the receiver.
                [claimed] = await state.subscriptions.claim(
                    session, stopped.runner, CLAIM_SECONDS, 10
                )
        finally:
            await stopped.close()
        survivor = SubscriptionDeliverer(state)
        try:
            await survivor.run_once()
            assert receiver.seen == []  # the claim still holds
            # The claim's time runs out: the deliverers' clock moves past it (no real wait, so
            # a slow machine cannot let the claim lapse before the check above).
            later = utc_now() + timedelta(seconds=CLAIM_SECONDS + 1)
            monkeypatch.setattr(subscriptions_service, "utc_now", lambda: later)
            await until(lambda: len(receiver.delivered) == 1, survivor)
            async with state.write() as session:
                # The stopped one coming back late changes nothing.
                await state.subscriptions.delivered(session, stopped.runner, claimed)
            await survivor.run_once()
        finally:
            await survivor.close()
    [received] = receiver.seen
    assert received.headers["idempotency-key"] == claimed.idempotency_key
    assert [e["eventID"] for e in received.events] == [event_id]


async def test_a_receiver_that_fails_three_times_then_succeeds_gets_the_event_once(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    with webhook_receiver(failures=3) as receiver:
        sub = await subscribe(client, owner, receiver.url)
        event_id = await record(client, owner, gtin)
        async with a_deliverer(state) as deliverer:
            await until(lambda: len(receiver.delivered) == 1, deliverer)
            for _ in range(5):
                await deliverer.run_once()
    assert [r.status for r in receiver.seen] == [503, 503, 503, 200]
    assert len({r.headers["idempotency-key"] for r in receiver.seen}) == 1  # the same notice
    assert [e["eventID"] for e in receiver.delivered[0].events] == [event_id]
    seen = await status_of(client, owner, sub)
    assert seen["deliveries"] == {"pending": 0, "delivered": 1, "dead": 0}


async def test_a_dead_receiver_ends_dead_lettered_after_the_last_try(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    with webhook_receiver(dead=True) as receiver:
        sub = await subscribe(client, owner, receiver.url)
        await record(client, owner, gtin)
        async with a_deliverer(state) as deliverer:
            await until(lambda: len(receiver.seen) == 4, deliverer)
            for _ in range(5):
                await deliverer.run_once()
    assert len(receiver.seen) == state.settings.subscription_max_attempts
    seen = await status_of(client, owner, sub)
    assert seen["deliveries"] == {"pending": 0, "delivered": 0, "dead": 1}
    [dead] = seen["deadLetters"]
    assert dead["attempts"] == 4
    assert "503" in dead["lastError"]


async def test_a_scheduled_subscription_sends_what_is_new_since_its_last_run(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    with webhook_receiver() as receiver:
        sub = await subscribe(client, owner, receiver.url, stream=False, schedule={"second": "0/1"})
        assert sub["schedule"] == {"second": "0/1"} and "stream" not in sub
        # Binding: minRecordTime starts at initialRecordTime (default: the moment of
        # subscribing) and is then when the query last ran; OPTIONS says it too.
        assert sub["minRecordTime"] == sub["createdAt"]
        first = await record(client, owner, gtin)
        second = await record(client, owner, gtin, bizStep="shipping")
        async with a_deliverer(state) as deliverer:
            await until(lambda: len(receiver.delivered) == 1, deliverer)
            third = await record(client, owner, gtin, bizStep="receiving")
            await until(lambda: len(receiver.delivered) == 2, deliverer)
            await asyncio.sleep(1.1)  # a run with nothing new sends nothing (reportIfEmpty off)
            await deliverer.run_once()
    sent = [[e["eventID"] for e in r.events] for r in receiver.delivered]
    assert sent == [[first, second], [third]]
    ran = (await status_of(client, owner, sub))["minRecordTime"]
    assert ran > sub["createdAt"]
    url = f"{SUBSCRIPTIONS}/{sub['subscriptionID']}"
    options = await client.options(url, headers=owner.headers)
    assert options.status_code == 204
    assert options.headers["GS1-Query-Min-Record-Time"] == ran
    assert options.headers["allow"] == "GET, HEAD, DELETE, OPTIONS"
    stranger = await tenant(state)
    assert (await client.options(url, headers=stranger.headers)).status_code == 404


async def test_a_subscription_sees_only_what_its_owners_queries_may_see(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    inspector = await tenant(state, "inspector")
    own_gtin = await register_lot(client, owner)
    other_gtin = await register_lot(client, other)
    with webhook_receiver() as mine, webhook_receiver() as authority:
        await subscribe(client, owner, mine.url)
        await subscribe(client, inspector, authority.url)
        others = await record(client, other, other_gtin)
        owns = await record(client, owner, own_gtin)
        async with a_deliverer(state) as deliverer:
            await until(
                lambda: (
                    sum(len(r.events) for r in authority.delivered) == 2 and bool(mine.delivered)
                ),
                deliverer,
            )
            await deliverer.run_once()
    assert [[e["eventID"] for e in r.events] for r in mine.delivered] == [[owns]]
    assert sorted(e["eventID"] for r in authority.delivered for e in r.events) == sorted(
        [others, owns]
    )


async def test_another_organisation_cannot_list_read_or_delete_a_subscription(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner, other = await tenant(state), await tenant(state)
    inspector = await tenant(state, "inspector")
    sub = await subscribe(client, owner, "https://erp.example.vn/hook")
    path = f"{SUBSCRIPTIONS}/{sub['subscriptionID']}"
    for intruder in (other, inspector):
        listed = await client.get(SUBSCRIPTIONS, headers=intruder.headers)
        assert listed.status_code == 200 and listed.json() == []
        assert (await client.get(path, headers=intruder.headers)).status_code == 404
        refused = await client.delete(path, headers=intruder.headers)
        assert refused.status_code == 404
        assert refused.headers["content-type"] == "application/problem+json"
    assert (await client.get(path, headers=owner.headers)).status_code == 200
    listed = await client.get(SUBSCRIPTIONS, headers=owner.headers)
    assert [s["subscriptionID"] for s in listed.json()] == [sub["subscriptionID"]]
    assert (await client.delete(path, headers=owner.headers)).status_code == 204
    assert (await client.get(path, headers=owner.headers)).status_code == 404


async def test_an_unsubscribed_webhook_is_sent_nothing_more(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    with webhook_receiver() as receiver:
        sub = await subscribe(client, owner, receiver.url)
        path = f"{SUBSCRIPTIONS}/{sub['subscriptionID']}"
        assert (await client.delete(path, headers=owner.headers)).status_code == 204
        await record(client, owner, gtin)
        async with a_deliverer(state) as deliverer:
            await deliverer.run_once()
            await deliverer.run_once()
    assert receiver.seen == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dest": "ftp://erp.example.vn/hook", "stream": True}, "dest"),
        ({"dest": "https://erp.example.vn/hook"}, "stream"),
        (
            {"dest": "https://erp.example.vn/hook", "stream": True, "schedule": {"hour": "1"}},
            "stream",
        ),
        ({"dest": "https://erp.example.vn/hook", "schedule": {"hour": "25"}}, "schedule.hour"),
        ({"dest": "https://erp.example.vn/hook", "stream": True, "query": {"EQ_x": "1"}}, "EQ_x"),
        (
            {"dest": "https://erp.example.vn/hook", "stream": True, "query": {"perPage": "5"}},
            "query.perPage",
        ),
        (
            {"dest": "https://1.1.1.1/", "stream": True, "initialRecordTime": "2026-12-01T00:00"},
            "initialRecordTime",
        ),
        # The binding's schema calls the token `secret` too: two different ones are refused.
        (
            {"dest": "https://1.1.1.1/", "stream": True, "secret": "a", "signatureToken": "b"},
            "secret",
        ),
    ],
)
async def test_a_subscription_that_could_not_work_is_a_400_and_nothing_is_stored(
    client: httpx.AsyncClient, state: Portal, body: dict[str, Any], field: str
) -> None:
    owner = await tenant(state)
    response = await client.post(SUBSCRIPTIONS, json=body, headers=owner.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text
    assert (await client.get(SUBSCRIPTIONS, headers=owner.headers)).json() == []


async def test_a_private_destination_is_refused_unless_the_deployment_allows_it(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    state.settings = state.settings.model_copy(update={"subscription_allow_private": False})
    for dest in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.0.0.7/hook"):
        body = {"dest": dest, "stream": True}
        response = await client.post(SUBSCRIPTIONS, json=body, headers=owner.headers)
        assert response.status_code == 400, response.text
        assert "private" in response.json()["detail"]
    assert (await client.get(SUBSCRIPTIONS, headers=owner.headers)).json() == []


async def test_an_initial_record_time_reaches_back_to_events_recorded_before_subscribing(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    earlier = await record(client, owner, gtin)
    with webhook_receiver() as receiver:
        # Recorded times come from the test's clock, which starts on 2026-11-01.
        await subscribe(client, owner, receiver.url, initialRecordTime="2026-10-01T00:00:00Z")
        await subscribe(client, owner, receiver.url)  # from now on only
        later = await record(client, owner, gtin, bizStep="shipping")
        async with a_deliverer(state) as deliverer:
            await until(lambda: len(receiver.delivered) == 2, deliverer)
            await deliverer.run_once()
    sent = sorted([e["eventID"] for e in r.events] for r in receiver.delivered)
    assert sent == sorted([[earlier, later], [later]])


async def test_the_list_pages_with_a_link_to_the_next_page(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    made = {
        (await subscribe(client, owner, "https://1.1.1.1/hook"))["subscriptionID"] for _ in "abc"
    }
    listed: set[str] = set()
    url: str | None = f"{SUBSCRIPTIONS}?perPage=2"
    pages = 0
    while url:
        response = await client.get(url, headers=owner.headers)
        assert response.status_code == 200
        listed |= {s["subscriptionID"] for s in response.json()}
        link = response.headers.get("link")
        url = link.split(">")[0].lstrip("<") if link else None
        pages += 1
    assert listed == made and pages == 2


async def test_a_dest_that_turns_private_after_subscribing_is_not_called(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    with webhook_receiver() as receiver:
        sub = await subscribe(client, owner, receiver.url)
        await record(client, owner, gtin)
        # As if the name now resolved to this machine: each send checks again.
        state.settings = state.settings.model_copy(update={"subscription_allow_private": False})
        async with a_deliverer(state) as deliverer:
            for _ in range(50):
                await deliverer.run_once()
                if (await status_of(client, owner, sub))["deliveries"]["dead"]:
                    break
                await asyncio.sleep(0.02)
    assert receiver.seen == []
    [dead] = (await status_of(client, owner, sub))["deadLetters"]
    assert "private" in dead["lastError"]


async def test_a_subscription_to_a_named_query_runs_the_saved_query(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    saved = {"name": "Shipments", "query": {"EQ_bizStep": ["shipping"]}}
    assert (
        await client.post("/api/v1/epcis/queries", json=saved, headers=owner.headers)
    ).is_success
    with webhook_receiver() as receiver:
        sub = await subscribe(client, owner, receiver.url)
        assert sub["query"] == {"EQ_bizStep": "shipping"}
        shipped = await record(client, owner, gtin, bizStep="shipping", disposition="in_transit")
        await record(client, owner, gtin)  # commissioning: not what the saved query asks for
        await the_one_delivery_and_nothing_after(state, receiver)
    assert [e["eventID"] for e in receiver.seen[0].events] == [shipped]
