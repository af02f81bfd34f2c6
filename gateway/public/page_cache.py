"""Cached public answers: keyed by the generations of what they show, loaded once per key.

A key carries the current generation of every scope the answer depends on (the product,
and the lot), so a write that bumps one makes every process miss at once. A small
in-process layer in front of the shared cache keeps hot pages off the network; it is
safe because its keys carry the generations too.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import State

from gateway.security_headers import secure
from traceability.cache import Cache, SingleFlight

# Shared-cache lifetime of an answer; generations, not this, make writes visible at once.
PAGE_TTL_SECONDS = 3600
LOCAL_ENTRIES = 4096
GZIP_MIN_BYTES = 1024


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    status: int
    media_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    etag: str = ""
    # The body gzip-compressed once, when the answer is made: phones on slow networks get
    # a quarter of the bytes, and no hit pays for compression.
    gzipped: bytes = b""

    @classmethod
    def of(
        cls, status: int, media_type: str, body: bytes, headers: Sequence[tuple[str, str]] = ()
    ) -> CachedAnswer:
        gzipped = gzip.compress(body, 6, mtime=0) if len(body) >= GZIP_MIN_BYTES else b""
        return cls(status, media_type, body, tuple(headers), etag_of(body), gzipped)

    def to_bytes(self) -> bytes:
        head = orjson.dumps([self.status, self.media_type, self.etag, self.headers, len(self.body)])
        return len(head).to_bytes(4, "big") + head + self.body + self.gzipped

    @classmethod
    def from_bytes(cls, data: bytes) -> CachedAnswer:
        size = int.from_bytes(data[:4], "big")
        status, media_type, etag, headers, length = orjson.loads(data[4 : 4 + size])
        start = 4 + size
        return cls(
            status,
            media_type,
            data[start : start + length],
            tuple(map(tuple, headers)),
            etag,
            data[start + length :],
        )


@dataclass(frozen=True, slots=True)
class WireAnswer:
    """An answer with its ASGI headers built once, plain and gzip, reused by every hit."""

    answer: CachedAnswer
    plain: list[tuple[bytes, bytes]]
    compressed: list[tuple[bytes, bytes]] | None

    @classmethod
    def of(cls, answer: CachedAnswer) -> WireAnswer:
        common = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
        secure(common)  # served from the gate, these answers pass no middleware
        media = (b"content-type", answer.media_type.encode())
        plain = [media, (b"etag", answer.etag.encode()), *common]
        compressed = None
        if answer.gzipped:
            compressed = [
                media,
                (b"etag", gzip_etag(answer.etag).encode()),
                (b"content-encoding", b"gzip"),
                *common,
            ]
        return cls(answer, plain, compressed)

    def select(self, accept_encoding: str) -> tuple[bytes, list[tuple[bytes, bytes]], str]:
        """Body, headers and ETag for a client that sent ``accept_encoding``."""
        if self.compressed is not None and "gzip" in accept_encoding:
            return self.answer.gzipped, self.compressed, gzip_etag(self.answer.etag)
        return self.answer.body, self.plain, self.answer.etag


def gzip_etag(etag: str) -> str:
    return etag[:-1] + '-gz"'


def is_link_type_only(query: str) -> bool:
    """Whether a query string is ``linkType=…`` alone: the redirect it asks for is the same
    for every client, so it is cached (a query with more in it is passed on, and not kept)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return len(pairs) == 1 and pairs[0][0] == "linkType"


def link_type_variant(link_type: str, accept_language: str, accept: str) -> str:
    """The cache variant of the redirect to a typed link (the link types are few: one asked
    for that the code lacks is a 404, which is never cached). A business's links of the type
    are chosen by the request's Accept-Language and Accept, so those name the variant too
    (hashed: scanners send a handful of distinct headers, and they are long)."""
    chosen_by = hashlib.sha256(f"{accept_language}\n{accept}".encode()).hexdigest()[:16]
    return f"type:{link_type}:{chosen_by}"


def page_key(generations: Sequence[int], variant: str, path: str) -> str | None:
    """None when a generation is unknown (shared cache down): nothing may be cached then."""
    if any(g < 0 for g in generations):
        return None
    return f"pub:{'.'.join(map(str, generations))}:{variant}:{path}"


class PublicAnswers:
    def __init__(self, cache: Cache, *, enabled: bool = True, local_entries: int = LOCAL_ENTRIES):
        self.cache = cache
        self.enabled = enabled
        self._local: OrderedDict[str, WireAnswer] = OrderedDict()
        self._local_max = local_entries
        self._flight = SingleFlight()

    def local(self, key: str) -> WireAnswer | None:
        found = self._local.get(key)
        if found is not None:
            self._local.move_to_end(key)
        return found

    def _remember(self, key: str, answer: CachedAnswer) -> WireAnswer:
        entry = WireAnswer.of(answer)
        self._local[key] = entry
        while len(self._local) > self._local_max:
            self._local.popitem(last=False)
        return entry

    async def lookup(self, key: str) -> WireAnswer | None:
        found = self.local(key)
        if found is not None:
            return found
        stored = await self.cache.get(key)
        if stored is None:
            return None
        return self._remember(key, CachedAnswer.from_bytes(stored))

    async def load(
        self, key: str | None, build: Callable[[], Awaitable[CachedAnswer]]
    ) -> CachedAnswer:
        """The cached answer, or ``build()`` run once for all concurrent askers and stored."""
        if not self.enabled or key is None:
            return await build()
        found = await self.lookup(key)
        if found is not None:
            return found.answer

        async def build_and_store() -> bytes:
            answer = await build()
            data = answer.to_bytes()
            # A page, or a typed link's redirect; never an error.
            if answer.status in (200, 307):
                await self.cache.set(key, data, PAGE_TTL_SECONDS)
                self._remember(key, answer)
            return data

        return CachedAnswer.from_bytes(await self._flight.load(key, build_and_store))


def public_answers(app_state: State) -> PublicAnswers:
    """The app's public answers, over the cache of the app's portal (made on first use)."""
    answers: PublicAnswers | None = getattr(app_state, "public_answers", None)
    portal = app_state.portal
    if answers is None or answers.cache is not portal.cache:
        answers = PublicAnswers(portal.cache, enabled=portal.settings.public_cache)
        app_state.public_answers = answers
    return answers
