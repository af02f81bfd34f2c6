"""An HTTP client bound to an app over the test's Portal (SQLite and PostgreSQL), and an
administrator to call it as."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.apps import app_for
from tests.factories.organizations import Tenant, tenant
from traceability.portal import Portal


@pytest.fixture
async def client(state: Portal) -> AsyncIterator[httpx.AsyncClient]:
    app = app_for(state.settings)
    app.state.portal = state  # the lifespan is skipped: the test owns the Portal
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def admin(state: Portal) -> Tenant:
    return await tenant(state, "admin")
