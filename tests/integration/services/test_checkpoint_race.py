"""Page builds and audits of a lot run side by side: read-only snapshots never race."""

from __future__ import annotations

import asyncio

from tests.factories.events import append, audit
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.portal import Portal


async def test_many_concurrent_snapshots_of_a_grown_log_all_answer(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot], count=3)

    async def audit_is_intact() -> bool:
        return (await audit(state, lot)).intact

    assert all(await asyncio.gather(*(audit_is_intact() for _ in range(16))))
