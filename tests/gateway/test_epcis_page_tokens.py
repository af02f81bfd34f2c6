"""Page tokens of the EPCIS REST binding expire: every answer with a next page says when
(GS1-Next-Page-Token-Expires), and past that instant the token is refused with the
binding's QueryParameterException, so the client starts its query again."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.conftest import FakeClock
from tests.factories.lots import register_lot
from tests.factories.organizations import tenant
from tests.gateway.epcis_calls import EPCIS, capture_events, ids_of, shipped
from traceability.portal import Portal


def next_url(answer: httpx.Response) -> str:
    return answer.headers["link"].split(";")[0].strip("<>")


async def test_a_page_token_works_until_the_instant_its_answer_names(
    client: httpx.AsyncClient, state: Portal, clock: FakeClock
) -> None:
    farm = await tenant(state)
    gtin = await register_lot(client, farm)
    await capture_events(client, farm, *(shipped(gtin, str(n), farm) for n in range(3)))
    lifetime = timedelta(seconds=state.settings.page_token_lifetime)

    issued_at = clock.now
    first = await client.get(f"{EPCIS}/events", params={"perPage": 1}, headers=farm.headers)
    assert first.status_code == 200, first.text
    expires = datetime.fromisoformat(first.headers["GS1-Next-Page-Token-Expires"])
    assert expires.tzinfo is not None
    assert issued_at + lifetime <= expires <= issued_at + lifetime + timedelta(seconds=1)
    assert first.headers["GS1-Next-Page-Token"] in next_url(first)

    # Just before that instant the token still works; its page's own token starts afresh.
    clock.now = expires - timedelta(milliseconds=5)
    second = await client.get(next_url(first), headers=farm.headers)
    assert second.status_code == 200, second.text
    assert len(ids_of(second)) == 1
    assert datetime.fromisoformat(second.headers["GS1-Next-Page-Token-Expires"]) > expires

    clock.now = datetime.fromisoformat(second.headers["GS1-Next-Page-Token-Expires"])
    expired = await client.get(next_url(second), headers=farm.headers)
    assert expired.status_code == 400
    problem = expired.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert "expired" in problem["detail"]

    # A collection of the binding pages the same way; the last page names no expiry.
    epcs = await client.get(f"{EPCIS}/epcs", params={"perPage": 2}, headers=farm.headers)
    assert "GS1-Next-Page-Token-Expires" in epcs.headers
    last = await client.get(next_url(epcs), headers=farm.headers)
    assert last.status_code == 200, last.text
    assert "link" not in last.headers
    assert "GS1-Next-Page-Token-Expires" not in last.headers
    clock.advance(seconds=state.settings.page_token_lifetime + 1)  # whole seconds, rounded up
    assert (await client.get(next_url(epcs), headers=farm.headers)).status_code == 400


async def test_another_organisation_that_replays_a_page_token_sees_none_of_the_first_ones_events(
    client: httpx.AsyncClient, state: Portal
) -> None:
    """A token says where a page starts, not who may read it: the caller's own view of the
    events is applied again on every page."""
    farm, other = await tenant(state), await tenant(state)
    gtin = await register_lot(client, farm)
    await capture_events(client, farm, *(shipped(gtin, str(n), farm) for n in range(3)))
    first = await client.get(f"{EPCIS}/events", params={"perPage": 1}, headers=farm.headers)
    assert first.status_code == 200, first.text

    replayed = await client.get(next_url(first), headers=other.headers)

    assert replayed.status_code == 200, replayed.text
    assert ids_of(replayed) == []
