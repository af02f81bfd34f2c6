"""A client that goes away while sending its capture document is not a server error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import LogCapture

from tests.apps import app_for
from tests.factories.organizations import tenant
from traceability.portal import Portal


@pytest.fixture
def captured_logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    # From the defaults: a level filter left by an earlier configuration would hide info.
    structlog.reset_defaults()
    structlog.configure(processors=[capture])
    try:
        yield capture
    finally:
        structlog.reset_defaults()


async def post_then_disconnect(state: Portal, path: str, headers: dict[str, str]) -> list[Any]:
    """POST the first half of a JSON body over raw ASGI, then report the client gone."""
    app = app_for(state.settings)
    app.state.portal = state
    messages = iter(
        [
            {"type": "http.request", "body": b'{"type": "EPCISDocument", ', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "app": app,
    }
    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("path", ["/api/v1/epcis/capture", "/api/v1/epcis/events"])
async def test_a_capture_abandoned_mid_body_is_logged_as_a_disconnect_not_an_unhandled_error(
    state: Portal, captured_logs: LogCapture, path: str
) -> None:
    producer = await tenant(state)

    sent = await post_then_disconnect(state, path, producer.headers)

    events = [entry["event"] for entry in captured_logs.entries]
    assert "unhandled_error" not in events
    assert "client_disconnected" in events
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert all(status < 500 for status in statuses), statuses
