"""Capture end to end: EPCIS documents posted to /capture over HTTP, beside the append they wrap.

For each document size (100 and 1,000 events by default) the same events, from the same
seed, are stored three ways, each on a fresh scratch database set up identically (8
producer organisations, their lots), in the same run:

* ``append``: LedgerService.append in-process, one call per document, 8 concurrent writers
  (as ``python -m bench.ledger --only append``): the floor the HTTP path wraps;
* ``capture``: CaptureService.capture in-process (validation, lot rules, then the append);
* ``http``: a real ``traceability serve`` (uvicorn) on PostgreSQL, 1 and 2 worker processes,
  8 clients each posting a document to ``/capture`` and polling its job until it succeeds,
  then the next document.

``/events`` one by one (8 clients, one event a request) is measured beside the append of
single events. Figures are events per second and the ratio to the append. Then, for one
document in one process, where the time goes: parse, validate, hash ID, sign, store, and
the job's bookkeeping (each timed alone). ``--compare-with`` runs the HTTP cases also with
the server of another checkout of the project (its code, this database schema), so a
change is measured before and after in the same run.

    python -m bench.capture_http [--events 4000] [--sizes 100,1000] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.ledger import (
    DEFAULT_SERVER,
    Batch,
    Org,
    ScratchDatabases,
    _setup_portal,
    _writers,
    append_jobs,
    make_batches,
)
from bench.public import ROOT, free_port, running_server

HOST = "127.0.0.1"
LOTS = 40  # five per organisation
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Case:
    """One way of storing the events: its label and events per second."""

    label: str
    size: int
    per_s: float


def document(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-24T07:00:00.000+07:00",
        "epcisBody": {"eventList": list(events)},
    }


async def _prepared(scratch: ScratchDatabases, purpose: str, work: Path) -> tuple[Any, list[Org]]:
    """A fresh scratch database with the run's organisations and lots, and a portal on it."""
    url = await scratch.create(purpose)
    portal, orgs = await _setup_portal(url, Path(tempfile.mkdtemp(dir=work)), 8, LOTS)
    return portal, orgs


def _batches(orgs: Sequence[Org], events: int, size: int, seed: int) -> list[Batch]:
    return make_batches(random.Random(seed), orgs, events, size)


async def _timed_writers(jobs: Sequence[Callable[[], Awaitable[None]]], writers: int) -> float:
    elapsed, _ = await _writers(jobs, writers, lambda: None)
    return elapsed


# --------------------------------------------------------------------------- in-process


async def measure_append(
    scratch: ScratchDatabases, work: Path, events: int, size: int, seed: int, writers: int
) -> float:
    portal, orgs = await _prepared(scratch, "append", work)
    try:
        batches = _batches(orgs, events, size, seed)
        elapsed = await _timed_writers(append_jobs(portal, batches), writers)
        return events / elapsed
    finally:
        await portal.database.dispose()


async def measure_capture_service(
    scratch: ScratchDatabases, work: Path, events: int, size: int, seed: int, writers: int
) -> float:
    from traceability.services.registry import Principal

    portal, orgs = await _prepared(scratch, "capture", work)

    def job_for(org: Org, items: list[dict[str, Any]]) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            async with portal.database.write() as session:
                await portal.capture.capture(
                    session, Principal(org.id, "producer", ""), org.id, items
                )

        return job

    try:
        batches = _batches(orgs, events, size, seed)
        jobs = [job_for(org, [event for _, event in items]) for org, items in batches]
        elapsed = await _timed_writers(jobs, writers)
        return events / elapsed
    finally:
        await portal.database.dispose()


# --------------------------------------------------------------------------- over HTTP


def _server_env(portal: Any, work: Path, redis_url: str | None, code: Path) -> dict[str, str]:
    settings = portal.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(
        {
            "PYTHONPATH": str(code),
            "TRACE_DATA_DIR": tempfile.mkdtemp(dir=work),
            "TRACE_DATABASE_URL": settings.resolved_database_url,
            "TRACE_MASTER_KEY": settings.master_key,
            "TRACE_LOG_SIGNING_KEY": settings.log_signing_key,
            "TRACE_BASE_URL": settings.base_url,
            "TRACE_PUBLIC_RATE_LIMIT": "0",
            "TRACE_LOG_LEVEL": "warning",
        }
    )
    if redis_url:
        env["TRACE_REDIS_URL"] = redis_url
    return env


@contextmanager
def _serving(
    portal: Any, work: Path, workers: int, redis_url: str | None, code: Path
) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "traceability.cli", "serve", "--host", HOST]
    command += ["--port", str(port), "--workers", str(workers)]
    env = _server_env(portal, work, redis_url, code)
    log_path = work / f"serve-{port}.log"
    with running_server(command, env, port, "/healthz", log_path, START_TIMEOUT, cwd=code):
        yield f"http://{HOST}:{port}"


async def _post_documents(
    url: str, batches: Sequence[Batch], clients: int, poll: float = 0.02
) -> float:
    """8 clients: each posts a document, polls its job every ``poll`` seconds until it
    succeeds, then posts the next."""
    queue = iter(batches)
    limits = httpx.Limits(max_connections=clients * 2)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:

        async def client() -> None:
            for org, items in queue:
                headers = {
                    "Authorization": f"Bearer {org.api_key}",
                    "Content-Type": "application/json",
                }
                body = orjson.dumps(document([event for _, event in items]))
                response = await http.post("/api/v1/epcis/capture", content=body, headers=headers)
                if response.status_code != 202:
                    raise RuntimeError(f"capture refused: {response.status_code} {response.text}")
                location = response.headers["location"]
                while True:
                    answer = (await http.get(location, headers=headers)).json()
                    if not answer["running"]:
                        break
                    await asyncio.sleep(poll)
                if answer["status"] != "success":
                    raise RuntimeError(f"capture job did not succeed: {answer}")

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return time.perf_counter() - start


async def _post_events(url: str, batches: Sequence[Batch], clients: int) -> float:
    """8 clients posting single events to /events, each waiting for its 201."""
    queue = iter([(org, event) for org, items in batches for _, event in items])
    limits = httpx.Limits(max_connections=clients * 2)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:

        async def client() -> None:
            for org, event in queue:
                response = await http.post(
                    "/api/v1/epcis/events",
                    content=orjson.dumps(event),
                    headers={
                        "Authorization": f"Bearer {org.api_key}",
                        "Content-Type": "application/json",
                    },
                )
                if response.status_code != 201:
                    raise RuntimeError(f"event refused: {response.status_code} {response.text}")

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return time.perf_counter() - start


async def measure_http(
    scratch: ScratchDatabases,
    work: Path,
    args: argparse.Namespace,
    size: int,
    workers: int,
    code: Path,
) -> float:
    portal, orgs = await _prepared(scratch, "http", work)
    try:
        batches = _batches(orgs, args.events, size, args.seed)
        with _serving(portal, work, workers, args.redis_url, code) as url:
            if size == 1:
                elapsed = await _post_events(url, batches, args.clients)
            else:
                elapsed = await _post_documents(url, batches, args.clients, args.poll)
        return args.events / elapsed
    finally:
        await portal.database.dispose()


# --------------------------------------------------------------------------- where time goes


async def breakdown(
    scratch: ScratchDatabases, work: Path, size: int, seed: int
) -> dict[str, float]:
    """Milliseconds for one document of ``size`` events in one process, each step alone."""
    from traceability.background.capture_jobs import PROCESS_RUNNER
    from traceability.crypto.canonical import canonical_bytes
    from traceability.crypto.strict_json import parse_json
    from traceability.epcis.event_hash import event_hash_id
    from traceability.epcis.validation import document_events, validate_event
    from traceability.services.ledger import Submission
    from traceability.services.registry import Principal

    portal, orgs = await _prepared(scratch, "breakdown", work)
    try:
        [(org, items)] = _batches(orgs[:1], size, size, seed)
        events = [event for _, event in items]
        body = orjson.dumps(document(events))
        principal = Principal(org.id, "producer", "")
        timings: dict[str, float] = {}

        def timed(name: str, step: Callable[[], Any]) -> Any:
            start = time.perf_counter()
            result = step()
            timings[name] = (time.perf_counter() - start) * 1e3
            return result

        parsed = timed("parse the body (strict JSON)", lambda: parse_json(body))
        now = datetime.now(UTC)

        def validate() -> None:
            found, _ = document_events(parsed)
            for index, event in enumerate(found):
                validate_event(event, index, now)

        timed("validate (document, then each event)", validate)
        timed("CBV hash ID (were eventIDs absent)", lambda: [event_hash_id(e) for e in events])
        signer = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"bench").digest())
        timed(
            "canonical bytes + SHA-256 + Ed25519 sign",
            lambda: [signer.sign(hashlib.sha256(canonical_bytes(e)).digest()) for e in events],
        )
        lease = (PROCESS_RUNNER, portal.settings.capture_job_lease_seconds)

        async def accept() -> str:
            async with portal.database.write() as session:
                job = await portal.capture_jobs.start(
                    session, principal, org.id, "rollback", parsed, size, lease
                )
            return str(job.id)

        start = time.perf_counter()
        job_id = await accept()
        timings["job accepted: INSERT with the document (own transaction)"] = _ms(start)

        start = time.perf_counter()
        async with portal.database.write() as session:
            claimed = await portal.capture_jobs.claim(session, job_id, "x", 30.0)
            assert claimed is not None and claimed.document is not None
            document_events(claimed.document)
        timings["claim + read the document back + parse again (the run before)"] = _ms(start)

        start = time.perf_counter()
        async with portal.database.write() as session:
            await portal.ledger.append(session, [Submission(e, [lot], org.id) for lot, e in items])
        timings["append: sign + store (own transaction)"] = _ms(start)

        _, more = _batches(orgs[:1], 2 * size, size, seed + 1)
        start = time.perf_counter()
        async with portal.database.write() as session:
            appended = await portal.capture.capture(
                session, principal, org.id, [e for _, e in more[1]]
            )
            ids = [a.record.event_id for a in appended]
            await portal.capture_jobs.record_captured(session, job_id, 0, ids)
            await portal.capture_jobs.finish(session, job_id, len(ids), [], "x")
        timings["capture + captured IDs + finish (the job's one transaction)"] = _ms(start)
        return timings
    finally:
        await portal.database.dispose()


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1e3


# --------------------------------------------------------------------------- main


def _ints(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.capture_http",
        description="Capture over HTTP (/capture jobs, /events) beside the service-level "
        "append of the same events, same run; and where one document's time goes.",
    )
    parser.add_argument("--database-url", default=DEFAULT_SERVER, help="PostgreSQL server")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("TRACE_REDIS_URL"),
        help="Redis for servers of more than one worker (their shared cache)",
    )
    parser.add_argument("--events", type=int, default=4000, help="events stored per case")
    parser.add_argument("--sizes", type=_ints, default=[100, 1000], help="events per document")
    parser.add_argument("--workers", type=_ints, default=[1, 2], help="server worker counts")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument(
        "--poll", type=float, default=0.02, help="seconds between a client's looks at its job"
    )
    parser.add_argument("--single", type=int, default=2000, help="events posted to /events")
    parser.add_argument(
        "--compare-with",
        type=Path,
        help="another checkout of the project: its server measured too, in the same run",
    )
    parser.add_argument("--seed", type=int, default=20261204)
    return parser.parse_args(argv)


async def _cases(args: argparse.Namespace, scratch: ScratchDatabases, work: Path) -> list[Case]:
    codes = [("", ROOT)] + ([(" (compared)", args.compare_with)] if args.compare_with else [])
    cases: list[Case] = []
    for size in [*args.sizes, 1]:
        events = args.single if size == 1 else args.events
        sized = argparse.Namespace(**{**vars(args), "events": events})
        append = await measure_append(scratch, work, events, size, args.seed, args.clients)
        cases.append(Case("append (service)", size, append))
        print(f"  {size:>5} events a call: append {append:,.0f}/s", file=sys.stderr)
        if size > 1:
            capture = await measure_capture_service(
                scratch, work, events, size, args.seed, args.clients
            )
            cases.append(Case("capture (service)", size, capture))
        for workers in args.workers:
            if workers > 1 and not args.redis_url:
                continue
            for suffix, code in codes:
                path = "/capture" if size > 1 else "/events"
                per_s = await measure_http(scratch, work, sized, size, workers, code)
                label = f"HTTP {path}, {workers} worker{'s' * (workers > 1)}{suffix}"
                cases.append(Case(label, size, per_s))
                print(f"  {size:>5}: {label} {per_s:,.0f}/s", file=sys.stderr)
    return cases


def table(cases: Sequence[Case]) -> str:
    lines = [
        "| events a request | how | events/s | ratio to the append |",
        "| ---: | --- | ---: | ---: |",
    ]
    for case in cases:
        [append] = [c.per_s for c in cases if c.size == case.size and c.label.startswith("app")]
        lines.append(
            f"| {case.size:,} | {case.label} | {case.per_s:,.0f} | {case.per_s / append:.2f}x |"
        )
    return "\n".join(lines)


async def amain(args: argparse.Namespace) -> int:
    scratch = ScratchDatabases(args.database_url)
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as folder:
        work = Path(folder)
        try:
            cases = await _cases(args, scratch, work)
            steps = {size: await breakdown(scratch, work, size, args.seed) for size in args.sizes}
        finally:
            await scratch.drop_all()
    print(table(cases))
    print()
    print("Where one document's time goes (one process, each step timed alone, ms):")
    print()
    print("| step | " + " | ".join(f"{size:,} events" for size in steps) + " |")
    print("| --- | " + " | ".join("---:" for _ in steps) + " |")
    names = list(next(iter(steps.values())))
    for name in names:
        cells = " | ".join(f"{steps[size][name]:,.1f}" for size in steps)
        print(f"| {name} | {cells} |")
    median = statistics.median([c.per_s for c in cases])
    print(f"\nbench.capture_http: {len(cases)} cases, median {median:,.0f} events/s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
