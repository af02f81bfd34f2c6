"""Two replicas share one PostgreSQL database; the one running capture jobs is killed
(SIGKILL) in the middle of them; the other takes them over once their leases lapse and
finishes each exactly once: no event lost, none stored twice, the chains and the log whole,
and each job's answer lists exactly its document's events.

The lease is one second here (thirty in production) and the sweep looks every 0.3 s: the
same mechanism, scaled down to fit a test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
    register,
)

# Each event of a proceed job commits on its own, so this one runs for a while.
PROCEED_EVENTS = 150
# One transaction for all: the kill lands while it is open.
ROLLBACK_EVENTS = 500
# The proceed job is killed in the middle: past this many events, well short of the end.
KILL_AFTER_CAPTURED = 10
TAKEOVER_TIMEOUT_SECONDS = 60.0


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with new_postgres_database(require_postgres("two replicas"), "trace_takeover") as url:
        yield url


def _replica(tmp_path: Path, database_url: str, name: str) -> ServeProcess:
    env = portal_env(
        tmp_path / name,
        database_url,
        TRACE_CAPTURE_JOB_LEASE_SECONDS="1",
        TRACE_CAPTURE_JOB_SWEEP_INTERVAL="0.3",
    )
    return ServeProcess(env, tmp_path / f"{name}.log")


def _accept(http: httpx.Client, producer: Producer, behaviour: str, count: int) -> AcceptedJob:
    events = [epcis_event([producer.lots[i % len(producer.lots)]]) for i in range(count)]
    response = http.post(
        "/api/v1/epcis/capture",
        json=document(events),
        headers={**producer.headers, "GS1-Capture-Error-Behaviour": behaviour},
    )
    assert response.status_code == 202, response.text
    return AcceptedJob(
        response.headers["location"], producer, [e["eventID"] for e in events], behaviour
    )


def _captured_ids(url: str, job: AcceptedJob) -> list[str]:
    """The eventIDs the job's answer lists, every page of them, in order."""
    ids: list[str] = []
    params: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=30) as http:
        while True:
            body: dict[str, Any] = http.get(
                job.location, params=params, headers=job.producer.headers
            ).json()
            ids += body["capturedEventIDs"]
            if not body["nextPageToken"]:
                return ids
            params = {"nextPageToken": body["nextPageToken"]}


def _killed_mid_jobs(doomed: ServeProcess, registered: Registered) -> list[AcceptedJob]:
    """A proceed job killed part-way, and a rollback job killed right after its 202."""
    producer = registered.producers[0]
    with httpx.Client(base_url=doomed.url, timeout=30) as http:
        proceed = _accept(http, producer, "proceed", PROCEED_EVENTS)
        deadline = time.monotonic() + TAKEOVER_TIMEOUT_SECONDS
        while True:
            report = http.get(proceed.location, headers=producer.headers).json()
            if report["capturedCount"] >= KILL_AFTER_CAPTURED:
                break
            assert time.monotonic() < deadline, f"the proceed job made no progress: {report}"
            time.sleep(0.05)
        rollback = _accept(http, producer, "rollback", ROLLBACK_EVENTS)
    doomed.kill()  # no await between the last 202 and the kill: that job is unfinished
    return [proceed, rollback]


def test_a_killed_replicas_capture_jobs_are_finished_once_by_another(
    tmp_path: Path, database_url: str
) -> None:
    doomed = _replica(tmp_path, database_url, "doomed")
    survivor = _replica(tmp_path, database_url, "survivor")
    doomed.start()  # first, alone: it brings the new database's schema up
    try:
        with ThreadPoolExecutor(1) as starting:
            started = starting.submit(survivor.start)
            registered = register(doomed.url, doomed.env, producers=2, lots_per_producer=4)
            started.result()
        jobs = _killed_mid_jobs(doomed, registered)
        left_behind = ledger(database_url)
        assert left_behind.running_jobs == 2, "both jobs were cut short by the kill"
        assert left_behind.problems == []
        assert left_behind.events < PROCEED_EVENTS + ROLLBACK_EVENTS

        registered.url = survivor.url
        reports = finished_jobs(survivor.url, jobs, TAKEOVER_TIMEOUT_SECONDS)
        for job, report in zip(jobs, reports, strict=True):
            assert (report["status"], report["capturedCount"], report["errors"]) == (
                "success",
                len(job.event_ids),
                [],
            ), f"{job.behaviour} job: {report}"
            assert _captured_ids(survivor.url, job) == job.event_ids

        after = ledger(database_url)
        assert after.problems == []
        assert after.running_jobs == 0
        total = PROCEED_EVENTS + ROLLBACK_EVENTS
        assert after.events == after.log_size == after.log_leaves == after.chain_links == total
        assert all(audit["intact"] for audit in audits(registered).values())

        # Another tenant neither sees the jobs nor finds them among its own; their owner does.
        ids = {job.location.rsplit("/", 1)[-1] for job in jobs}
        owner, stranger = registered.producers
        with httpx.Client(base_url=survivor.url, timeout=30) as http:
            for job in jobs:
                assert http.get(job.location, headers=stranger.headers).status_code == 404
            assert ids <= _listed(http, owner)
            assert ids.isdisjoint(_listed(http, stranger))
    finally:
        doomed.stop()
        survivor.stop()


def _listed(http: httpx.Client, producer: Producer) -> set[str]:
    """The capture IDs on the first page of a producer's own jobs."""
    response = http.get("/api/v1/epcis/capture", headers=producer.headers)
    assert response.status_code == 200, response.text
    return {str(job["captureID"]) for job in response.json()}
