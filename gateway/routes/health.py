"""Liveness and readiness: the database answers, and the log agrees with what it signed."""

from __future__ import annotations

import structlog
from fastapi import APIRouter

from gateway.deps import PortalDep, SnapshotSession
from gateway.errors import problem
from gateway.responses import JSONResponse

log = structlog.get_logger(__name__)
router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="Health: the database answers and the transparency log checks",
    responses={503: {"description": "The database is unreachable, or the log failed a check"}},
)
async def healthz(portal: PortalDep, session: SnapshotSession) -> JSONResponse:
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
    return JSONResponse({"status": "ok", "log": figures})
