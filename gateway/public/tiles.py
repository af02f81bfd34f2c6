"""C2SP tlog-tiles answers: cut once from stored nodes, then served from the public cache.

A tile that exists never changes (stored nodes and leaves are never rewritten), so its
answer is cached without generations, under the log's key id and the tile's one canonical
path. Full tiles tell every cache to keep them for a year; partial tiles (the right edge,
which a log may drop once the full tile exists) only a minute.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from fastapi import Request, Response
from starlette.datastructures import State

from gateway.public.page_cache import CachedAnswer, WireAnswer, etag_of, public_answers
from traceability.log.note import NoteVerifier
from traceability.log.tiles import TileId, parse_tile_path
from traceability.portal import Portal

TILE_MEDIA_TYPE = "application/octet-stream"
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"
LOG_PREFIX = "/log/"
TILE_PREFIX = "/log/tile/"


def tile_key(portal: Portal, path: str) -> str:
    """Cache key of the tile at ``path`` (``tile/…``, below /log/) of this portal's log: two logs
    sharing a cache (or a test database after another) never see each other's tiles."""
    return f"pub:tile:{_log_id(portal.transparency.verifier)}:{path}"


@lru_cache(maxsize=8)
def _log_id(verifier: NoteVerifier) -> str:
    # Made once per key: a cache hit should cost a dictionary lookup, not a key encoding.
    return hashlib.sha256(verifier.verifier_key().encode()).hexdigest()[:16]


def tile_answer(tile: TileId, body: bytes) -> CachedAnswer:
    cache = FULL_TILE_CACHE if tile.full else PARTIAL_TILE_CACHE
    headers = (("cache-control", cache),)
    if tile.entries:
        # Entry bundles SHOULD be compressed (the spec); hash tiles are random bytes that
        # gzip only makes longer.
        return CachedAnswer.of(200, TILE_MEDIA_TYPE, body, headers)
    return CachedAnswer(200, TILE_MEDIA_TYPE, body, headers, etag_of(body))


async def load_tile(app_state: State, portal: Portal, path: str) -> CachedAnswer:
    """The tile ``path`` names, from the cache or cut in one read-only transaction."""
    tile = parse_tile_path(path)

    async def build() -> CachedAnswer:
        async with portal.read() as session:
            return tile_answer(tile, await portal.transparency.tile(session, tile))

    return await public_answers(app_state).load(tile_key(portal, tile.path()), build)


def respond(request: Request, answer: CachedAnswer) -> Response:
    body, raw_headers, etag = WireAnswer.of(answer).select(
        request.headers.get("accept-encoding", "")
    )
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers}
    del headers["content-type"]
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, answer.status, headers=headers, media_type=answer.media_type)
