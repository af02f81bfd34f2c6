"""EPCIS query latency on a seeded PostgreSQL database, each query beside a primary-key read.

Three query shapes of the REST binding, timed over HTTP on a real server (``traceability
serve`` on 127.0.0.1, client-side latency of whole requests, one at a time) and as their inner
SQL (the repository's page statement run through the portal's own SQLAlchemy session):

- ``combined``: ``EQ_bizStep`` + ``MATCH_epcClass`` + ``GE_eventTime``
- ``epc``: ``MATCH_epc`` alone (a pallet's SSCC)
- ``named``: ``/queries/{name}/events`` of a saved query (``MATCH_anyEPCClass`` + ``EQ_bizStep``)

Each round times the three queries and, interleaved with them, one event read by its key
(``GET /events/{eventID}`` over HTTP; ``SELECT ... WHERE id = ...`` for SQL), so the ratios
are taken in the same run on the same loaded or quiet machine. Targets are drawn uniformly
from the data: events picked at random by row id give the lots' classes, the pallets,
bizSteps and times.

    python -m bench.epcis_queries --database-url postgresql+asyncpg://.../seed4m \\
        --data-dir DATA_DIR [--samples 200] [--explain]

The benchmark writes to the database only through the API: one inspector organisation (and
its API key) to ask with, and the named queries it creates and deletes again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.public import HOST, free_port, log, running_server, traceability_script
from traceability.db.models import Event, EventIdentifier
from traceability.epcis.query import parse_event_query
from traceability.repositories.events import EventQueryRepository
from traceability.services.paging import DEFAULT_PAGE_SIZE

GOAL_P99_MS = 50.0
SHAPES = ("combined", "epc", "named")
DIGITAL_LINK = "https://id.gs1.org"
EVENTS_URL = "/api/v1/epcis/events"
QUERIES_URL = "/api/v1/epcis/queries"
NAMED_QUERIES = 10


@dataclass(frozen=True)
class Target:
    """One round's question of each shape, and the event read by its key beside them."""

    combined: dict[str, str]
    epc: dict[str, str]
    named: dict[str, str]
    event_pk: int
    event_id: str


@dataclass
class Timings:
    ms: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.ms.setdefault(name, []).append(seconds * 1000)


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


# --------------------------------------------------------------------------- targets


async def _sampled_events(session: AsyncSession, rng: random.Random, count: int) -> list[Any]:
    low, high = (
        (await session.execute(select(Event.id).order_by(Event.id).limit(1))).scalar(),
        (await session.execute(select(Event.id).order_by(Event.id.desc()).limit(1))).scalar(),
    )
    if low is None or high is None:
        raise SystemExit("the database holds no events: seed it first (traceability seed)")
    ids = sorted({rng.randint(low, high) for _ in range(count)})
    stmt = select(Event.id, Event.event_id, Event.biz_step, Event.event_time)
    return list((await session.execute(stmt.where(Event.id.in_(ids)))).all())


async def _identifiers(session: AsyncSession, pks: list[int], role: str) -> list[str]:
    stmt = select(EventIdentifier.value).where(
        EventIdentifier.event_pk.in_(pks), EventIdentifier.role == role
    )
    return sorted(set((await session.execute(stmt)).scalars()))


async def pick_targets(
    session: AsyncSession, rng: random.Random, samples: int
) -> tuple[list[Target], list[tuple[str, str]]]:
    """``samples`` rounds of targets, and the (name, class) of each named query to create."""
    events = await _sampled_events(session, rng, samples * 8)
    pks = [row.id for row in events]
    classes = await _identifiers(session, pks, "epc_class")
    pallets = [v for v in await _identifiers(session, pks, "epc") if v.startswith("/00/")]
    steps = sorted({row.biz_step for row in events if row.biz_step})
    times = sorted(row.event_time for row in events if row.event_time is not None)
    if not (classes and pallets and steps and times):
        raise SystemExit("the sample found no lot classes, pallets, bizSteps or times")
    named = [(f"benchQuery{n}", rng.choice(classes)) for n in range(NAMED_QUERIES)]
    targets = []
    for n in range(samples):
        event = rng.choice(events)
        since = rng.choice(times) - timedelta(days=rng.randint(0, 30))
        combined = {
            "EQ_bizStep": rng.choice(steps),
            "MATCH_epcClass": DIGITAL_LINK + rng.choice(classes),
            "GE_eventTime": since.isoformat(),
        }
        epc = {"MATCH_epc": DIGITAL_LINK + rng.choice(pallets)}
        saved = {"name": named[n % len(named)][0]}
        targets.append(Target(combined, epc, saved, event.id, event.event_id))
    return targets, named


def named_definition(name: str, epc_class: str, step: str) -> dict[str, Any]:
    return {
        "name": name,
        "query": {"MATCH_anyEPCClass": [DIGITAL_LINK + epc_class], "EQ_bizStep": [step]},
    }


# --------------------------------------------------------------------------- HTTP


def _timed_get(client: httpx.Client, path: str, params: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params}: {response.status_code} {response.text[:300]}")
    return elapsed


def time_http(client: httpx.Client, targets: Sequence[Target], timings: Timings) -> None:
    """Each round: the three queries, a key read after each, in one connection."""
    for target in targets:
        for shape in SHAPES:
            if shape == "named":
                seconds = _timed_get(client, f"{QUERIES_URL}/{target.named['name']}/events")
            else:
                seconds = _timed_get(client, EVENTS_URL, getattr(target, shape))
            timings.add(shape, seconds)
            key_path = f"{EVENTS_URL}/{quote(target.event_id, safe='')}"
            timings.add(f"{shape} key", _timed_get(client, key_path))


# --------------------------------------------------------------------------- SQL


def _statement(repository: EventQueryRepository, params: dict[str, str]) -> Any:
    query = parse_event_query(params)
    order = (query.order_by, query.descending)
    return repository.page_statement(query.filter, order, None, DEFAULT_PAGE_SIZE)


def sql_params(target: Target, named: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {
        "combined": target.combined,
        "epc": target.epc,
        "named": named[target.named["name"]],
    }


async def time_sql(
    sessions: async_sessionmaker[AsyncSession],
    targets: Sequence[Target],
    named: dict[str, dict[str, str]],
    timings: Timings,
) -> None:
    async with sessions() as session:
        repository = EventQueryRepository(session)
        for target in targets:
            for shape, params in sql_params(target, named).items():
                started = time.perf_counter()
                list((await session.execute(_statement(repository, params))).scalars())
                timings.add(shape, time.perf_counter() - started)
                started = time.perf_counter()
                await session.execute(select(Event).where(Event.id == target.event_pk))
                timings.add(f"{shape} key", time.perf_counter() - started)
            await session.rollback()


async def explain(
    sessions: async_sessionmaker[AsyncSession], target: Target, named: dict[str, dict[str, str]]
) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each shape's SQL, its values written in."""
    async with sessions() as session:
        repository = EventQueryRepository(session)
        for shape, params in sql_params(target, named).items():
            compiled = _statement(repository, params).compile(
                dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
            )
            plan = await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))
            print(f"\n### {shape}: {json.dumps(params)}\n\n```")
            print("\n".join(row[0] for row in plan))
            print("```")


# --------------------------------------------------------------------------- report


def percentile(values: Sequence[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def table(title: str, timings: Timings) -> str:
    lines = [
        f"| {title} | p50 | p99 | key read p50 | key read p99 | p50 / key | p99 / key | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for shape in SHAPES:
        ms, key = timings.ms[shape], timings.ms[f"{shape} key"]
        p50, p99, k50, k99 = (
            percentile(ms, 50),
            percentile(ms, 99),
            percentile(key, 50),
            percentile(key, 99),
        )
        verdict = "meets" if p99 < GOAL_P99_MS else "misses"
        lines.append(
            f"| {shape} | {p50:.1f} ms | {p99:.1f} ms | {k50:.1f} ms | {k99:.1f} ms "
            f"| {p50 / k50:.1f}x | {p99 / k99:.1f}x | p99 < {GOAL_P99_MS:g} ms: {verdict} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- run


def server_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(
        TRACE_DATABASE_URL=asyncpg_url(args.database_url),
        TRACE_DATA_DIR=str(args.data_dir),
        TRACE_PUBLIC_RATE_LIMIT="1000000000",
    )
    return env


def inspector_key(env: dict[str, str]) -> str:
    """An API key of a new inspector organisation, which may read every business's events."""
    done = subprocess.run(
        [traceability_script(), "org", "create", "--name", "Query benchmark inspector",
         "--role", "inspector", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    key: str = json.loads(done.stdout)["api_key"]
    return key


@contextmanager
def named_queries(client: httpx.Client, definitions: Sequence[dict[str, Any]]) -> Iterator[None]:
    """Create the named queries through the API, and delete them again at the end."""
    try:
        for definition in definitions:
            response = client.post(QUERIES_URL, json=definition)
            if response.status_code != 201:
                raise RuntimeError(
                    f"creating a named query: {response.status_code} {response.text}"
                )
        yield
    finally:
        for definition in definitions:
            client.delete(f"{QUERIES_URL}/{definition['name']}")


async def prepare(args: argparse.Namespace) -> tuple[list[Target], list[dict[str, Any]]]:
    engine = create_async_engine(asyncpg_url(args.database_url), pool_size=1)
    rng = random.Random(args.seed)
    try:
        async with async_sessionmaker(engine)() as session:
            targets, named = await pick_targets(session, rng, args.samples)
    finally:
        await engine.dispose()
    steps = [t.combined["EQ_bizStep"] for t in targets]
    definitions = [named_definition(name, cls, rng.choice(steps)) for name, cls in named]
    return targets, definitions


def run(args: argparse.Namespace, work_dir: Path) -> int:
    targets, definitions = asyncio.run(prepare(args))
    named = {d["name"]: {k: ",".join(v) for k, v in d["query"].items()} for d in definitions}
    env = server_env(args)
    headers = {"Authorization": f"Bearer {inspector_key(env)}"}
    port = free_port()
    command = [traceability_script(), "serve", "--host", HOST, "--port", str(port)]
    http, sql = Timings(), Timings()
    with running_server(command, env, port, "/healthz", work_dir / "server.log", 60):
        base = f"http://{HOST}:{port}"
        client = httpx.Client(base_url=base, headers=headers, timeout=60)
        with client, named_queries(client, definitions):
            log(f"warming up, then {len(targets)} rounds over HTTP")
            time_http(client, targets[: max(1, len(targets) // 10)], Timings())
            time_http(client, targets, http)
    log(f"{len(targets)} rounds of SQL")
    asyncio.run(_sql(args, targets, named, sql))
    print(f"{len(targets)} rounds; perPage {DEFAULT_PAGE_SIZE} (the default)\n")
    print(table("HTTP (client side)", http) + "\n")
    print(table("SQL (repository statement)", sql))
    worst = max(percentile(http.ms[shape], 99) for shape in SHAPES)
    return 0 if worst < GOAL_P99_MS else 1


async def _sql(
    args: argparse.Namespace,
    targets: Sequence[Target],
    named: dict[str, dict[str, str]],
    timings: Timings,
) -> None:
    engine = create_async_engine(asyncpg_url(args.database_url), pool_size=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        await time_sql(sessions, targets, named, timings)
        if args.explain:
            await explain(sessions, targets[0], named)
    finally:
        await engine.dispose()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.epcis_queries",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", required=True, help="a seeded PostgreSQL database")
    parser.add_argument("--data-dir", type=Path, required=True, help="its TRACE_DATA_DIR (keys)")
    parser.add_argument("--samples", type=int, default=200, help="rounds of the three queries")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    parser.add_argument("--seed", type=int, default=14, help="random seed of the targets")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as tmp:
        return run(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
