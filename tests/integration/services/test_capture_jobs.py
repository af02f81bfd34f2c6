"""Capture jobs survive a crash and an outage: what was accepted with a 202 is captured once,
exactly, or, past the job's deadline, the job ends failed and says why. Never running for ever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import FakeClock
from tests.factories.events import document, epcis_event
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.background.capture_jobs import (
    ParsedJob,
    resume_unfinished_jobs,
    run_capture_job,
    sweep_capture_jobs,
)
from traceability.clock import as_utc
from traceability.db.models import CaptureJob
from traceability.epcis.validation import document_events
from traceability.portal import Portal
from traceability.repositories.chains import ChainRepository
from traceability.services.registry import Principal


async def accepted_but_not_run(
    state: Portal, org_id: str, events: list[dict], behaviour: str
) -> str:
    """A job as a process leaves it when it dies right after answering 202."""
    principal = Principal(org_id, "producer", "key")
    async with state.database.write() as session:
        job = await state.capture_jobs.start(
            session, principal, org_id, behaviour, document(*events), len(events)
        )
    return job.id


async def head_of(state: Portal, lot) -> int:
    async with state.database.read() as session:
        chain = await ChainRepository(session).get(lot.gtin, lot.lot)
    return chain.head_seq if chain else 0


async def test_a_job_left_running_by_a_crash_is_finished_on_restart(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    job_id = await accepted_but_not_run(
        state, org.id, [epcis_event([lot]), epcis_event([lot])], "rollback"
    )

    assert await resume_unfinished_jobs(state) == 1
    async with state.database.read() as session:
        job = await state.capture_jobs.get(session, job_id)
    assert job is not None and (job.status, job.captured_count) == ("success", 2)
    assert await head_of(state, lot) == 2
    assert await resume_unfinished_jobs(state) == 0


async def test_running_a_finished_job_again_changes_nothing(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    job_id = await accepted_but_not_run(state, org.id, [epcis_event([lot])], "rollback")
    await run_capture_job(state, job_id)
    await run_capture_job(state, job_id)
    async with state.database.read() as session:
        job = await state.capture_jobs.get(session, job_id)
    assert job is not None and job.status == "success"
    assert await head_of(state, lot) == 1


async def test_a_second_runner_of_the_same_job_cannot_overturn_its_outcome(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    event = epcis_event([lot])
    job_id = await accepted_but_not_run(state, org.id, [event], "rollback")
    await run_capture_job(state, job_id)
    # Another process that picked up the same job before it finished: its events are
    # duplicates now (409), and the job's recorded success stands.
    async with state.database.write() as session:
        await state.capture_jobs.finish(session, job_id, 0, [{"detail": "late duplicate"}])
    async with state.database.read() as session:
        job = await state.capture_jobs.get(session, job_id)
    assert job is not None and (job.status, job.errors) == ("success", [])


async def test_a_proceed_job_a_crash_cut_short_goes_on_where_it_stopped(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    events = [epcis_event([lot]) for _ in range(3)]
    job_id = await accepted_but_not_run(state, org.id, events, "proceed")
    # The first event was captured, with the job's progress, before the process died.
    async with state.write() as session:
        job = await state.capture_jobs.lock_step(session, job_id)
        assert job is not None
        await state.capture.capture(
            session, Principal(org.id, "producer", "key"), org.id, events[:1]
        )
        await state.capture_jobs.record_step(session, job)

    assert await resume_unfinished_jobs(state) == 1
    async with state.database.read() as session:
        job = await state.capture_jobs.get(session, job_id)
    # Not a duplicate of itself: the job succeeded, with every event counted once.
    assert job is not None and (job.status, job.captured_count, job.errors) == ("success", 3, [])
    assert await head_of(state, lot) == 3


# --------------------------------------------------------------------------- healing


async def status_of(state: Portal, job_id: str) -> tuple[str, int, list[dict]]:
    async with state.database.read() as session:
        job = await state.capture_jobs.get(session, job_id)
    assert job is not None
    return job.status, job.captured_count, list(job.errors)


async def claimed_elsewhere(state: Portal, job_id: str) -> None:
    """The job as a live process holds it: claimed by that process, the claim still good."""
    async with state.write() as session:
        job = await state.capture_jobs.claim(
            session, job_id, "another-process", state.settings.capture_job_lease_seconds
        )
        assert job is not None and job.claimed_by == "another-process"


@asynccontextmanager
async def unreachable(state: Portal, tries: int, on_each: Callable[[], None] = lambda: None):
    """The database out of reach for the job's next ``tries`` transactions (a refused
    connection, as the driver reports it), then back."""
    real_write = state.write
    failures = 0

    @asynccontextmanager
    async def write() -> AsyncIterator[AsyncSession]:
        nonlocal failures
        if failures < tries:
            failures += 1
            on_each()
            raise ConnectionRefusedError(111, "Connection refused")
        async with real_write() as session:
            yield session

    state.write = write  # type: ignore[method-assign]
    try:
        yield
    finally:
        state.write = real_write  # type: ignore[method-assign]
    assert failures == tries, "the outage was not met"


@pytest.fixture
def quick_retries(state: Portal) -> None:
    # The mechanism as in production, the waits scaled down from up to 30 s.
    state.settings.capture_job_retry_max = 0.01


@pytest.mark.usefixtures("quick_retries")
async def test_a_job_keeps_trying_through_an_outage_longer_than_two_minutes_of_waits(
    state: Portal,
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    job_id = await accepted_but_not_run(
        state, org.id, [epcis_event([lot]) for _ in range(3)], "proceed"
    )
    # More failed tries than the two minutes of fixed waits this job used to give up after.
    async with unreachable(state, tries=20):
        await asyncio.wait_for(run_capture_job(state, job_id), timeout=30)
    assert await status_of(state, job_id) == ("success", 3, [])
    assert await head_of(state, lot) == 3


@pytest.mark.usefixtures("quick_retries")
async def test_a_job_whose_deadline_passes_while_the_database_is_away_ends_failed_saying_why(
    state: Portal, clock: FakeClock
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    events = [epcis_event([lot]) for _ in range(2)]
    job_id = await accepted_but_not_run(state, org.id, events, "rollback")
    deadline = state.settings.capture_job_deadline
    async with unreachable(state, tries=6, on_each=lambda: clock.advance(seconds=deadline / 4)):
        await asyncio.wait_for(run_capture_job(state, job_id), timeout=30)

    status, captured, errors = await status_of(state, job_id)
    assert (status, captured) == ("failed", 0)
    assert errors == [
        {
            "type": "DeadlineExceeded",
            "detail": "the database was unreachable for longer than the job's deadline of "
            "3600 s; 0 of its 2 events were captured before",
            "field": None,
        }
    ]
    assert await head_of(state, lot) == 0


async def test_a_sweep_takes_up_a_running_job_only_once_no_live_process_holds_it(
    state: Portal, clock: FakeClock
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    job_id = await accepted_but_not_run(state, org.id, [epcis_event([lot])], "proceed")
    await claimed_elsewhere(state, job_id)

    assert await sweep_capture_jobs(state) == 0
    assert (await status_of(state, job_id))[0] == "running"

    clock.advance(
        seconds=state.settings.capture_job_lease_seconds + 1
    )  # that process stopped renewing its claim
    assert await sweep_capture_jobs(state) == 1
    assert await status_of(state, job_id) == ("success", 1, [])
    assert await sweep_capture_jobs(state) == 0


async def test_a_runner_leaves_alone_a_job_another_live_process_holds(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    job_id = await accepted_but_not_run(state, org.id, [epcis_event([lot])], "proceed")
    await claimed_elsewhere(state, job_id)
    await run_capture_job(state, job_id)
    assert await status_of(state, job_id) == ("running", 0, [])
    assert await head_of(state, lot) == 0


async def test_a_proceed_job_past_its_deadline_that_no_process_holds_ends_failed(
    state: Portal, clock: FakeClock
) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    events = [epcis_event([lot]) for _ in range(3)]
    job_id = await accepted_but_not_run(state, org.id, events, "proceed")
    # One event captured, then the process running the job stopped for good.
    async with state.write() as session:
        job = await state.capture_jobs.claim(
            session, job_id, "stopped-process", state.settings.capture_job_lease_seconds
        )
        assert job is not None
        await state.capture.capture(
            session, Principal(org.id, "producer", "key"), org.id, events[:1]
        )
        await state.capture_jobs.record_step(session, job)

    clock.advance(seconds=state.settings.capture_job_deadline + 1)
    assert await sweep_capture_jobs(state) == 1
    status, captured, errors = await status_of(state, job_id)
    assert (status, captured) == ("failed", 1)
    assert errors[-1]["type"] == "DeadlineExceeded"
    assert errors[-1]["detail"] == (
        "the job was not finished within its deadline (the process running it stopped) of "
        "3600 s; 1 of its 3 events were captured before"
    )
    assert await head_of(state, lot) == 1


async def test_serve_starting_leaves_a_job_to_the_live_process_whose_lease_holds_it(
    state: Portal, clock: FakeClock
) -> None:
    """Replicas share the database: one starting must not run what another is running."""
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    job_id = await accepted_but_not_run(state, org.id, [epcis_event([lot])], "rollback")
    await claimed_elsewhere(state, job_id)
    assert await resume_unfinished_jobs(state) == 0
    assert await status_of(state, job_id) == ("running", 0, [])

    clock.advance(seconds=state.settings.capture_job_lease_seconds + 1)  # that process died
    assert await resume_unfinished_jobs(state) == 1
    assert await status_of(state, job_id) == ("success", 1, [])


async def test_a_rollback_runner_whose_lease_was_taken_over_decides_nothing(
    state: Portal, clock: FakeClock
) -> None:
    """A runner that stalled past its lease while another took the job over: its
    transaction rolls back, and the job's events are stored once, by the new runner."""
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    job_id = await accepted_but_not_run(state, org.id, [epcis_event([lot])], "rollback")
    lease = state.settings.capture_job_lease_seconds
    async with state.write() as session:
        stalled = await state.capture_jobs.claim(session, job_id, "stalled-process", lease)
        assert stalled is not None and stalled.document is not None
    clock.advance(seconds=lease + 1)
    async with state.write() as session:
        job = await state.capture_jobs.claim(session, job_id, "new-process", lease)
        assert job is not None and job.claimed_by == "new-process"

    # The stalled runner wakes up with the job as it held it, and runs it to the end.
    events, context = document_events(stalled.document)
    parsed = ParsedJob(stalled, events, context)
    await run_capture_job(state, job_id, runner="stalled-process", parsed=parsed)
    assert await status_of(state, job_id) == ("running", 0, [])
    assert await head_of(state, lot) == 0
    await run_capture_job(state, job_id, runner="new-process")
    assert await status_of(state, job_id) == ("success", 1, [])
    assert await head_of(state, lot) == 1


# PostgreSQL only: SQLite has one writer connection, so one process and no one to take over.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_rollback_runner_renews_its_lease_while_its_one_transaction_runs(
    state: Portal, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document longer to capture than the lease: the runner keeps the job, so no other
    process takes it over while it is alive."""
    state.settings.capture_job_lease_seconds = 0.3
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    job_id = await accepted_but_not_run(state, org.id, [epcis_event([lot])], "rollback")
    real_capture = state.capture.capture
    taken_over: list[str | None] = []

    async def slow_capture(*args, **kwargs):  # type: ignore[no-untyped-def]
        clock.advance(seconds=1)  # past the lease taken when the run began
        async with asyncio.timeout(30):
            while await lease_end(state, job_id) <= clock():
                await asyncio.sleep(0.05)  # until the runner has renewed it
        async with state.write() as session:
            job = await state.capture_jobs.claim(session, job_id, "another-process", 0.3)
            taken_over.append(job.claimed_by if job else None)
        return await real_capture(*args, **kwargs)

    monkeypatch.setattr(state.capture, "capture", slow_capture)
    await run_capture_job(state, job_id)
    assert taken_over and taken_over[0] != "another-process"
    assert await status_of(state, job_id) == ("success", 1, [])
    assert await head_of(state, lot) == 1


async def lease_end(state: Portal, job_id: str) -> datetime:
    """Until when the job's runner holds it, as stored."""
    async with state.database.read() as session:
        row = await session.get(CaptureJob, job_id)
        assert row is not None and row.claimed_until is not None
        return as_utc(row.claimed_until)
