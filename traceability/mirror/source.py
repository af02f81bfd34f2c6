"""Where a mirror copies from: a tiled log's URL prefix (``BASE/log`` of a portal, or
another mirror's root), read over HTTP."""

from __future__ import annotations

from types import TracebackType

import httpx

from traceability.errors import NotFound, TraceabilityError
from traceability.log.tiles import TileId

# Requests in flight: enough to hide the round trip. More is slower, not faster: measured
# against a one-worker portal (docs/BENCHMARKS.md), 4 copied ~16,000 leaves/s, 16 ~10,000,
# 32 ~8,000, the client's connection pool costing more per request the more wait in it.
DEFAULT_CONCURRENCY = 4


class SourceUnavailable(TraceabilityError):
    """The log could not be read (network, or an answer that is not the resource)."""


class TileSource:
    def __init__(self, prefix: str, *, timeout: float = 30.0) -> None:
        self.prefix = prefix.rstrip("/")
        self._http = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=DEFAULT_CONCURRENCY * 2),
            headers={"accept-encoding": "gzip, identity"},
        )

    async def __aenter__(self) -> TileSource:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._http.aclose()

    async def _get(self, path: str) -> bytes:
        url = f"{self.prefix}/{path}"
        try:
            response = await self._http.get(url)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"cannot read {url}: {exc}", field="from") from exc
        if response.status_code == 404:
            raise NotFound(f"{url} does not exist (404)", field="from")
        if response.status_code != 200:
            raise SourceUnavailable(
                f"{url} answered {response.status_code}, not the resource", field="from"
            )
        return response.content

    async def checkpoint(self) -> str:
        data = await self._get("checkpoint")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceUnavailable("the checkpoint is not UTF-8 text", field="from") from exc

    async def verifier_key(self) -> str:
        """The key a portal publishes beside its log (not part of tlog-tiles: a mirror of a
        mirror is given the key)."""
        return (await self._get("key")).decode("utf-8", "replace").strip()

    async def tile(self, tile: TileId) -> bytes:
        return await self._get(tile.path())
