"""A capture job meets a database outage longer than its waits: it resumes by itself when the
database is back, or, once its deadline has passed, ends failed and says why.

A private PostgreSQL server (initdb and pg_ctl on a free loopback port, so stopping it
disturbs no one) serves one real `traceability serve`, which is never restarted. Right after
a document is accepted (202) the database is stopped, so the job is cut short mid-way; it is
started again after a while. The waits between a job's tries are capped at one second here
(thirty in production) and the deadline is a few seconds in the second test (an hour in
production): the same mechanism, scaled down to fit a test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.factories.events import epcis_event
from tests.system.live import (
    PrivatePostgres,
    ServeProcess,
    document,
    ledger,
    portal_env,
    register,
)
from tests.system.test_database_restart import private_postgres  # noqa: F401 (a fixture)

# Big enough that the job is still running when the database stops (each event commits on
# its own, a few milliseconds each), small enough for a quick test.
DOCUMENT_EVENTS = 400
# Longer than the fixed waits capture jobs used to give up after reach in this test: they
# tried again 15.5 s after the first failure, then not before 30.5 s.
OUTAGE_SECONDS = 16.0
# "Within a few seconds of the database being back": waits are capped at 1 s here.
RESUME_LIMIT_SECONDS = 10.0
# The rest of the document then goes at the pace of appends, each event in its own
# transaction: on a loaded machine that is many seconds, which is not what is tested.
FINISH_LIMIT_SECONDS = 120.0


def _serve(tmp_path: Path, database: PrivatePostgres, **settings: str) -> ServeProcess:
    env = portal_env(
        tmp_path / "var",
        database.url,
        TRACE_CAPTURE_JOB_RETRY_MAX="1",
        TRACE_CAPTURE_JOB_SWEEP_INTERVAL="2",
        **settings,
    )
    server = ServeProcess(env, tmp_path / "serve.log")
    server.start()
    return server


def _accepted_then_cut_off(
    server: ServeProcess, database: PrivatePostgres, behaviour: str
) -> tuple[str, dict[str, str], float]:
    """A document accepted with a 202, the database stopped at once for OUTAGE_SECONDS and
    started again; the job's location, its producer's headers, and when it was back."""
    registered = register(server.url, server.env, producers=1, lots_per_producer=2)
    producer = registered.producers[0]
    events = [epcis_event([producer.lots[i % 2]]) for i in range(DOCUMENT_EVENTS)]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        response = http.post(
            "/api/v1/epcis/capture",
            json=document(events),
            headers={**producer.headers, "GS1-Capture-Error-Behaviour": behaviour},
        )
    assert response.status_code == 202, response.text
    database.stop()
    time.sleep(OUTAGE_SECONDS)
    database.start()
    return response.headers["location"], producer.headers, time.monotonic()


def _reports(
    server: ServeProcess, location: str, headers: dict[str, str], limit: float
) -> Iterator[dict[str, Any]]:
    """The job's reports, asked five times a second for ``limit`` seconds. A 503 while the
    server's connections to the database are replaced is asked again."""
    deadline = time.monotonic() + limit
    with httpx.Client(base_url=server.url, timeout=10) as http:
        while time.monotonic() < deadline:
            response = http.get(location, headers=headers)
            if response.status_code == 200:
                yield response.json()
            else:
                assert response.status_code == 503, response.text
            time.sleep(0.2)


def _report_once_decided(
    server: ServeProcess, location: str, headers: dict[str, str], limit: float
) -> dict[str, Any]:
    """The job's report as soon as it stops running, or as it stands when ``limit`` is up."""
    report: dict[str, Any] = {}
    for report in _reports(server, location, headers, limit):
        if not report["running"]:
            break
    return report


def _resumes_within(
    server: ServeProcess, location: str, headers: dict[str, str], limit: float
) -> bool:
    """Whether the job captures more (or ends) within ``limit`` seconds of the first answer
    about it once the database is back."""
    first: int | None = None
    for report in _reports(server, location, headers, limit):
        if not report["running"]:
            return True
        if first is None:
            first = report["capturedCount"]
        elif report["capturedCount"] > first:
            return True
    return False


def _outage_met_the_job(server: ServeProcess) -> None:
    assert "capture_job_waits" in server.output(), (
        "the job had finished before the database stopped: nothing was tested"
    )


def test_a_job_cut_off_by_a_long_outage_resumes_when_the_database_returns_without_a_restart(
    tmp_path: Path,
    private_postgres: PrivatePostgres,  # noqa: F811 (the imported fixture)
) -> None:
    server = _serve(tmp_path, private_postgres)
    try:
        assert server.process is not None
        pid = server.process.pid
        location, headers, back = _accepted_then_cut_off(server, private_postgres, "proceed")
        assert _resumes_within(server, location, headers, RESUME_LIMIT_SECONDS), (
            f"the job did not go on within {RESUME_LIMIT_SECONDS} s of the database's return"
        )
        report = _report_once_decided(server, location, headers, FINISH_LIMIT_SECONDS)
        resumed_after = time.monotonic() - back

        _outage_met_the_job(server)
        assert report.get("status") == "success", (
            f"{resumed_after:.1f} s after the database was back: {report}\n"
            f"{server.output()[-3000:]}"
        )
        assert (report["capturedCount"], report["errors"]) == (DOCUMENT_EVENTS, [])
        assert server.process is not None and server.process.pid == pid, "never restarted"
        assert server.process.poll() is None
    finally:
        server.stop()
    kept = ledger(private_postgres.url)
    assert kept.problems == []
    assert kept.events == kept.log_size == DOCUMENT_EVENTS
    assert kept.running_jobs == 0


def test_a_job_whose_deadline_passes_while_the_database_is_away_ends_failed_saying_why(
    tmp_path: Path,
    private_postgres: PrivatePostgres,  # noqa: F811 (the imported fixture)
) -> None:
    deadline = 6
    server = _serve(tmp_path, private_postgres, TRACE_CAPTURE_JOB_DEADLINE=str(deadline))
    try:
        location, headers, _ = _accepted_then_cut_off(server, private_postgres, "proceed")
        report = _report_once_decided(server, location, headers, RESUME_LIMIT_SECONDS)
        _outage_met_the_job(server)
    finally:
        server.stop()

    assert report.get("status") == "failed", report
    assert report["running"] is False and report["finishedAt"] is not None
    captured = report["capturedCount"]
    assert 0 <= captured < DOCUMENT_EVENTS
    assert report["errors"] == [
        {
            "type": "DeadlineExceeded",
            "detail": "the database was unreachable for longer than the job's deadline of "
            f"{deadline} s; {captured} of its {DOCUMENT_EVENTS} events were captured before",
            "field": None,
        }
    ]
    kept = ledger(private_postgres.url)
    assert kept.problems == []
    assert kept.events == captured
    assert kept.running_jobs == 0
