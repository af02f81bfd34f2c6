"""A mirror's directory: the C2SP tlog-tiles layout (``checkpoint``, ``tile/<L>/<N>``,
``tile/entries/<N>``, partial tiles at ``….p/<W>``), so any static file server serves it.

New files are written under ``.incoming/`` first and moved into place only once the whole
tree they belong to has checked; the checkpoint is replaced last. A refused copy therefore
changes nothing a reader sees, and an interrupted one leaves checked tiles to resume from.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from traceability.log.tiles import TileId

CHECKPOINT = "checkpoint"
LOG_KEY = "log.vkey"
STAGING = ".incoming"


class MirrorDirectory:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / STAGING

    def checkpoint(self) -> str | None:
        path = self.root / CHECKPOINT
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def log_key(self) -> str | None:
        path = self.root / LOG_KEY
        return path.read_text(encoding="utf-8").strip() if path.is_file() else None

    def has(self, tile: TileId) -> bool:
        return (self.root / tile.path()).is_file()

    def read(self, tile: TileId) -> bytes | None:
        """A tile already in place (checked when it was copied), or None."""
        path = self.root / tile.path()
        return path.read_bytes() if path.is_file() else None

    def staged(self, tile: TileId) -> bytes | None:
        """A tile an interrupted copy left checked but not yet in place, or None."""
        path = self.staging / tile.path()
        return path.read_bytes() if path.is_file() else None

    def stage(self, tile: TileId, data: bytes) -> None:
        _write(self.staging / tile.path(), data)

    def publish(self, checkpoint: str, log_key: str) -> None:
        """Move every staged tile into place, then the checkpoint that vouches for them."""
        if self.staging.is_dir():
            for source in sorted(self.staging.rglob("*")):
                if source.is_file():
                    target = self.root / source.relative_to(self.staging)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(source, target)
        _write(self.root / LOG_KEY, (log_key + "\n").encode())
        _write(self.root / CHECKPOINT, checkpoint.encode("utf-8"))
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
