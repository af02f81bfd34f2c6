"""Evidence memory benchmark: the peak memory of a lot's page, audit and bundle at the caps.

An event holds at most ``EVENT_SIZE_LIMIT`` bytes of canonical JSON (128 KiB, checked at
every capture path). This measures what a lot whose every event is at that cap costs the
server to read, for lots of ``--events`` events each:

1. a producer captures the events through HTTP (``POST /api/v1/epcis/events``, each event
   padded with an extension field up to the cap), on an SQLite file, the app in-process;
2. each read is then made once, the ASGI app called directly so that nothing but the
   server's own work is counted (the body it sends is counted and dropped, as a socket
   would): the lot page as HTML and as JSON (``GET /01/{gtin}/10/{lot}``, public cache off,
   so the page is built), the audit (``GET /api/v1/audit/lots/{gtin}/{lot}``) and the bundle
   (``…/bundle``);
3. reported: Python's peak traced memory during each read (``tracemalloc``: every
   allocation of the interpreter and of orjson, zlib, SQLite's driver buffers as Python
   objects), in MiB, and that peak as a multiple of the lot's stored event bytes.

No timing is measured (tracemalloc slows everything down). The figures carry from machine
to machine: they are bytes, not seconds.

    python -m bench.evidence_memory [--events 10,100,500] [--event-size BYTES]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import platform
import sys
import tempfile
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from gateway.app import create_app
from traceability.config import Settings
from traceability.crypto.canonical import canonical_bytes
from traceability.db.migrate import upgrade
from traceability.epcis.validation import EVENT_SIZE_LIMIT
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.portal import Portal
from traceability.services.registry import NewOrganization

MIB = 1024 * 1024
PREFIX = "89399999"
READS = ("page-html", "page-json", "audit", "bundle")
# A fixed key: the benchmark's own throwaway data directory, nothing else is sealed with it.
MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


@dataclass(frozen=True)
class Read:
    name: str
    status: int
    body_bytes: int
    peak_bytes: int


@dataclass(frozen=True)
class LotRun:
    events: int
    stored_bytes: int  # the canonical JSON of the lot's events, as captured
    reads: tuple[Read, ...]


def gtin() -> str:
    body = "0" + PREFIX + "0007"
    return body + gs1_check_digit(body)


def event_at_size(gtin14: str, lot: str, number: int, size: int) -> dict[str, Any]:
    """An ObjectEvent of the lot whose canonical JSON is exactly ``size`` bytes."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
        "eventTime": "2026-10-30T07:15:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD" if number == 0 else "OBSERVE",
        "bizStep": "commissioning" if number == 0 else "inspecting",
        "quantityList": [
            {"epcClass": f"https://id.gs1.org/01/{gtin14}/10/{lot}", "quantity": 1, "uom": "KGM"}
        ],
        "example:note": "",
    }
    padding = size - len(canonical_bytes(event))
    if padding < 0:
        raise ValueError(f"an event of this lot is at least {size - padding} bytes")
    event["example:note"] = "x" * padding
    return event


async def call(app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """GET ``path`` straight through the ASGI app; its status and body size, the body
    dropped as it is sent."""
    status = 0
    sent = 0
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"bench")],
        "client": ("127.0.0.1", 40000),
        "server": ("bench", 80),
    }

    requested = False
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # a streamed answer listens for the client going away
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, sent
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            sent += len(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    return status, sent


async def traced_read(app: FastAPI, name: str, path: str, headers: dict[str, str]) -> Read:
    """One GET through the app with its peak of traced memory (what it allocated at most)."""
    gc.collect()
    tracemalloc.start()
    try:
        status, sent = await call(app, path, headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Read(name, status, sent, peak)


async def measure_lot(events: int, event_size: int, directory: Path) -> LotRun:
    url = f"sqlite+aiosqlite:///{directory / f'lot-{events}.db'}"
    await asyncio.to_thread(upgrade, url)
    settings = Settings(
        data_dir=directory, database_url=url, master_key=MASTER_KEY, public_cache=False
    )
    state = Portal.build(settings)
    app = create_app(settings)
    app.state.portal = state  # the lifespan is not run: this owns the Portal
    try:
        async with state.write() as session:
            producer = await state.registry.create_organization(
                session,
                NewOrganization(name="HTX Bench", role="producer", gs1_prefixes=[PREFIX]),
            )
            inspector = await state.registry.create_organization(
                session, NewOrganization(name="Chi cục Bench", role="inspector")
            )
        owner = {"Authorization": f"Bearer {producer.api_key}"}
        auditor = {"Authorization": f"Bearer {inspector.api_key}"}
        gtin14, lot = gtin(), "BENCH-1"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for path, body in (
                ("/api/v1/products", {"gtin": gtin14, "name": "Gạo ST25"}),
                ("/api/v1/lots", {"gtin": gtin14, "lot": lot, "quantity": 1, "unit": "KGM"}),
            ):
                response = await http.post(path, json=body, headers=owner)
                response.raise_for_status()
            stored = 0
            for number in range(events):
                event = event_at_size(gtin14, lot, number, event_size)
                response = await http.post("/api/v1/epcis/events", json=event, headers=owner)
                if response.status_code != 201:
                    raise RuntimeError(f"capture refused: {response.text[:300]}")
                stored += len(canonical_bytes(event))
        targets = {
            "page-html": (f"/01/{gtin14}/10/{lot}", {"accept": "text/html"}),
            "page-json": (f"/01/{gtin14}/10/{lot}", {"accept": "application/json"}),
            "audit": (f"/api/v1/audit/lots/{gtin14}/{lot}", auditor),
            "bundle": (f"/api/v1/audit/lots/{gtin14}/{lot}/bundle", auditor),
        }
        reads = []
        for name in READS:
            path, headers = targets[name]
            await call(app, path, headers)  # warm: templates, statements, first checkpoint
            reads.append(await traced_read(app, name, path, headers))
        return LotRun(events, stored, tuple(reads))
    finally:
        await state.cache.close()
        await state.database.dispose()


def markdown(runs: Sequence[LotRun], event_size: int) -> str:
    lines = [
        f"| events of {event_size // 1024} KiB | stored | "
        + " | ".join(f"{name} peak (x stored)" for name in READS)
        + " | bundle body |",
        "| ---: | ---: | " + " | ".join("---:" for _ in READS) + " | ---: |",
    ]
    for run in runs:
        cells = []
        for read in run.reads:
            if read.status != 200:
                cells.append(f"status {read.status}")
            else:
                ratio = read.peak_bytes / run.stored_bytes
                cells.append(f"{read.peak_bytes / MIB:.1f} MiB ({ratio:.1f}x)")
        bundle = next(r for r in run.reads if r.name == "bundle")
        lines.append(
            f"| {run.events:,} | {run.stored_bytes / MIB:.1f} MiB | "
            + " | ".join(cells)
            + f" | {bundle.body_bytes / MIB:.1f} MiB |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.evidence_memory", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--events",
        default="10,100,500",
        help="lot lengths to measure, comma-separated (default: 10,100,500)",
    )
    parser.add_argument(
        "--event-size",
        type=int,
        default=EVENT_SIZE_LIMIT,
        help=f"canonical bytes of each event (default: the cap, {EVENT_SIZE_LIMIT})",
    )
    return parser.parse_args(argv)


async def run(events: Sequence[int], event_size: int) -> list[LotRun]:
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as directory:
        for count in events:
            print(f"lot of {count} events ...", file=sys.stderr, flush=True)
            runs.append(await measure_lot(count, event_size, Path(directory)))
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    events = [int(part) for part in args.events.split(",") if part.strip()]
    runs = asyncio.run(run(events, args.event_size))
    print(f"{datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, Python {platform.python_version()}")
    print(markdown(runs, args.event_size))
    failed = [(run.events, r.name, r.status) for run in runs for r in run.reads if r.status != 200]
    if failed:
        print(f"reads that did not answer 200: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
