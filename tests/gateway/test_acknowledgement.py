"""An answer of success is sent only for what is committed."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import SessionTransaction

from gateway.app import create_app
from tests.factories.organizations import gtin_for, tenant
from traceability.portal import Portal


def commit_losing_the_connection(self: SessionTransaction, _to_root: bool = False) -> None:
    raise OperationalError("COMMIT", None, ConnectionResetError("the server closed the connection"))


async def test_a_write_whose_commit_fails_is_never_acknowledged(
    state: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(state.settings)
    app.state.portal = state
    owner = await tenant(state)
    gtin = gtin_for(owner.prefix, 3)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        monkeypatch.setattr(SessionTransaction, "commit", commit_losing_the_connection)
        response = await client.post(
            "/api/v1/products",
            json={"gtin": gtin, "name": "Cà phê Robusta"},
            headers=owner.headers,
        )
        monkeypatch.undo()
        missing = await client.get(f"/api/v1/products/{gtin}", headers=owner.headers)

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"].isdigit()
    assert "Traceback" not in response.text
    assert missing.status_code == 404
