"""Serving a mirror's directory as the static files of a tiled log (C2SP tlog-tiles):
the same paths and content types as the portal's /log, with the same cache lifetimes.

The standard library's server, not the portal's: a mirror needs no database, no
framework, nothing but this package, and a CDN or nginx can replace it unchanged.
"""

from __future__ import annotations

from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from traceability.errors import TraceabilityError
from traceability.log.tiles import parse_tile_path
from traceability.mirror.layout import CHECKPOINT, LOG_KEY

FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"


class _MirrorHandler(SimpleHTTPRequestHandler):
    server_version = "traceability-mirror"

    def _what(self) -> tuple[str, str] | None:
        """Content type and Cache-Control of the path asked for, or None: not served."""
        path = self.path.split("?", 1)[0]
        if path == f"/{CHECKPOINT}":
            return "text/plain; charset=utf-8", "no-cache"
        if path == "/key":
            return "text/plain; charset=utf-8", "no-cache"
        if path.startswith("/tile/"):
            try:
                tile = parse_tile_path(path[len("/tile/") :])
            except TraceabilityError:
                return None
            return "application/octet-stream", (
                FULL_TILE_CACHE if tile.full else PARTIAL_TILE_CACHE
            )
        return None

    def translate_path(self, path: str) -> str:
        if path.split("?", 1)[0] == "/key":
            path = f"/{LOG_KEY}"
        return super().translate_path(path)

    def send_head(self) -> Any:
        what = self._what()
        if what is None or Path(self.translate_path(self.path)).is_dir():
            self.send_error(HTTPStatus.NOT_FOUND, "no such file in this log mirror")
            return None
        self._content_type, self._cache_control = what
        return super().send_head()

    def guess_type(self, path: str | Any) -> str:
        return self._content_type

    def end_headers(self) -> None:
        if getattr(self, "_cache_control", None):
            self.send_header("Cache-Control", self._cache_control)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a mirror under load would write a line a request


def mirror_server(directory: Path, host: str, port: int) -> ThreadingHTTPServer:
    """A server of ``directory``; call serve_forever() on it."""

    def handler(*args: Any) -> _MirrorHandler:
        return _MirrorHandler(*args, directory=str(directory))

    return ThreadingHTTPServer((host, port), handler)
