"""create_app(settings): the HTTP application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from gateway.client_address import ClientAddressMiddleware, TrustedProxies
from gateway.errors import install_error_handlers
from gateway.methods import HeadAsGet
from gateway.middleware import RequestContextMiddleware
from gateway.public.gate import PublicGate
from gateway.routes import audit, epcis, health, labels, log, metrics, qr, registry, resolver
from gateway.schemas.epcis import with_json_value
from gateway.security_headers import SecurityHeadersMiddleware
from traceability.clock import Clock, utc_now
from traceability.config import Settings
from traceability.db.migrate import upgrade
from traceability.portal import Portal
from traceability.services.capture_jobs import capture_job_sweeper


def create_app(
    settings: Settings | None = None, *, clock: Clock = utc_now, migrate: bool = False
) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await asyncio.to_thread(upgrade, settings.resolved_database_url)
        state = Portal.build(settings, clock)
        app.state.traceability = state
        try:
            # A configured log key or origin that is not the log's stops the start here.
            await state.open()
        except BaseException:
            await state.cache.close()
            await state.database.dispose()
            raise
        try:
            async with capture_job_sweeper(state):
                yield
        finally:
            await state.cache.close()
            await state.database.dispose()

    app = FastAPI(
        title="Traceability portal",
        summary="Vietnam's national product-traceability engine: EPCIS 2.0 repository, "
        "GS1 Digital Link resolver and a transparency log.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    # Innermost: by the time a HEAD is run as a GET, everything outside has seen a HEAD.
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    # A cached public answer leaves before anything else runs.
    app.add_middleware(PublicGate, rate_limit=settings.public_rate_limit)
    # Outermost: the rate limit and everything after it see the client, not its proxy.
    app.add_middleware(
        ClientAddressMiddleware, trusted=TrustedProxies(settings.trusted_proxy_networks)
    )
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(log.router)
    # Before the registry, whose /lots/{gtin}/{lot:path} would take "…/labels.pdf" as a lot.
    app.include_router(labels.router)
    app.include_router(registry.router)
    app.include_router(epcis.router)
    app.include_router(audit.router)
    app.include_router(resolver.router)
    app.include_router(qr.router)
    generated = app.openapi

    def openapi() -> dict[str, Any]:
        # The EPCIS body schemas refer to a component no pydantic model makes.
        return with_json_value(generated())

    app.openapi = openapi  # type: ignore[method-assign]
    return app
