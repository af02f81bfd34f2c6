"""PostgreSQL restarted, then stopped for a few seconds, under load: the API answers 503
with Retry-After while it is away, never a 500, recovers by itself, and loses nothing.

The test runs a private PostgreSQL server (initdb and pg_ctl, on a free loopback port), so
stopping it disturbs no one else. A real `traceability serve` uses it, with the public
cache off so every page read meets the database. Readers scan lot pages and producers
capture events from several concurrent clients while the database goes away and comes back;
the API process is never restarted.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path

import httpx
import pytest

from tests.factories.events import epcis_event
from tests.system.live import (
    AcceptedJob,
    PrivatePostgres,
    Producer,
    Registered,
    ServeProcess,
    audits,
    document,
    finished_jobs,
    ledger,
    portal_env,
    private_postgres_bindir,
    register,
)
from traceability.chain.record import LotKey

PRODUCERS = 2
LOTS_PER_PRODUCER = 3
READERS = {"application/json": 2, "application/linkset+json": 1, "text/html": 1}
WRITERS_PER_PRODUCER = 2
# "Within a few seconds of the database being back", without touching the API process.
RECOVERY_LIMIT_SECONDS = 5.0
OUTAGE_SECONDS = 3.0
# A client told to retry waits a little; the full Retry-After would blur the recovery time.
BACKOFF_SECONDS = 0.1
DOCUMENT_EVENTS = 5
JOB_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Answer:
    kind: str  # "read" or "write"
    started: float
    ended: float
    status: int | None  # None: no answer at all
    content_type: str = ""
    retry_after: str | None = None
    body: str = ""  # kept for anything but a success

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    jobs: list[AcceptedJob] = field(default_factory=list)

    def record(self, kind: str, started: float, response: httpx.Response) -> Answer:
        answer = Answer(
            kind,
            started,
            time.monotonic(),
            response.status_code,
            response.headers.get("content-type", ""),
            response.headers.get("retry-after"),
            "" if response.is_success else response.text[:2000],
        )
        self.answers.append(answer)
        return answer

    def first_success_after(self, moment: float, kind: str) -> float | None:
        ends = [a.ended for a in self.answers if a.kind == kind and a.ok and a.started >= moment]
        return min(ends) if ends else None


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(private_postgres_bindir("the database-restart test"))
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def env(tmp_path: Path, private_postgres: PrivatePostgres) -> dict[str, str]:
    return portal_env(tmp_path / "var", private_postgres.url, TRACE_PUBLIC_CACHE="false")


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(env, tmp_path / "serve.log")
    process.start()
    yield process
    process.stop()


async def _reader(
    http: httpx.AsyncClient, accept: str, lots: list[LotKey], load: Load, stop: asyncio.Event
) -> None:
    for lot in cycle(lots):
        if stop.is_set():
            return
        started = time.monotonic()
        try:
            response = await http.get(f"/01/{lot.gtin}/10/{lot.lot}", headers={"accept": accept})
        except httpx.TransportError as exc:
            load.answers.append(Answer("read", started, time.monotonic(), None, body=repr(exc)))
            continue
        if not load.record("read", started, response).ok:
            await asyncio.sleep(BACKOFF_SECONDS)


async def _writer(
    http: httpx.AsyncClient, producer: Producer, load: Load, stop: asyncio.Event
) -> None:
    for lot in cycle(producer.lots):
        if stop.is_set():
            return
        event = epcis_event([lot], biz_step="shipping")
        started = time.monotonic()
        try:
            response = await http.post("/api/v1/epcis/events", json=event, headers=producer.headers)
        except httpx.TransportError as exc:
            load.answers.append(Answer("write", started, time.monotonic(), None, body=repr(exc)))
            continue
        if load.record("write", started, response).ok:
            load.acknowledged.add(event["eventID"])
        else:
            await asyncio.sleep(BACKOFF_SECONDS)


async def _capturer(
    http: httpx.AsyncClient, producer: Producer, load: Load, stop: asyncio.Event
) -> None:
    """EPCIS documents, captured after the 202 by a job: a job the outage meets must not
    drop what was accepted."""
    behaviours = cycle(["rollback", "proceed"])
    lots = cycle(producer.lots)
    while not stop.is_set():
        events = [epcis_event([next(lots)], biz_step="receiving") for _ in range(DOCUMENT_EVENTS)]
        behaviour = next(behaviours)
        started = time.monotonic()
        try:
            response = await http.post(
                "/api/v1/epcis/capture",
                json=document(events),
                headers={**producer.headers, "GS1-Capture-Error-Behaviour": behaviour},
            )
        except httpx.TransportError as exc:
            load.answers.append(Answer("write", started, time.monotonic(), None, body=repr(exc)))
            continue
        if load.record("write", started, response).ok:
            ids = [e["eventID"] for e in events]
            load.jobs.append(AcceptedJob(response.headers["location"], producer, ids, behaviour))
        else:
            await asyncio.sleep(BACKOFF_SECONDS)


@dataclass
class Outage:
    name: str
    began: float
    back: float = 0.0
    recovered: dict[str, float] = field(default_factory=dict)  # kind: seconds after "back"


async def _recovery(load: Load, outage: Outage) -> None:
    """Seconds from the database being back to the first success of each kind of request
    that started after it (every request, as the API was never restarted)."""
    deadline = outage.back + RECOVERY_LIMIT_SECONDS * 3
    while time.monotonic() < deadline:
        for kind in ("read", "write"):
            first = load.first_success_after(outage.back, kind)
            if first is not None:
                outage.recovered[kind] = first - outage.back
        if len(outage.recovered) == 2:
            return
        await asyncio.sleep(0.05)


async def _faults(database: PrivatePostgres, load: Load, stop: asyncio.Event) -> list[Outage]:
    outages = []
    try:
        await asyncio.sleep(1.0)
        restart = Outage("pg_ctl restart -m fast", time.monotonic())
        await asyncio.to_thread(database.restart)
        restart.back = time.monotonic()
        await _recovery(load, restart)
        outages.append(restart)

        await asyncio.sleep(1.0)
        pause = Outage(f"stop, {OUTAGE_SECONDS:.0f} s, start", time.monotonic())
        await asyncio.to_thread(database.stop)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(database.start)
        pause.back = time.monotonic()
        await _recovery(load, pause)
        outages.append(pause)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
    return outages


async def _run(
    server: ServeProcess, registered: Registered, database: PrivatePostgres
) -> tuple[Load, list[Outage]]:
    load, stop = Load(), asyncio.Event()
    lots = [lot for producer in registered.producers for lot in producer.lots]
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
        clients = [
            _reader(http, accept, lots, load, stop)
            for accept, count in READERS.items()
            for _ in range(count)
        ]
        clients += [
            _writer(http, producer, load, stop)
            for producer in registered.producers
            for _ in range(WRITERS_PER_PRODUCER)
        ]
        clients += [_capturer(http, producer, load, stop) for producer in registered.producers]
        faults = asyncio.create_task(_faults(database, load, stop))
        await asyncio.wait_for(asyncio.gather(faults, *clients), timeout=60)
    return load, faults.result()


def test_a_database_restart_under_load_answers_503_then_recovers_and_loses_nothing(
    server: ServeProcess,
    env: dict[str, str],
    private_postgres: PrivatePostgres,
    figures: dict[str, object],
) -> None:
    registered = register(server.url, env, producers=PRODUCERS, lots_per_producer=LOTS_PER_PRODUCER)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for producer in registered.producers:
            for lot in producer.lots:  # every page has a story to tell
                response = http.post(
                    "/api/v1/epcis/events", json=epcis_event([lot]), headers=producer.headers
                )
                assert response.status_code == 201, response.text

    load, outages = asyncio.run(_run(server, registered, private_postgres))

    unavailable = [a for a in load.answers if a.status == 503]
    wrong = [a for a in load.answers if not a.ok and a.status != 503]
    assert wrong == [], f"{len(wrong)} answers neither a success nor a 503:\n{wrong[:5]}"
    for answer in unavailable:
        assert answer.content_type.startswith("application/problem+json"), answer
        assert answer.retry_after is not None and answer.retry_after.isdigit(), answer
    assert not any("Traceback" in a.body or 'File "' in a.body for a in load.answers)
    assert unavailable, "the outages were felt: some requests needed the database then"

    for outage in outages:
        assert sorted(outage.recovered) == ["read", "write"], f"no recovery after {outage}"
        slowest = max(outage.recovered.values())
        assert slowest <= RECOVERY_LIMIT_SECONDS, f"{outage.name}: recovered in {slowest:.2f} s"
    assert server.process is not None and server.process.poll() is None, "the API kept running"

    # Every job accepted with a 202 ends, and captures all its events, outage or not.
    reports = finished_jobs(server.url, load.jobs, JOB_TIMEOUT_SECONDS)
    unfinished = [
        (job.behaviour, report["status"], report["errors"][:2])
        for job, report in zip(load.jobs, reports, strict=True)
        if report["status"] != "success" or report["capturedCount"] != len(job.event_ids)
    ]
    assert unfinished == [], f"{len(unfinished)} of {len(load.jobs)} accepted jobs: {unfinished}"
    for job in load.jobs:
        load.acknowledged.update(job.event_ids)

    # Nothing acknowledged is lost: each acknowledged event is chained, logged and audited.
    stored: set[str] = set()
    for lot, audit in audits(registered).items():
        assert audit["intact"], f"{lot}: {audit['first_bad']} {audit['log_problem']}"
        stored.update(e["event_id"] for e in audit["events"])
    lost = load.acknowledged - stored
    assert lost == set(), f"{len(lost)} acknowledged events lost"
    kept = ledger(private_postgres.url)
    assert kept.problems == []
    assert kept.events == len(stored) == kept.log_size

    reads = [a for a in load.answers if a.kind == "read"]
    waited = set(re.findall(r"capture_job_waits .*?job_id=(\S+)", server.output()))
    figures.update(
        requests=len(load.answers),
        reads=len(reads),
        succeeded=sum(a.ok for a in load.answers),
        answered_503=len(unavailable),
        capture_jobs_accepted=len(load.jobs),
        capture_jobs_that_waited_for_the_database=len(waited),
        events_acknowledged=len(load.acknowledged),
        events_verified=kept.events,
        outages={
            o.name: {
                "down_s": round(o.back - o.began, 2),
                "reads_back_after_s": round(o.recovered["read"], 2),
                "writes_back_after_s": round(o.recovered["write"], 2),
            }
            for o in outages
        },
    )
