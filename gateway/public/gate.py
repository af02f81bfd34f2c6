"""The public gate: per-client rate limit on public endpoints, and cached resolver answers
served before the framework is reached.

Pure ASGI in front of everything: a cache hit costs one shared-cache round trip (the rate
count and the generations, in one script) and a dictionary lookup, no routing, no
dependency injection and no validation. A miss, a redirect or anything unusual goes on
to the resolver route, which answers it in full and fills the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Final
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.pages.messages import Lang
from gateway.pages.problems import rate_limited_detail
from gateway.pages.render import HTML_MEDIA_TYPE, SECURITY_HEADERS
from gateway.public.negotiation import language, representation
from gateway.public.page_cache import (
    WireAnswer,
    is_link_type_only,
    link_type_variant,
    page_key,
    public_answers,
)
from gateway.public.rendering import renderer
from gateway.public.tiles import LOG_PREFIX, TILE_PREFIX, tile_key
from traceability.cache.invalidation import page_scopes
from traceability.errors import InvalidInput
from traceability.identifiers.compression import is_compressed_path
from traceability.identifiers.digital_link import parse_digital_link

# A lot's public evidence (an audit and a bundle per request) is in the budget too.
PUBLIC_PREFIXES: Final = ("/01/", "/qr/", "/log/", "/.well-known/", "/api/v1/evidence/")
_PARSED_PATHS: Final = 8192
# What the gate learnt of a raw path: its scopes and canonical path, or None when the route
# must answer it (invalid, non-canonical, an item page that counts scans).
_Parsed = tuple[list[str], str] | None


def routed_path(path: str) -> str:
    """``scope["path"]`` (which the server has already percent-decoded, as the router reads
    it) with empty and ``.`` segments dropped and ``..`` resolved: ``/%6Cog/checkpoint``,
    ``//log/./checkpoint`` and ``/x/../log/checkpoint`` all name ``/log/checkpoint`` here, so
    no spelling of a public path escapes its budget."""
    if "//" not in path and "/." not in path:
        return path
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    return "/" + "/".join(segments) + ("/" if path.endswith("/") and segments else "")


def _parse(raw_path: bytes) -> _Parsed:
    try:
        parsed = parse_digital_link(raw_path.decode("latin-1"))
    except InvalidInput:
        return None
    link = parsed.link
    # Byte for byte the canonical path, or the route answers: the parser reads past a prefix
    # (``/01/x/%2E%2E/01/{gtin}``), and only the route redirects such a spelling.
    if raw_path != parsed.canonical_path.encode() or link.serial is not None:
        return None
    return page_scopes(link.gtin, link.lot), parsed.canonical_path


class PublicGate:
    """Reads its cache from the app's portal, which the lifespan builds."""

    def __init__(self, app: ASGIApp, rate_limit: int) -> None:
        self.app = app
        self.limit = rate_limit
        self._paths: OrderedDict[bytes, _Parsed] = OrderedDict()

    def _parsed(self, raw_path: bytes) -> _Parsed:
        if raw_path in self._paths:
            return self._paths[raw_path]
        parsed = self._paths[raw_path] = _parse(raw_path)
        if len(self._paths) > _PARSED_PATHS:
            self._paths.popitem(last=False)
        return parsed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = routed_path(scope["path"])
        if not path.startswith(PUBLIC_PREFIXES) and not is_compressed_path(path):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        answers = public_answers(state)
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        parsed = self._parsed(raw_path) if path.startswith("/01/") else None
        query = scope["query_string"]
        params = dict(parse_qsl(query.decode("latin-1"))) if query else {}
        link_type = params.get("linkType")
        headers = dict(scope["headers"])
        accept = headers.get(b"accept", b"").decode("latin-1")
        kind = representation(accept, link_type)
        lang = language(params.get("lang"), headers.get(b"accept-language", b"").decode())
        variant = (
            cached_variant(kind, link_type, query, lang, scope["headers"])
            if parsed is not None
            else None
        )
        scopes = parsed[0] if parsed is not None and variant is not None else []

        # The socket peer, or the client a trusted proxy names (gateway.client_address).
        client = scope.get("client")
        client_id = client[0] if client else "unknown"
        admission, scope_generations = await answers.cache.admit(client_id, self.limit, scopes)
        if not admission.allowed:
            await _too_many(send, admission.retry_after, kind == "html", lang)
            return
        if path.startswith(TILE_PREFIX) and answers.enabled:
            # A log tile the route has cut before: the same bytes for ever, no route needed.
            found = await answers.lookup(tile_key(state.portal, path[len(LOG_PREFIX) :]))
            if found is None:
                await self.app(scope, receive, send)
            else:
                await _answer(found, headers, scope, send)
            return
        if parsed is None or variant is None or not answers.enabled:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["public_generations"] = scope_generations
        key = page_key(scope_generations, variant, parsed[1])
        found = await answers.lookup(key) if key is not None else None
        if found is None:
            await self.app(scope, receive, send)
            return
        await _answer(found, headers, scope, send)


async def _answer(found: WireAnswer, headers: dict[bytes, bytes], scope: Scope, send: Send) -> None:
    """A cached answer as it stands, or 304 to a client that holds it already (a redirect is
    always sent again: it has no body to spare)."""
    accept_encoding = headers.get(b"accept-encoding", b"").decode("latin-1")
    body, raw_headers, etag = found.select(accept_encoding)
    if found.answer.status == 200 and headers.get(b"if-none-match", b"").decode("latin-1") == etag:
        await send({"type": "http.response.start", "status": 304, "headers": raw_headers})
        await send({"type": "http.response.body", "body": b""})
        return
    length = (b"content-length", str(len(body)).encode())
    await send(
        {
            "type": "http.response.start",
            "status": found.answer.status,
            "headers": [*raw_headers, length],
        }
    )
    await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})


def first_header(raw_headers: Sequence[tuple[bytes, bytes]], name: bytes) -> str:
    """A request header's first value, as the route reads it (Starlette's headers.get)."""
    return next((v.decode("latin-1") for k, v in raw_headers if k == name), "")


def cached_variant(
    kind: str,
    link_type: str | None,
    query: bytes,
    lang: str,
    raw_headers: Sequence[tuple[bytes, bytes]] = (),
) -> str | None:
    """The page-cache variant a request is answered from here, or None when only the route
    can answer it: plain page, JSON and linkset requests, and the redirect to a typed link
    when ``linkType`` is all the query holds (with more, the rest is passed on)."""
    if link_type is None or kind == "linkset":
        return f"{kind}:{lang}" if kind == "html" else kind
    if is_link_type_only(query.decode("latin-1")):
        return link_type_variant(
            link_type,
            first_header(raw_headers, b"accept-language"),
            first_header(raw_headers, b"accept"),
        )
    return None


async def _too_many(send: Send, retry_after: int, html: bool, lang: str) -> None:
    detail = f"too many requests from this client; retry in {retry_after} s"
    if html:
        page_lang: Lang = "en" if lang == "en" else "vi"
        shown = rate_limited_detail(retry_after, page_lang)
        body = renderer.render_error(429, "", shown, page_lang).encode()
        media_type = HTML_MEDIA_TYPE
        extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    else:
        body = orjson.dumps(
            {
                "type": "https://traceability.gov.vn/problems/rate-limited",
                "title": "Too many requests",
                "status": 429,
                "detail": detail,
            }
        )
        media_type, extra = "application/problem+json", []
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", media_type.encode()),
                (b"retry-after", str(retry_after).encode()),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
