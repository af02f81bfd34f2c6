"""Subscription benchmark: delay from a capture's commit to the webhook's receipt.

A stream subscription (every event of one organisation) sends to a receiver on 127.0.0.1 (a
threaded stdlib HTTP server in this process). Events are appended through LedgerService in
batches at a steady rate (``--rate`` events/s) for ``--seconds``; each event's commit time is
taken when its transaction has committed, its receipt time when the receiver reads it, both
on this process's monotonic clock. The deliverer is the serving process's own
(``subscription_deliverer``, polling every ``--poll`` seconds) in the same event loop as the
writer, so the two share one process as they do in a single `serve` worker. Reported: the
delay's p50, p99 and max, the capture rate reached, and whether every event arrived once.

    python -m bench.subscriptions [--database-url URL] [--rate 500] [--seconds 10]
                                  [--batch 10] [--poll 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from bench.ledger import Org, ScratchDatabases, _setup_portal, make_event, percentile
from traceability.background.subscriptions import subscription_deliverer
from traceability.portal import Portal
from traceability.services.ledger import Submission
from traceability.services.registry import Principal
from traceability.services.subscriptions import SubscriptionRequest


class Receipts:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.duplicates = 0
        self.lock = threading.Lock()

    def take(self, body: bytes) -> None:
        now = time.perf_counter()
        events = orjson.loads(body)["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        with self.lock:
            for event in events:
                if event["eventID"] in self.at:
                    self.duplicates += 1
                else:
                    self.at[event["eventID"]] = now


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a deliverer may connect many times at once


def start_receiver(receipts: Receipts) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: as a real receiver would

        def do_POST(self) -> None:
            receipts.take(self.rfile.read(int(self.headers.get("content-length", "0"))))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


async def write_steadily(
    portal: Portal, org: Org, args: argparse.Namespace
) -> tuple[dict[str, float], float]:
    """Append ``args.rate`` events/s for ``args.seconds`` in transactions of ``args.batch``;
    the moment each event's transaction committed (by eventID), and the rate reached."""
    committed: dict[str, float] = {}
    rng = random.Random(7)
    total = int(args.rate * args.seconds)
    started = time.perf_counter()
    n = 0
    while n < total:
        batch = []
        for _ in range(min(args.batch, total - n)):
            lot = org.lots[n % len(org.lots)]
            batch.append(Submission(make_event(rng, lot, org.prefix, n), [lot], org.id))
            n += 1
        async with portal.write() as session:
            await portal.ledger.append(session, batch)
        done = time.perf_counter()
        for submission in batch:
            committed[submission.event["eventID"]] = done
        await asyncio.sleep(max(0.0, started + n / args.rate - time.perf_counter()))
    return committed, total / (time.perf_counter() - started)


async def run(args: argparse.Namespace) -> dict[str, float]:
    scratch = ScratchDatabases(args.database_url)
    receipts = Receipts()
    server, dest = start_receiver(receipts)
    try:
        url = await scratch.create("subscriptions")
        with tempfile.TemporaryDirectory() as data_dir:
            portal, [org] = await _setup_portal(url, Path(data_dir), 1, 10)
            portal.settings = portal.settings.model_copy(
                update={"subscription_allow_private": True, "subscription_poll_interval": args.poll}
            )
            async with portal.write() as session:
                await portal.subscriptions.subscribe(
                    session,
                    Principal(org.id, "producer", ""),
                    "Everything",
                    SubscriptionRequest(dest=dest, query={}, stream=True),
                    allow_private=True,
                )
            total = int(args.rate * args.seconds)
            async with subscription_deliverer(portal):
                committed, rate = await write_steadily(portal, org, args)
                deadline = time.perf_counter() + 60
                while len(receipts.at) < total and time.perf_counter() < deadline:
                    await asyncio.sleep(0.05)
            await portal.close()
        delays = [receipts.at[e] - t for e, t in committed.items() if e in receipts.at]
        return {
            "events": total,
            "rate": rate,
            "received": len(receipts.at),
            "duplicates": receipts.duplicates,
            "p50_ms": percentile(delays, 50) * 1000,
            "p99_ms": percentile(delays, 99) * 1000,
            "max_ms": max(delays) * 1000,
        }
    finally:
        server.shutdown()
        await scratch.drop_all()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.subscriptions",
        description="Delay from capture commit to webhook receipt at a steady capture rate.",
    )
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rate", type=float, default=500.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=10, help="events per capture transaction")
    parser.add_argument("--poll", type=float, default=0.1, help="deliverer's poll interval, s")
    result = asyncio.run(run(parser.parse_args(argv)))
    print(
        f"{result['events']:.0f} events at {result['rate']:.0f} events/s: "
        f"{result['received']:.0f} received, {result['duplicates']:.0f} duplicates; "
        f"delay p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, "
        f"max {result['max_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
