"""Webhook delivery of EPCIS query subscriptions, in every serving process.

Two steps, each a transaction of its own, run every ``subscription_poll_interval`` seconds:

* queue: for every stream subscription (and each scheduled one whose time came) the events
  past its cursor that its query matches become one row of the delivery outbox, and the
  cursor moves past them, in one transaction under the subscription's row lock. So no event
  is queued twice for one subscription, and nothing is lost: an event's log index is given
  under the log's lock, so log order is commit order and nothing new is behind a cursor.
* deliver: due outbox rows are claimed (a conditional UPDATE, so one process sends each), the
  EPCISQueryDocument is POSTed to ``dest`` with the ``GS1-Signature`` and an
  ``Idempotency-Key`` header naming the subscription and the events' log range (or the run);
  a 2xx settles it; anything else is tried again after a wait that doubles up to
  ``subscription_retry_max``, and after ``subscription_max_attempts`` tries it is dead (shown
  on GET of the subscription). A process that stops mid-send leaves its claim to lapse and
  another sends again with the same idempotency key, for the receiver to recognise.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Final

import httpx
import orjson
import structlog

from traceability.portal import Portal
from traceability.services.subscriptions import Outgoing
from traceability.subscriptions.delivery import (
    SIGNATURE_HEADER,
    dest_problem,
    gs1_signature,
    retry_delay,
)

log = structlog.get_logger(__name__)

CLAIM_SECONDS: Final = 60.0
DELIVERIES_PER_ROUND: Final = 100
# Sends at once from one process.
CONCURRENT_SENDS: Final = 16


class SubscriptionDeliverer:
    """One process's queuer and sender; ``runner`` names it on the rows it claims."""

    def __init__(
        self, portal: Portal, *, runner: str | None = None, claim_seconds: float = CLAIM_SECONDS
    ) -> None:
        self.portal = portal
        self.runner = runner or uuid.uuid4().hex
        self.claim_seconds = claim_seconds
        settings = portal.settings
        self.http = httpx.AsyncClient(timeout=settings.subscription_timeout, follow_redirects=False)
        self._sends = asyncio.Semaphore(CONCURRENT_SENDS)

    async def close(self) -> None:
        await self.http.aclose()

    async def queue(self) -> int:
        """Queue what every due subscription is owed; returns how many deliveries."""
        portal = self.portal
        async with portal.read() as session:
            due = await portal.subscriptions.due_subscriptions(session)
        queued = 0
        for subscription_id in due:
            async with portal.write() as session:
                queued += await portal.subscriptions.queue_owed(session, subscription_id)
        return queued

    async def deliver(self) -> int:
        """Send every due delivery this process can claim; returns how many it tried."""
        portal = self.portal
        tried = 0
        async with portal.read() as session:
            if not await portal.subscriptions.deliveries_due(session):
                return 0  # no write transaction (SQLite has one writer) when idle
        while True:
            async with portal.write() as session:
                batch = await portal.subscriptions.claim(
                    session, self.runner, self.claim_seconds, DELIVERIES_PER_ROUND
                )
            if not batch:
                return tried
            await asyncio.gather(*(self._send(outgoing) for outgoing in batch))
            tried += len(batch)

    async def run_once(self) -> int:
        await self.queue()
        return await self.deliver()

    async def _send(self, outgoing: Outgoing) -> None:
        settings = self.portal.settings
        body = orjson.dumps(outgoing.document)
        headers = {
            "Content-Type": "application/ld+json",
            "GS1-EPCIS-Version": "2.0.0",
            "Idempotency-Key": outgoing.idempotency_key,
        }
        if outgoing.signature_token:
            headers[SIGNATURE_HEADER] = gs1_signature(outgoing.signature_token, body)
        error: str | None = None
        # Checked again at each send: a name may resolve elsewhere than when it subscribed.
        problem = await asyncio.to_thread(
            dest_problem, outgoing.dest, allow_private=settings.subscription_allow_private
        )
        if problem:
            error = f"dest {problem}"
        else:
            async with self._sends:
                try:
                    response = await self.http.post(outgoing.dest, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                else:
                    if not response.is_success:
                        error = f"the receiver answered {response.status_code}"
        async with self.portal.write() as session:
            if error is None:
                await self.portal.subscriptions.delivered(session, self.runner, outgoing)
                return
            tries = outgoing.attempts + 1
            retry_in = (
                retry_delay(
                    tries, settings.subscription_retry_first, settings.subscription_retry_max
                )
                if tries < settings.subscription_max_attempts
                else None
            )
            await self.portal.subscriptions.failed(
                session, self.runner, outgoing, error, retry_in=retry_in
            )
        log.warning(
            "subscription_delivery_failed",
            subscription_id=outgoing.subscription_id,
            key=outgoing.idempotency_key,
            attempts=tries,
            dead=retry_in is None,
            error=error,
        )


async def _deliver_for_ever(deliverer: SubscriptionDeliverer, interval: float) -> None:
    while True:
        try:
            await deliverer.run_once()
        except Exception as exc:
            # The database away, say: the next round looks again; nothing is lost.
            log.warning("subscription_round_failed", error=type(exc).__name__)
        await asyncio.sleep(interval)


@asynccontextmanager
async def subscription_deliverer(
    portal: Portal, *, runner: str | None = None
) -> AsyncIterator[SubscriptionDeliverer]:
    """While the serving process runs: queue and deliver every ``subscription_poll_interval``
    seconds (0: never, for a process that must not send)."""
    deliverer = SubscriptionDeliverer(portal, runner=runner)
    interval = portal.settings.subscription_poll_interval
    task = asyncio.create_task(_deliver_for_ever(deliverer, interval)) if interval > 0 else None
    try:
        yield deliverer
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await deliverer.close()
