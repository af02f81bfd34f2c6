"""Liveness and readiness: the database answers, and the log agrees with what it signed."""

from __future__ import annotations

import structlog
from fastapi import APIRouter

from gateway.deps import PortalDep, PrimarySnapshotSession
from gateway.errors import problem
from gateway.responses import JSONResponse

log = structlog.get_logger(__name__)
router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="Health: the database answers and the transparency log checks; the read "
    "replica's state and lag (a replica down or behind is skipped, so it never fails this)",
    responses={503: {"description": "The database is unreachable, or the log failed a check"}},
)
async def healthz(portal: PortalDep, session: PrimarySnapshotSession) -> JSONResponse:
    try:
        health = await portal.transparency.health(session)
    except Exception as exc:
        if not portal.database_unavailable(exc):
            log.exception("health_check_failed")
        return problem(503, "the database is not reachable", headers={"Retry-After": "5"})
    figures = {"size": health.size, "signed_size": health.signed_size, "problem": health.problem}
    if not health.healthy:
        return problem(
            503,
            f"the transparency log failed its integrity check: {health.problem}",
            kind="log-integrity",
            log=figures,
        )
    answer: dict[str, object] = {"status": "ok", "log": figures}
    replica = portal.replica_status()
    if replica is not None:
        answer["replica"] = replica
    return JSONResponse(answer)
