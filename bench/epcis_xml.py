"""XML capture beside JSON-LD capture of the same events, in the same run.

Two measures, each a median of ``--runs`` interleaved rounds:

- ``front``: what XML adds before anything is stored: reading the body (``parse_json``, or
  ``xml_to_jsonld`` with its hardened parser) and the checks and event hash IDs the capture
  job computes (``document_events``, ``validate_event``, ``document_event_hash_ids``).
- ``capture``: the whole ``POST /api/v1/epcis/capture`` through the app (a capture job run to
  its end, every event chained, signed and logged), JSON-LD into one portal and the same
  documents as EPCIS 2.0 XML into another, each on its own fresh database, round by round.

    python -m bench.epcis_xml [--documents 20] [--events 100] [--runs 3] [--database-url URL]

Without ``--database-url`` each portal is an SQLite file in a temporary folder; with a
PostgreSQL URL the benchmark creates a ``bench_xml_*`` database per portal and drops it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from gateway.app import create_app
from traceability.config import Settings
from traceability.crypto.strict_json import parse_json
from traceability.epcis.event_hash import document_event_hash_ids
from traceability.epcis.validation import document_events, validate_event
from traceability.epcis.xml import jsonld_to_xml, xml_to_jsonld
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.portal import Portal
from traceability.services.registry import NewOrganization

LIMIT = 16 * 1024 * 1024
CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"example": "http://ns.example.com/epcis/"},
]


def _gtin(prefix: str, item: int) -> str:
    body = "0" + prefix + str(item).zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


def event(prefix: str, serial: int) -> dict[str, Any]:
    """A ~1 KB commissioning ObjectEvent with the fields ERPs send, and one extension."""
    gtin = _gtin(prefix, 1 + serial % 50)
    lot = f"L{serial:06d}"
    return {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": "2026-10-30T07:15:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": f"https://id.gs1.org/414/{_gtin(prefix, 0)[1:]}"},
        "bizLocation": {"id": f"https://id.gs1.org/414/{_gtin(prefix, 0)[1:]}"},
        "quantityList": [
            {"epcClass": f"https://id.gs1.org/01/{gtin}/10/{lot}", "quantity": 500, "uom": "KGM"}
        ],
        "bizTransactionList": [{"type": "po", "bizTransaction": f"urn:example:po:{serial}"}],
        "ilmd": {"cbvmda:lotNumber": lot, "cbvmda:countryOfOrigin": "VN"},
        "example:harvest": {"example:field": "Sóc Trăng 7", "example:moisture": "14.5"},
    }


def documents(prefix: str, count: int, size: int) -> list[dict[str, Any]]:
    return [
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-10-30T08:00:00.000+07:00",
            "epcisBody": {"eventList": [event(prefix, d * size + e) for e in range(size)]},
        }
        for d in range(count)
    ]


def _front_json(body: bytes, now: datetime) -> None:
    document = parse_json(body)
    events, _ = document_events(document)
    for index, item in enumerate(events):
        validate_event(item, index, now)
    document_event_hash_ids(document)


def _front_xml(body: bytes, now: datetime) -> None:
    document = xml_to_jsonld(body, LIMIT)
    events, _ = document_events(document)
    for index, item in enumerate(events):
        validate_event(item, index, now)
    document_event_hash_ids(document)


def front(
    json_bodies: Sequence[bytes], xml_bodies: Sequence[bytes], events: int
) -> tuple[float, float]:
    now = datetime.now(UTC)
    _front_json(json_bodies[0], now)  # warm-up: imports, caches
    _front_xml(xml_bodies[0], now)
    spent = [0.0, 0.0]
    # Document by document, alternating, so both sides see the same machine.
    for json_body, xml_body in zip(json_bodies, xml_bodies, strict=True):
        started = time.perf_counter()
        _front_json(json_body, now)
        spent[0] += time.perf_counter() - started
        started = time.perf_counter()
        _front_xml(xml_body, now)
        spent[1] += time.perf_counter() - started
    return events / spent[0], events / spent[1]


async def _portal(folder: Path, database_url: str | None) -> Portal:
    settings = Settings(data_dir=folder, database_url=database_url)
    await Portal.migrate(settings)
    portal = Portal.build(settings)
    await portal.open()
    return portal


async def _admin_key(portal: Portal, prefix: str) -> str:
    async with portal.write() as session:
        created = await portal.registry.create_organization(
            session,
            NewOrganization(
                name=f"Bench {prefix}",
                role="admin",
                tax_code="0100000001",
                gs1_prefixes=[prefix],
                province="Cần Thơ",
            ),
        )
    return str(created.api_key)


async def _capture(client: httpx.AsyncClient, key: str, body: bytes, media: str) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": media}
    accepted = await client.post("/api/v1/epcis/capture", content=body, headers=headers)
    if accepted.status_code != 202:
        raise SystemExit(f"capture refused: {accepted.status_code} {accepted.text}")
    job = await client.get(accepted.headers["location"], headers=headers)
    if job.json().get("status") != "success":
        raise SystemExit(f"capture job did not succeed: {job.text}")


async def capture(
    json_bodies: Sequence[bytes], xml_bodies: Sequence[bytes], events: int, database_url: str | None
) -> tuple[float, float]:
    prefix = "8930001"
    with tempfile.TemporaryDirectory() as json_dir, tempfile.TemporaryDirectory() as xml_dir:
        urls = [None, None] if database_url is None else await _scratch(database_url, 2)
        portals = [
            await _portal(Path(json_dir), urls[0]),
            await _portal(Path(xml_dir), urls[1]),
        ]
        try:
            keys = [await _admin_key(p, prefix) for p in portals]
            clients = []
            for portal in portals:
                app = create_app(portal.settings)
                app.state.portal = portal
                transport = httpx.ASGITransport(app=app)
                clients.append(httpx.AsyncClient(transport=transport, base_url="http://bench"))
            spent = [0.0, 0.0]
            # Round by round, so both see the same machine load and the same database sizes;
            # which goes first alternates, so neither always follows the other's writes.
            rounds = zip(json_bodies, xml_bodies, strict=True)
            for number, (json_body, xml_body) in enumerate(rounds):
                sides = [(0, json_body, "application/ld+json"), (1, xml_body, "application/xml")]
                for side, body, media in sides if number % 2 == 0 else sides[::-1]:
                    started = time.perf_counter()
                    await _capture(clients[side], keys[side], body, media)
                    spent[side] += time.perf_counter() - started
            for client in clients:
                await client.aclose()
        finally:
            for portal in portals:
                await portal.close()
            if database_url is not None:
                await _drop(database_url, [u for u in urls if u])
    return events / spent[0], events / spent[1]


async def _scratch(database_url: str, count: int) -> list[str | None]:
    import asyncpg  # only for PostgreSQL runs

    server = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(server)
    names = [f"bench_xml_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    for name in names:
        await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    base = server.rsplit("/", 1)[0]
    return [f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1) for name in names]


async def _drop(database_url: str, urls: Sequence[str]) -> None:
    import asyncpg

    connection = await asyncpg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://")
    )
    for url in urls:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await connection.close()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.epcis_xml",
        description="EPCIS XML capture rate beside JSON-LD capture of the same events.",
    )
    parser.add_argument("--documents", type=int, default=20, help="documents per run (20)")
    parser.add_argument("--events", type=int, default=100, help="events per document (100)")
    parser.add_argument("--runs", type=int, default=3, help="runs; medians are reported (3)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server; default SQLite")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    total = args.documents * args.events
    results: dict[str, list[tuple[float, float]]] = {"front": [], "capture": []}
    for run in range(args.runs):
        source = documents("8930001", args.documents, args.events)
        json_bodies = [orjson.dumps(d) for d in source]
        xml_bodies = [jsonld_to_xml(d) for d in source]
        results["front"].append(front(json_bodies, xml_bodies, total))
        results["capture"].append(
            asyncio.run(capture(json_bodies, xml_bodies, total, args.database_url))
        )
        print(
            f"run {run + 1}: "
            + "; ".join(
                f"{part} JSON {r[-1][0]:,.0f} / XML {r[-1][1]:,.0f} events/s"
                for part, r in results.items()
            ),
            flush=True,
        )
    summary = {
        part: {
            "json_events_per_s": statistics.median(r[0] for r in rows),
            "xml_events_per_s": statistics.median(r[1] for r in rows),
            "ratio": statistics.median(r[1] / r[0] for r in rows),
            "runs": [{"json": r[0], "xml": r[1]} for r in rows],
        }
        for part, rows in results.items()
    }
    if args.json:
        print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    else:
        for part, figures in summary.items():
            print(
                f"{part}: JSON {figures['json_events_per_s']:,.0f} events/s, "
                f"XML {figures['xml_events_per_s']:,.0f} events/s, "
                f"ratio {figures['ratio']:.2f} (median of {args.runs})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
