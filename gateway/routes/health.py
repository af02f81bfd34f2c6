"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from gateway.deps import State
from gateway.errors import problem
from gateway.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health: the process is up and the database answers")
async def healthz(state: State) -> JSONResponse:
    try:
        async with state.database.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return problem(503, "the database is not reachable", headers={"Retry-After": "5"})
    return JSONResponse({"status": "ok"})
