"""`traceability serve`: upgrade the database and serve the HTTP API and public pages."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from traceability.background.capture_jobs import resume_unfinished_jobs
from traceability.cli._common import console, fail
from traceability.cli._database import prepare
from traceability.config import Settings, local_base_url
from traceability.errors import TraceabilityError
from traceability.logging import configure_logging
from traceability.portal import Portal


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Upgrade the database and serve the HTTP API and public pages.

    Without TRACE_BASE_URL, the QR codes and links point at this host and port."""
    import uvicorn

    if "TRACE_BASE_URL" not in os.environ:
        # Read by every worker process, which inherits this environment.
        os.environ["TRACE_BASE_URL"] = local_base_url(host, port)
    settings = Settings()
    configure_logging(settings.log_level, settings.json_logs)
    if workers > 1 and not settings.redis_url:
        # Each process would keep its own cache and rate counts: a write in one would leave
        # the others serving stale pages.
        raise fail(
            "several workers share their cache through Redis: set TRACE_REDIS_URL, "
            "or run with --workers 1"
        )
    try:
        prepare(settings)
    except TraceabilityError as exc:
        raise fail(str(exc)) from exc
    resumed = asyncio.run(_resume_capture_jobs(settings))
    if resumed:
        console.print(f"Finished {resumed} capture job(s) a previous run left unfinished.")
    console.print(f"Serving on [bold]http://{host}:{port}[/] (workers: {workers})")
    console.print(f"QR codes and links point at {settings.base_url} (TRACE_BASE_URL)")
    uvicorn.run(
        "gateway.asgi:create_default_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
        # uvicorn would otherwise take the client from X-Forwarded-For of any peer in
        # FORWARDED_ALLOW_IPS (127.0.0.1 by default): the gateway alone decides, from
        # TRACE_TRUSTED_PROXIES (gateway.client_address).
        proxy_headers=False,
        # EPCIS WebSocket subscriptions, on the websockets library's sans-I/O protocol.
        ws="websockets-sansio",
    )


async def _resume_capture_jobs(settings: Settings) -> int:
    portal = Portal.build(settings)
    try:
        return await resume_unfinished_jobs(portal)
    finally:
        await portal.database.dispose()
