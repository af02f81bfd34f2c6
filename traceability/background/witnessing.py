"""Getting each new checkpoint cosigned by the witnesses, after the append has committed.

One task per serving process. It wakes when a write of this process signed a checkpoint
(Portal.write tells it after the commit), or every :data:`RETRY_SECONDS` to catch up with
checkpoints other processes signed and witnesses that were down. Each round is its own
short transactions; a witness that is down or refuses is recorded and asked again later,
and never delays or fails a capture.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import httpx
import structlog

from traceability.background.running import running
from traceability.errors import NotFound
from traceability.portal import Portal
from traceability.services.witnessing import WitnessOutcome

log = structlog.get_logger(__name__)

RETRY_SECONDS: Final = 10.0


async def witness_round(portal: Portal, client: httpx.AsyncClient) -> list[WitnessOutcome]:
    """Ask the witnesses that are behind to cosign the newest checkpoint; store what they say."""
    service = portal.witnessing
    try:
        async with portal.read() as session:
            plan = await service.plan(session)
    except NotFound:
        return []  # the log has not signed its first checkpoint yet
    if plan is None:
        return []

    async def proof(first: int, second: int) -> list[bytes]:
        async with portal.read() as session:
            return await portal.transparency.consistency_proof(session, first, second)

    outcomes = await service.ask(client, plan, proof)
    async with portal.write() as session:
        await service.record(session, plan, outcomes)
    for outcome in outcomes:
        if outcome.error is not None:
            log.warning(
                "witness_did_not_cosign",
                witness=outcome.endpoint.verifier.name,
                size=plan.checkpoint.size,
                error=outcome.error,
            )
    return outcomes


async def _run(portal: Portal) -> None:
    async with httpx.AsyncClient() as client:  # one pool: keep-alive to each witness
        while True:
            try:
                await witness_round(portal, client)
            except asyncio.CancelledError:
                raise
            except Exception:  # a round that broke is tried again; it must not end the task
                log.exception("witness_round_failed")
            await portal.witnessing.next_checkpoint(RETRY_SECONDS)


@asynccontextmanager
async def witness_publisher(portal: Portal) -> AsyncIterator[None]:
    """Run the rounds while the app serves (nothing when no witness is configured)."""
    if not portal.witnessing.endpoints:
        yield
        return
    async with running(_run(portal), "witness-publisher"):
        yield
