"""Capture jobs survive a crash: what was accepted with a 202 is captured once, exactly."""

from __future__ import annotations

from tests.factories import epcis_event, make_lots, make_org
from tests.gateway.test_epcis_api import document
from traceability.capture_jobs import resume_unfinished_jobs, run_capture_job
from traceability.portal import Portal
from traceability.repositories.chains import ChainRepository
from traceability.services.registry import Principal


async def accepted_but_not_run(
    state: Portal, org_id: str, events: list[dict], behaviour: str
) -> str:
    """A job as a process leaves it when it dies right after answering 202."""
    principal = Principal(org_id, "producer", "key")
    async with state.database.write() as session:
        job = await state.events.start_job(
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
        job = await state.events.job_row(session, job_id)
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
        job = await state.events.job_row(session, job_id)
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
        await state.events.finish_job(session, job_id, 0, [{"detail": "late duplicate"}])
    async with state.database.read() as session:
        job = await state.events.job_row(session, job_id)
    assert job is not None and (job.status, job.errors) == ("success", [])


async def test_a_proceed_job_a_crash_cut_short_goes_on_where_it_stopped(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    events = [epcis_event([lot]) for _ in range(3)]
    job_id = await accepted_but_not_run(state, org.id, events, "proceed")
    # The first event was captured, with the job's progress, before the process died.
    async with state.write() as session:
        job = await state.events.job_step(session, job_id)
        assert job is not None
        await state.capture.capture(
            session, Principal(org.id, "producer", "key"), org.id, events[:1]
        )
        await state.events.record_job_step(session, job)

    assert await resume_unfinished_jobs(state) == 1
    async with state.database.read() as session:
        job = await state.events.job_row(session, job_id)
    # Not a duplicate of itself: the job succeeded, with every event counted once.
    assert job is not None and (job.status, job.captured_count, job.errors) == ("success", 3, [])
    assert await head_of(state, lot) == 3
