"""The API process killed (SIGKILL) while producers capture: nothing it acknowledged is lost.

A real `traceability serve` runs on a database of its own (a new PostgreSQL database, or an
SQLite file). Producers post single events and EPCIS documents (asynchronous capture jobs)
concurrently; at a random moment, right after a document is accepted, the process is
killed with no chance to clean up. The server is started again on the same database and
the test checks, through the API and in the database itself, that every acknowledged event
is stored, chained and logged, that no half-written event, link or leaf exists, and that
every accepted job ran to completion.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require_postgres
from tests.factories.events import epcis_event
from tests.system.live import (
    AcceptedJob,
    Producer,
    Registered,
    ServeProcess,
    audits,
    document,
    finished_jobs,
    ledger,
    new_postgres_database,
    portal_env,
    queried_event_ids,
    register,
)
from traceability.chain.record import LotKey

PRODUCERS = 3
LOTS_PER_PRODUCER = 4
# Before the kill, long enough for hundreds of events, short enough for a quick test.
KILL_AFTER_SECONDS = (1.0, 3.0)
# The documents accepted just before the kill: big enough that their jobs are still running.
LAST_DOCUMENT_EVENTS = 60
JOB_TIMEOUT_SECONDS = 30
# The killed process's hold on its jobs (thirty seconds in production): the restarted one
# takes them up once it has lapsed.
LEASE_SECONDS = 1.0


@dataclass
class Load:
    """What the clients saw: every acknowledged event and job, and what got no answer."""

    events: dict[str, LotKey] = field(default_factory=dict)
    jobs: list[AcceptedJob] = field(default_factory=list)
    requests: int = 0
    unanswered: int = 0
    refused: list[str] = field(default_factory=list)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'traceability.db'}"
        return
    with new_postgres_database(require_postgres("this"), "trace_crash") as url:
        yield url


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return portal_env(
        tmp_path / "var", database_url, TRACE_CAPTURE_JOB_LEASE_SECONDS=str(LEASE_SECONDS)
    )


@pytest.fixture
def first_server(env: dict[str, str], tmp_path: Path) -> Iterator[ServeProcess]:
    server = ServeProcess(env, tmp_path / "serve-1.log")
    server.start()
    yield server
    server.stop()


async def _post_events(
    http: httpx.AsyncClient, producer: Producer, rng: random.Random, load: Load, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        lot = rng.choice(producer.lots)
        event = epcis_event([lot], biz_step=rng.choice(["commissioning", "shipping"]))
        try:
            response = await http.post("/api/v1/epcis/events", json=event, headers=producer.headers)
        except httpx.TransportError:
            load.unanswered += 1
            return
        load.requests += 1
        if response.status_code == 201:
            assert response.json()["eventID"] == event["eventID"]
            load.events[event["eventID"]] = lot
        else:
            load.refused.append(f"{response.status_code} {response.text[:300]}")


async def _capture(
    http: httpx.AsyncClient,
    producer: Producer,
    events: list[dict[str, Any]],
    behaviour: str,
    load: Load,
) -> bool:
    """Post one document; True when it was accepted (and recorded as a job)."""
    response = await http.post(
        "/api/v1/epcis/capture",
        json=document(events),
        headers={**producer.headers, "GS1-Capture-Error-Behaviour": behaviour},
    )
    load.requests += 1
    if response.status_code != 202:
        load.refused.append(f"{response.status_code} {response.text[:300]}")
        return False
    load.jobs.append(
        AcceptedJob(
            response.headers["location"], producer, [e["eventID"] for e in events], behaviour
        )
    )
    return True


async def _post_documents(
    http: httpx.AsyncClient, producer: Producer, rng: random.Random, load: Load, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        events = [epcis_event([rng.choice(producer.lots)]) for _ in range(rng.randint(2, 8))]
        try:
            await _capture(http, producer, events, rng.choice(["rollback", "proceed"]), load)
        except httpx.TransportError:
            load.unanswered += 1
            return


async def _kill_after_accepted_documents(
    http: httpx.AsyncClient,
    server: ServeProcess,
    producer: Producer,
    rng: random.Random,
    load: Load,
    stop: asyncio.Event,
) -> float:
    """Wait a random moment, then kill the server the instant two big documents are
    accepted, one of each error behaviour: the second job is certainly still running
    (proceed: one transaction an event), the first most likely (rollback: one for all), and
    every other request is wherever it happens to be."""
    delay = rng.uniform(*KILL_AFTER_SECONDS)
    await asyncio.sleep(delay)
    try:
        for behaviour in ("rollback", "proceed"):
            events = [epcis_event([rng.choice(producer.lots)]) for _ in range(LAST_DOCUMENT_EVENTS)]
            assert await _capture(http, producer, events, behaviour, load), load.refused[-1:]
    finally:
        server.kill()  # no await between the last 202 and the kill: that job is unfinished
        stop.set()
    return delay


async def _run_load(
    server: ServeProcess, registered: Registered, rng: random.Random
) -> tuple[Load, float]:
    load, stop = Load(), asyncio.Event()
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
        clients = []
        for producer in registered.producers:
            clients += [
                _post_events(http, producer, random.Random(rng.random()), load, stop),
                _post_events(http, producer, random.Random(rng.random()), load, stop),
                _post_documents(http, producer, random.Random(rng.random()), load, stop),
            ]
        killer = asyncio.create_task(
            _kill_after_accepted_documents(http, server, registered.producers[0], rng, load, stop)
        )
        await asyncio.wait_for(asyncio.gather(killer, *clients), timeout=60)
    return load, killer.result()


def test_every_acknowledged_event_survives_a_kill_and_accepted_jobs_finish_on_restart(
    first_server: ServeProcess,
    env: dict[str, str],
    database_url: str,
    tmp_path: Path,
    figures: dict[str, object],
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    registered = register(
        first_server.url, env, producers=PRODUCERS, lots_per_producer=LOTS_PER_PRODUCER
    )

    load, kill_at = asyncio.run(_run_load(first_server, registered, rng))
    context = f"(random seed {seed}, killed after {kill_at:.2f} s)"
    assert load.refused == [], f"answers before the kill that were not 2xx {context}"
    acknowledged = set(load.events) | {e for job in load.jobs for e in job.event_ids}
    assert load.events and load.jobs, f"the load ran {context}"

    left_behind = ledger(database_url)
    assert left_behind.problems == [], context
    assert left_behind.running_jobs >= 1, f"the kill interrupted a capture job {context}"

    time.sleep(LEASE_SECONDS)  # the dead process's leases lapse
    second = ServeProcess(env, tmp_path / "serve-2.log")
    registered.url = second.start()
    try:
        resumed = re.search(r"Finished (\d+) capture job", second.output())
        assert resumed and int(resumed.group(1)) == left_behind.running_jobs, second.output()

        # Every accepted job ran to the end, and in full: no event of it was a duplicate.
        for job, body in zip(
            load.jobs, finished_jobs(second.url, load.jobs, JOB_TIMEOUT_SECONDS), strict=True
        ):
            assert not body["running"], f"{job.location} still running {context}"
            assert body["status"] == "success", f"{job.behaviour} job: {body} {context}"
            assert body["capturedCount"] == len(job.event_ids), context

        audited = audits(registered)
        stored: dict[str, LotKey] = {}
        for lot, audit in audited.items():
            assert audit["intact"], f"{lot}: {audit['first_bad']} {audit['log_problem']}"
            seqs = []
            for event in audit["events"]:
                [link] = event["links"]
                assert (link["gtin"], link["lot"]) == (lot.gtin, lot.lot)
                assert event["log_index"] is not None
                seqs.append(link["seq"])
                stored[event["event_id"]] = lot
            assert seqs == list(range(1, len(seqs) + 1)), f"{lot}: {seqs}"

        lost = acknowledged - stored.keys()
        assert lost == set(), f"{len(lost)} acknowledged events lost {context}"
        for producer in registered.producers:
            mine = {e for e, lot in stored.items() if lot in producer.lots}
            assert queried_event_ids(second.url, producer) == mine

        # No partial event, link or leaf: the log holds exactly the stored events, once each.
        after = ledger(database_url)
        assert after.problems == [], context
        assert after.running_jobs == 0
        assert after.events == len(stored) == after.log_size == after.log_leaves
        assert after.chain_links == after.events
        sizes = {audit["checkpoint"]["size"] for audit in audited.values()}
        assert sizes == {after.log_size}
    finally:
        second.stop()

    figures.update(
        requests_answered=load.requests,
        requests_cut_by_the_kill=load.unanswered,
        single_events_acknowledged=len(load.events),
        jobs_accepted=len(load.jobs),
        events_acknowledged=len(acknowledged),
        jobs_resumed_after_restart=left_behind.running_jobs,
        events_verified=after.events,
    )
