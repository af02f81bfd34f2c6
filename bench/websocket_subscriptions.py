"""WebSocket subscription benchmark: delay from a capture's commit to its receipt on an EPCIS
WebSocket stream, beside a webhook stream subscription to the same events, in the same run.

The portal's app is served by uvicorn (websockets-sansio, as `traceability serve`) on
127.0.0.1 in this process; a WebSocket client (the `websockets` library) holds
``GET /api/v1/epcis/queries/Everything/events?stream=true`` open with an inspector's key (it
sees every event), and a webhook stream subscription of the same query sends to a receiver
on 127.0.0.1 (``bench.subscriptions``'s). Events are appended through LedgerService in
batches at a steady ``--rate`` events/s for ``--seconds``, in the same event loop as the
server, as in one `serve` worker. Each event's delay runs from the moment its transaction
has committed to the moment the client (or the receiver) reads it, on one monotonic clock.

    python -m bench.websocket_subscriptions [--database-url URL] [--rate 500] [--seconds 10]
                                            [--batch 10] [--watch 0.05] [--poll 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from bench.ledger import ScratchDatabases, _setup_portal, percentile
from bench.subscriptions import Receipts, start_receiver, write_steadily
from gateway.app import create_app
from traceability.portal import Portal
from traceability.services.registry import NewOrganization, Principal
from traceability.services.subscriptions import SubscriptionRequest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _inspector(portal: Portal) -> tuple[Principal, str]:
    """An inspector (it reads every event) with its query "Everything", and its API key."""
    async with portal.write() as session:
        created = await portal.registry.create_organization(
            session,
            NewOrganization(
                name="Chi cục Quản lý thị trường",
                role="inspector",
                tax_code="0300000001",
                gs1_prefixes=[],
                province="Cần Thơ",
            ),
        )
        principal = Principal(created.organization.id, "inspector", "")
        await portal.named_queries.create(session, principal, "Everything", {})
    return principal, created.api_key


async def _listen(websocket: ClientConnection, receipts: Receipts) -> None:
    with suppress(Exception):
        async for message in websocket:
            receipts.take(message.encode() if isinstance(message, str) else message)


def _delays(committed: dict[str, float], receipts: Receipts) -> dict[str, float]:
    delays = [receipts.at[e] - t for e, t in committed.items() if e in receipts.at]
    return {
        "received": len(receipts.at),
        "duplicates": receipts.duplicates,
        "p50_ms": percentile(delays, 50) * 1000,
        "p99_ms": percentile(delays, 99) * 1000,
        "max_ms": max(delays) * 1000,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scratch = ScratchDatabases(args.database_url)
    streamed, hooked = Receipts(), Receipts()
    receiver, dest = start_receiver(hooked)
    try:
        url = await scratch.create("websockets")
        with tempfile.TemporaryDirectory() as data_dir:
            portal, [org] = await _setup_portal(url, Path(data_dir), 1, 10)
            inspector, api_key = await _inspector(portal)
            async with portal.write() as session:
                await portal.subscriptions.subscribe(
                    session,
                    inspector,
                    "Everything",
                    SubscriptionRequest(dest=dest, query={}, stream=True),
                    allow_private=True,
                )
            settings = portal.settings.model_copy(
                update={
                    "subscription_allow_private": True,
                    "subscription_poll_interval": args.poll,
                    "websocket_poll_interval": args.watch,
                }
            )
            port = _free_port()
            server = uvicorn.Server(
                uvicorn.Config(
                    create_app(settings),
                    host="127.0.0.1",
                    port=port,
                    ws="websockets-sansio",
                    log_level="warning",
                )
            )
            serving = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.05)
            stream = f"ws://127.0.0.1:{port}/api/v1/epcis/queries/Everything/events?stream=true"
            headers = {"Authorization": f"Bearer {api_key}"}
            async with connect(stream, additional_headers=headers, max_size=None) as websocket:
                listening = asyncio.create_task(_listen(websocket, streamed))
                committed, rate = await write_steadily(portal, org, args)
                deadline = time.perf_counter() + 60
                while (
                    min(len(streamed.at), len(hooked.at)) < len(committed)
                    and time.perf_counter() < deadline
                ):
                    await asyncio.sleep(0.05)
                listening.cancel()
            server.should_exit = True
            await serving
            await portal.close()
        return {
            "events": len(committed),
            "rate": rate,
            "websocket": _delays(committed, streamed),
            "webhook": _delays(committed, hooked),
        }
    finally:
        receiver.shutdown()
        await scratch.drop_all()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.websocket_subscriptions",
        description="Delay from capture commit to WebSocket receipt (beside a webhook's) at a "
        "steady capture rate.",
    )
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rate", type=float, default=500.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=10, help="events per capture transaction")
    parser.add_argument(
        "--watch", type=float, default=0.05, help="the log watch's interval (websockets), s"
    )
    parser.add_argument("--poll", type=float, default=0.1, help="webhook deliverer's poll, s")
    result = asyncio.run(run(parser.parse_args(argv)))
    print(f"{result['events']} events at {result['rate']:.0f} events/s of capture")
    for kind in ("websocket", "webhook"):
        r = result[kind]
        print(
            f"{kind:>9}: {r['received']:.0f} received, {r['duplicates']:.0f} duplicates; "
            f"delay p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms"
        )


if __name__ == "__main__":
    main()
