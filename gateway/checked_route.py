"""What every API request must satisfy before its route runs: no NUL in the URL, a body
within the route's size limit, and a JSON body read by the portal's rules
(traceability.crypto.strict_json), not the stdlib's.

PostgreSQL text cannot hold U+0000: an identifier with %00 would fail in the database as a
500. The stdlib reads NaN, Infinity and 1e400 as numbers, U+0000 as text, and nests until
RecursionError; each would be stored, or fail later as a 500. Checked here, each is a 400
(or a 413) naming what is wrong, before the route's parameters are validated.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

from traceability.crypto.strict_json import parse_json
from traceability.errors import InvalidInput, TooLarge

# A registry body (a lot with 50 certifications, say) is a few kilobytes.
DEFAULT_BODY_LIMIT = 1024 * 1024


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the body is over {limit} bytes")
    return bytes(body)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _check_url(request: Request) -> None:
    query = request.query_params.multi_items()
    texts = [request.scope["path"], *(text for pair in query for text in pair)]
    if any("\x00" in text for text in texts):
        raise InvalidInput("the URL must not contain NUL characters (%00)")


class CheckedRoute(APIRoute):
    """A route that checks its URL, and reads its declared body with :func:`parse_json`."""

    body_limit: ClassVar[int] = DEFAULT_BODY_LIMIT

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        reads_body = self.body_field is not None
        limit = self.body_limit

        async def checked(request: Request) -> Response:
            _check_url(request)
            if reads_body:
                body = await read_body(request, limit)
                # Starlette's Request.body() and .json() return these instead of reading again.
                request._body = body
                if body and _is_json(request.headers.get("content-type")):
                    request._json = parse_json(body)
            return await handle(request)

        return checked
