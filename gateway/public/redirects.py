"""The resolver's redirects: what query string they pass on, and how the page cache keeps
a typed link's redirect."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.responses import Response

from gateway.public.front_cache import FRONT_CACHE_HEADER
from gateway.public.page_cache import CachedAnswer


def passed_on_query(query: str) -> str:
    """The request's query string as the redirect passes it on.

    GS1 Resolver standard 1.2: "By default, SHALL pass on all key=value pairs in the query
    string of the request URI (if present) when redirecting". ``linkType`` is not passed on:
    it was this resolver's instruction, carried out by the redirect, and the targets are
    this resolver's own pages, which would redirect again on seeing it.
    """
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(key, value) for key, value in pairs if key != "linkType"])


def with_query(target: str, query: str) -> str:
    """``target`` with ``query`` added before its fragment (``…/10/LOT?foo=bar#timeline``)."""
    if not query:
        return target
    address, hash_mark, fragment = target.partition("#")
    joiner = "&" if "?" in address else "?"
    return f"{address}{joiner}{query}{hash_mark}{fragment}"


def cached_redirect(redirect: Response) -> CachedAnswer:
    """A typed link's redirect as the page cache keeps it: its status and where it goes."""
    kept = ("location", "link", "cache-control", "vary", FRONT_CACHE_HEADER)
    headers = [(name, value) for name, value in redirect.headers.items() if name in kept]
    return CachedAnswer.of(redirect.status_code, "text/plain; charset=utf-8", b"", headers)
