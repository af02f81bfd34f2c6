"""CORS on the resolver's public answers: any web page may read them (GS1 Resolver standard
1.2: a resolver "SHALL support CORS" and GET, HEAD and OPTIONS).

Only the Digital Link paths, the resolver description file and a lot's public evidence
get it. They are the same for
every caller and need no credentials, so the answer is ``*`` whatever the ``Origin``, and a
shared cache keeps one copy. Starlette's CORSMiddleware is not used: it answers only when
an ``Origin`` is sent and covers the whole app, where the authenticated API must stay out.
The headers are added on the way out, outside the public gate, so cached answers, redirects,
errors and 429s carry them too.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.public.gate import routed_path
from traceability.identifiers.compression import is_compressed_path

RESOLVER_METHODS: Final = "GET, HEAD, OPTIONS"
# What a page's script may send and read beyond what CORS always allows.
ALLOWED_REQUEST_HEADERS: Final = "Accept, Accept-Language, If-None-Match"
EXPOSED_HEADERS: Final = "Link, ETag, Location"
PREFLIGHT_MAX_AGE_SECONDS: Final = 86400
DESCRIPTION_FILE: Final = "/.well-known/gs1resolver"

CORS_HEADERS: Final = (
    (b"access-control-allow-origin", b"*"),
    # Also on answers that are no preflight: GS1's conformance checks read it there.
    (b"access-control-allow-methods", RESOLVER_METHODS.encode()),
    (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
)
PREFLIGHT_HEADERS: Final = {
    "allow": RESOLVER_METHODS,
    "access-control-allow-headers": ALLOWED_REQUEST_HEADERS,
    "access-control-max-age": str(PREFLIGHT_MAX_AGE_SECONDS),
}


def is_resolver_path(path: str) -> bool:
    # A lot's public evidence is read by the /verify page from wherever a reader saved it
    # (a file has no origin of its own): it carries the checkpoint, so the log need not.
    return (
        path.startswith(("/01/", "/api/v1/evidence/"))
        or path == DESCRIPTION_FILE
        or is_compressed_path(path)
    )


class ResolverCors:
    """Pure ASGI: any other path passes untouched, with no wrapper."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_resolver_path(routed_path(scope["path"])):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *CORS_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_cors)
