"""Security headers on every answer the routes make.

Provenance pages, the home page and the API documentation (/docs, /redoc) set their own
policies (:data:`gateway.pages.render.SECURITY_HEADERS`, :mod:`gateway.pages.home`,
:mod:`gateway.routes.docs`). Everything else gets ``nosniff``; any other HTML gets a policy
that allows nothing to load, run or be sent.
Cached public answers leave from the gate with these headers already in them.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOSNIFF: Final = (b"x-content-type-options", b"nosniff")
FALLBACK_POLICY: Final = (
    b"default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
REFERRER_POLICY: Final = (b"referrer-policy", b"strict-origin-when-cross-origin")


def secure(headers: list[tuple[bytes, bytes]]) -> None:
    """Add what is missing from ``headers`` (lower-case names, as ASGI servers send them)."""
    names = {name.lower() for name, _ in headers}
    if b"x-content-type-options" not in names:
        headers.append(NOSNIFF)
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html") and b"content-security-policy" not in names:
        headers.append((b"content-security-policy", FALLBACK_POLICY))
        if b"referrer-policy" not in names:
            headers.append(REFERRER_POLICY)


class SecurityHeadersMiddleware:
    """Pure ASGI: one header scan per answer, no task per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                secure(headers)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_secured)
