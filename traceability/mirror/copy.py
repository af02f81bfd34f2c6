"""Copying a tiled log: fetch, check every tile against a checkpoint the log key signed,
and keep only what checks.

Order (:class:`~traceability.log.tiles.TileVerifier`): the checkpoint's signature and its
consistency with the checkpoint the mirror held; the partial tiles, which fold to the
root; then the full tiles from the highest level down, each against its hash in the tile
above; then each entry bundle against its level-0 tile. Full tiles the mirror already
holds are immutable and were checked when copied: they are not fetched again, so a copy
resumes where the last one stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from traceability.errors import ChainBroken, NotFound, TraceabilityError
from traceability.log.merkle import root_from_nodes, root_nodes
from traceability.log.note import Checkpoint, NoteVerifier, open_checkpoint
from traceability.log.tiles import (
    TileId,
    TileNodes,
    TileVerifier,
    edge_tiles,
    tile_holding,
    tiles_for_size,
)
from traceability.mirror.layout import MirrorDirectory
from traceability.mirror.source import DEFAULT_CONCURRENCY, TileSource

# Tiles fetched together before their checks run: bounds memory, keeps the pipe full.
_BATCH = 256

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MirrorResult:
    origin: str
    size: int
    previous_size: int
    root: bytes
    tiles_fetched: int
    bytes_fetched: int
    seconds: float

    @property
    def leaves_copied(self) -> int:
        return self.size - self.previous_size

    @property
    def leaves_per_second(self) -> float:
        return self.leaves_copied / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Work:
    source: TileSource
    directory: MirrorDirectory
    verifier: TileVerifier
    progress: Progress
    total: int
    done: int = 0
    fetched: int = 0
    fetched_bytes: int = 0

    async def get(self, tile: TileId) -> bytes:
        staged = self.directory.staged(tile)
        if staged is not None:
            return staged
        data = await self.source.tile(tile)
        self.fetched += 1
        self.fetched_bytes += len(data)
        return data

    async def get_many(self, tiles: Sequence[TileId], limit: asyncio.Semaphore) -> list[bytes]:
        async def one(tile: TileId) -> bytes:
            async with limit:
                return await self.get(tile)

        return list(await asyncio.gather(*(one(t) for t in tiles)))

    def advance(self, count: int) -> None:
        self.done += count
        self.progress(self.done, self.total)


def open_trusted(verifier: NoteVerifier, note: str, *, what: str) -> Checkpoint:
    try:
        return open_checkpoint(verifier, note)
    except TraceabilityError as exc:
        raise ChainBroken(
            f"{what} does not verify with the log key: {exc}", field="checkpoint"
        ) from exc


async def copy_log(
    source: TileSource,
    directory: MirrorDirectory,
    log_key: str,
    *,
    progress: Progress = lambda done, total: None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> MirrorResult:
    """Bring ``directory`` up to the source's checkpoint. Raises ChainBroken (and changes
    nothing in place) when a checkpoint or a tile does not check."""
    started = time.perf_counter()
    note = await source.checkpoint()
    checkpoint, held = _checkpoints(directory, log_key, note)
    previous_size = held.size if held is not None else 0
    if held is not None and held.size == checkpoint.size:
        directory.discard()
        return MirrorResult(
            checkpoint.origin,
            checkpoint.size,
            held.size,
            checkpoint.root_hash,
            0,
            0,
            time.perf_counter() - started,
        )
    size = checkpoint.size
    wanted = [t for t in tiles_for_size(size) if not (t.full and directory.has(t))]
    bundles = [TileId(0, t.index, t.width, entries=True) for t in wanted if t.level == 0]
    work = _Work(
        source,
        directory,
        TileVerifier(size, checkpoint.root_hash),
        progress,
        len(wanted) + len(bundles),
    )
    limit = asyncio.Semaphore(concurrency)
    try:
        await _copy_edge(work, size, limit)
        await _copy_full(work, size, limit)
        if held is not None:
            _check_old_root(work, held, size)
    except (ChainBroken, NotFound):
        # Refused: nothing of this copy may stay, not even what checked before the fault.
        directory.discard()
        raise
    directory.publish(note, log_key)
    return MirrorResult(
        checkpoint.origin,
        size,
        previous_size,
        checkpoint.root_hash,
        work.fetched,
        work.fetched_bytes,
        time.perf_counter() - started,
    )


def _checkpoints(
    directory: MirrorDirectory, log_key: str, note: str
) -> tuple[Checkpoint, Checkpoint | None]:
    """The source's checkpoint and the one the mirror held, both opened with the log key,
    the new one checked to be of the same log and no smaller."""
    verifier = NoteVerifier.from_key(log_key)
    checkpoint = open_trusted(verifier, note, what="the source's checkpoint")
    held_note = directory.checkpoint()
    if held_note is None:
        return checkpoint, None
    held = open_trusted(verifier, held_note, what="the mirror's checkpoint")
    _check_extends(held, checkpoint)
    return checkpoint, held


def _check_extends(held: Checkpoint, checkpoint: Checkpoint) -> None:
    if checkpoint.origin != held.origin:
        raise ChainBroken(
            f"the source's checkpoint is of the log {checkpoint.origin!r}, the mirror holds "
            f"{held.origin!r}",
            field="checkpoint",
        )
    if checkpoint.size < held.size:
        raise ChainBroken(
            f"the source's checkpoint has {checkpoint.size} leaves, fewer than the "
            f"{held.size} the mirror holds: the log rolled back",
            field="checkpoint",
        )
    if checkpoint.size == held.size and checkpoint.root_hash != held.root_hash:
        raise ChainBroken(
            f"the source signed two different trees of size {held.size}: a split view",
            field="checkpoint",
        )


async def _copy_edge(work: _Work, size: int, limit: asyncio.Semaphore) -> None:
    edges = edge_tiles(size)
    for tile, data in zip(edges, await work.get_many(edges, limit), strict=True):
        work.verifier.add_edge(tile, data)
    work.verifier.check_root()
    for tile in edges:
        work.directory.stage(tile, b"".join(work.verifier.tiles[(tile.level, tile.index)]))
    work.advance(len(edges))
    edge_bundles = [TileId(0, t.index, t.width, entries=True) for t in edges if t.level == 0]
    for bundle, data in zip(edge_bundles, await work.get_many(edge_bundles, limit), strict=True):
        work.verifier.check_bundle(bundle, data, work.verifier.tiles[(0, bundle.index)])
        work.directory.stage(bundle, data)
    work.advance(len(edge_bundles))


async def _copy_full(work: _Work, size: int, limit: asyncio.Semaphore) -> None:
    full = [t for t in tiles_for_size(size) if t.full]  # highest level first
    for start in range(0, len(full), _BATCH):
        batch = full[start : start + _BATCH]
        held = [t for t in batch if work.directory.has(t)]
        for tile in held:
            if tile.level > 0:  # a parent of tiles still to check
                data = work.directory.read(tile)
                assert data is not None
                work.verifier.tiles[(tile.level, tile.index)] = [
                    data[i : i + 32] for i in range(0, len(data), 32)
                ]
        todo = [t for t in batch if not work.directory.has(t)]
        bundles = [TileId(0, t.index, entries=True) for t in todo if t.level == 0]
        fetched = await work.get_many([*todo, *bundles], limit)
        tiles_data, bundles_data = fetched[: len(todo)], fetched[len(todo) :]
        level0: dict[int, list[bytes]] = {}
        for tile, data in zip(todo, tiles_data, strict=True):
            hashes = work.verifier.add_full(tile, data, keep=tile.level > 0)
            if tile.level == 0:
                level0[tile.index] = hashes
            work.directory.stage(tile, data)
        for bundle, data in zip(bundles, bundles_data, strict=True):
            work.verifier.check_bundle(bundle, data, level0[bundle.index])
            work.directory.stage(bundle, data)
        work.advance(len(todo) + len(bundles))


def _check_old_root(work: _Work, held: Checkpoint, size: int) -> None:
    """The tree the mirror held is the first ``held.size`` leaves of the new one: its root,
    rebuilt from the new tiles, is the one the log signed then (RFC 9162 consistency)."""
    if held.size == 0:
        return
    tiles = dict(work.verifier.tiles)
    for node in root_nodes(held.size):
        tile = tile_holding(node, size)
        if (tile.level, tile.index) in tiles:
            continue
        data = work.directory.staged(tile) or work.directory.read(tile)
        if data is None:
            raise ChainBroken(f"{tile} is needed to check the old root but is missing")
        tiles[(tile.level, tile.index)] = [data[i : i + 32] for i in range(0, len(data), 32)]
    root = root_from_nodes(held.size, TileNodes(tiles))
    if root != held.root_hash:
        raise ChainBroken(
            f"the new tree's first {held.size} leaves have the root {root.hex()}, but the log "
            f"signed {held.root_hash.hex()} for them before: history was rewritten",
            field="checkpoint",
        )
