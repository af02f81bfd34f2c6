"""EPCIS 2.0 section 8.2.7.1: GE_eventTime/LT_eventTime and GE_recordTime/LT_recordTime
compare instants. A time with any offset names the same instant as its UTC spelling."""

from __future__ import annotations

import httpx

from tests.factories.organizations import tenant
from tests.gateway.epcis_calls import EPCIS, capture_document, gs1_example, ids_of
from traceability.portal import Portal


async def test_an_offset_time_finds_what_its_utc_spelling_finds(
    client: httpx.AsyncClient, state: Portal
) -> None:
    admin = await tenant(state, "admin")
    # GS1's example 9.6.1: events at 2005-04-03T20:33:31.116-06:00 and a day later.
    await capture_document(client, admin, gs1_example("Example_9.6.1-ObjectEvent.jsonld"))

    async def query(**params: str) -> list[str]:
        return ids_of(await client.get(f"{EPCIS}/events", params=params, headers=admin.headers))

    with_offset = await query(GE_eventTime="2005-04-03T20:33:31.116-06:00")
    in_utc = await query(GE_eventTime="2005-04-04T02:33:31.116Z")
    assert len(with_offset) == 2
    assert with_offset == in_utc
    # Only the first event is before the second's instant, however that instant is written.
    assert await query(LT_eventTime="2005-04-04T20:33:31.116-06:00") == with_offset[:1]
    assert await query(LT_eventTime="2005-04-05T02:33:31.116Z") == with_offset[:1]
    assert await query(LT_eventTime="2005-04-05T09:33:31.116+07:00") == with_offset[:1]
    # One millisecond later than the second event's instant, in +07:00, finds nothing after.
    assert await query(GE_eventTime="2005-04-05T09:33:31.117+07:00") == []
