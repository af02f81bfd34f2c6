"""One app per worker for each middleware configuration, handed to each test as new."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import State

from gateway.app import create_app
from traceability.config import Settings

# FastAPI works out every route's parameters and schemas (a fifth of a second) the first
# time an app answers; the suite made a new app for each of its thousands of tests. An app
# is kept per worker for each middleware configuration (what create_app reads of its
# settings: everything else reaches the routes through the test's own Portal), and every
# test gets it with new middleware, new state and no overrides, as a new app would be.
_APPS: dict[tuple[int, tuple[str, ...]], FastAPI] = {}


def app_for(settings: Settings) -> FastAPI:
    key = (settings.public_rate_limit, tuple(map(str, settings.trusted_proxy_networks)))
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings)
    app.middleware_stack = None  # built again on the first request: fresh rate windows
    app.state = State()
    app.dependency_overrides.clear()
    return app
