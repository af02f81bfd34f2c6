"""create_app(settings): the HTTP application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from gateway.client_address import ClientAddressMiddleware, TrustedProxies
from gateway.epcis_negotiation import EpcisNegotiation
from gateway.errors import install_error_handlers
from gateway.methods import HeadAsGet
from gateway.middleware import RequestContextMiddleware
from gateway.public.cors import ResolverCors
from gateway.public.gate import PublicGate
from gateway.read_routing import ReplicaReads
from gateway.routes import (
    audit,
    audit_pictures,
    compressed,
    delegations,
    epcis,
    epcis_queries,
    epcis_resources,
    epcis_streams,
    epcis_subscriptions,
    evidence,
    health,
    home,
    labels,
    log,
    metrics,
    qr,
    registry,
    resolver,
    resolver_links,
)
from gateway.routes.docs import install_documentation
from gateway.schemas.epcis import with_epcis_components
from gateway.security_headers import SecurityHeadersMiddleware
from traceability.background.capture_jobs import capture_job_sweeper
from traceability.background.log_watch import LogWatch
from traceability.background.replica_monitor import replica_monitor
from traceability.background.subscriptions import subscription_deliverer
from traceability.background.witnessing import witness_publisher
from traceability.clock import Clock, utc_now
from traceability.config import Settings
from traceability.portal import Portal


def create_app(
    settings: Settings | None = None, *, clock: Clock = utc_now, migrate: bool = False
) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="Traceability portal",
        summary="Vietnam's national product-traceability engine: EPCIS 2.0 repository, "
        "GS1 Digital Link resolver and a transparency log.",
        version="0.1.0",
        lifespan=portal_lifespan(settings, clock, migrate=migrate),
        # Served from the package's own files by gateway.routes.docs, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    add_middleware(app, settings)
    include_routers(app)
    generated = app.openapi

    def openapi() -> dict[str, Any]:
        # The EPCIS body schemas refer to components no pydantic model makes.
        return with_epcis_components(generated())

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def portal_lifespan(
    settings: Settings, clock: Clock, *, migrate: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's life: the portal is built (the schema migrated first if asked) and opened
    on start, the replica check, the capture job sweeper and the witness rounds run while it
    serves, and all is
    closed on stop."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await Portal.migrate(settings)
        portal = Portal.build(settings, clock)
        app.state.portal = portal
        app.state.log_watch = LogWatch(portal)
        try:
            # A configured log key or origin that is not the log's stops the start here.
            await portal.open()
            async with (
                replica_monitor(portal),
                capture_job_sweeper(portal),
                witness_publisher(portal),
                subscription_deliverer(portal),
            ):
                yield
        finally:
            await portal.close()

    return lifespan


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Added innermost first: each one added wraps those before it."""
    # Innermost: a request run again on the primary runs only the routes again.
    app.add_middleware(ReplicaReads)
    # By the time a HEAD is run as a GET, everything outside has seen a HEAD.
    app.add_middleware(HeadAsGet)
    # Inside the security headers: a refused EPCIS request still gets them.
    app.add_middleware(EpcisNegotiation)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    # A cached public answer leaves before anything else runs.
    app.add_middleware(PublicGate, rate_limit=settings.public_rate_limit)
    # Outside the gate: the resolver's cached answers and its 429s are readable cross-site too.
    app.add_middleware(ResolverCors)
    # Outermost: the rate limit and everything after it see the client, not its proxy.
    app.add_middleware(
        ClientAddressMiddleware, trusted=TrustedProxies(settings.trusted_proxy_networks)
    )


def include_routers(app: FastAPI) -> None:
    app.include_router(home.router)
    install_documentation(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(log.router)
    app.include_router(evidence.router)
    # Before the registry, whose /lots/{gtin}/{lot:path} would take "…/labels.pdf" as a lot.
    app.include_router(labels.router)
    app.include_router(registry.router)
    app.include_router(epcis.router)
    app.include_router(epcis_queries.router)
    app.include_router(epcis_resources.router)
    app.include_router(epcis_subscriptions.router)
    app.include_router(epcis_streams.router)
    epcis_resources.add_discovery(
        app,
        epcis.router,
        epcis_queries.router,
        epcis_resources.router,
        epcis_subscriptions.router,
    )
    # Before audit: its last route takes any path under a lot, /trace.svg included.
    app.include_router(audit_pictures.router)
    app.include_router(audit.router)
    app.include_router(resolver_links.router)
    app.include_router(delegations.router)
    app.include_router(resolver.router)
    app.include_router(qr.router)
    # Last: a compressed Digital Link is any one-segment path no other router took.
    app.include_router(compressed.router)
