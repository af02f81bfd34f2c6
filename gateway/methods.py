"""Which methods a path accepts: HEAD wherever GET is, and every one of them in a 405's Allow.

FastAPI routes answer exactly the methods they declare, and Starlette's 405 lists only the
methods of the first route whose path matched. A path can be served by several routes (a
collection's GET and POST are two), and HTTP gives every GET resource a HEAD (RFC 9110
9.3.2), so both are decided here from all the routes at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The order an Allow header lists them in.
METHOD_ORDER: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def routed_methods(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    """The methods some route answers for this request's path, whatever its own method.

    Each is tried as the router would try it (a route, or a whole included router, matching
    in full), so the answer is what dispatch really does, however the routes are grouped.
    """
    found = list(routes)
    return {
        method
        for method in METHOD_ORDER
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in found)
    }


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """Every method the path accepts, GET implying HEAD, in :data:`METHOD_ORDER`."""
    methods = routed_methods(routes, scope)
    if "GET" in methods:
        methods.add("HEAD")
    return [method for method in METHOD_ORDER if method in methods]


class HeadAsGet:
    """A HEAD on a path whose routes declare GET but no HEAD runs the GET and sends its
    status and headers without the body. Pure ASGI; any other request passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        declared = routed_methods(scope["app"].router.routes, scope)
        if "HEAD" in declared or "GET" not in declared:
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # A copy: the server keeps reading its own scope's method, and drops any body of a
        # HEAD answer by itself; this one drops it for every server.
        await self.app({**scope, "method": "GET"}, receive, headers_only)
