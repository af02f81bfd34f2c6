"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log as static, immutable files.

A hash tile at level L is up to 256 consecutive Merkle Tree Hashes of tree level 8L: tile
N holds the stored nodes ``NodeId(8L, N*256 + i)``. A partial tile (the right edge of a
tree) holds ``W < 256`` of them and is named ``.p/W``. An entry bundle holds the log
entries (the leaf *data*) that level-0 tile N hashes, each prefixed by its length as a
big-endian uint16. Here a log entry is an event hash, 32 bytes (docs/LOG.md).

Everything an outside client needs to check a tiled log is here, without the log's
proof endpoints: :class:`TileVerifier` checks tiles against a checkpoint, and
:class:`TileNodes` reads any stored-node hash out of tiles, so the RFC 9162 proofs of
:mod:`traceability.log.merkle` can be rebuilt from tiles alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from traceability.errors import ChainBroken, InvalidInput
from traceability.log.merkle import HASH_SIZE, NodeId, leaf_hash, node_hash, root_from_nodes

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, 8,192 bytes
MAX_TILE_LEVEL = 63
ENTRY_LENGTH_SIZE = 2
_MAX_ENTRY = (1 << 16) - 1
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_GROUP = re.compile(r"[0-9]{3}")


@dataclass(frozen=True, order=True, slots=True)
class TileId:
    """One tile: ``entries`` names the entry bundle beside level-0 tile ``index``."""

    level: int
    index: int
    width: int = TILE_WIDTH
    entries: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_TILE_LEVEL or (self.entries and self.level != 0):
            raise InvalidInput(f"a tile level is 0 to {MAX_TILE_LEVEL}", field="level")
        if self.index < 0:
            raise InvalidInput("a tile index must not be negative", field="index")
        if not 1 <= self.width <= TILE_WIDTH:
            raise InvalidInput(f"a tile is 1 to {TILE_WIDTH} hashes wide", field="width")

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def hashes(self) -> TileId:
        """The hash tile an entry bundle belongs to (itself for a hash tile)."""
        return TileId(0, self.index, self.width) if self.entries else self

    @property
    def first_node(self) -> NodeId:
        return NodeId(self.level * TILE_HEIGHT, self.index * TILE_WIDTH)

    def node_ids(self) -> list[NodeId]:
        """The stored nodes this tile holds, left to right."""
        first = self.first_node
        return [NodeId(first.level, first.index + i) for i in range(self.width)]

    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``."""
        head = "entries" if self.entries else str(self.level)
        partial = "" if self.full else f".p/{self.width}"
        return f"tile/{head}/{encode_index(self.index)}{partial}"

    def __str__(self) -> str:
        return self.path()


def encode_index(index: int) -> str:
    """Zero-padded 3-digit path elements, all but the last prefixed by ``x``:
    1234067 is ``x001/x234/067``."""
    if index < 0:
        raise InvalidInput("a tile index must not be negative", field="index")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> TileId:
    """The tile that ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]`` (below ``tile/``) names.

    Only the one spelling the spec writes is accepted (no leading zeros in L or W, no
    ``x000`` groups): each tile has one URL, which caches and mirrors rely on."""
    parts = path.split("/")
    if len(parts) < 2:
        raise InvalidInput("a tile path is <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]", field="tile")
    head, rest = parts[0], parts[1:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= TILE_WIDTH:
            raise InvalidInput(
                "a partial tile's width W is 1 to 255 without leading zeros", field="width"
            )
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if head == "entries":
        entries, level = True, 0
    elif _LEVEL.fullmatch(head) and int(head) <= MAX_TILE_LEVEL:
        entries, level = False, int(head)
    else:
        raise InvalidInput(
            f"a tile level is 0 to {MAX_TILE_LEVEL} without leading zeros, or 'entries'",
            field="level",
        )
    index = _parse_index(rest)
    return TileId(level, index, width, entries)


def _parse_index(groups: Sequence[str]) -> int:
    value = 0
    for position, group in enumerate(groups):
        last = position == len(groups) - 1
        digits = group if last else group.removeprefix("x")
        if (not last and not group.startswith("x")) or not _GROUP.fullmatch(digits):
            raise InvalidInput(
                "a tile index is written in 3-digit path elements, all but the last starting "
                "with 'x' (1234067 is x001/x234/067)",
                field="index",
            )
        value = value * 1000 + int(digits)
    if len(groups) > 1 and groups[0] == "x000":
        raise InvalidInput("a tile index has no leading x000 element", field="index")
    return value


def tiles_for_size(size: int) -> list[TileId]:
    """Every hash tile of the tree of ``size`` leaves, highest level first: per level L the
    full tiles and, when ``floor(size / 256**L) mod 256`` is not 0, one partial tile."""
    tiles: list[TileId] = []
    level, count = 0, size
    while count > 0:
        full, partial = divmod(count, TILE_WIDTH)
        row = [TileId(level, n) for n in range(full)]
        if partial:
            row.append(TileId(level, full, partial))
        tiles[:0] = row
        level += 1
        count //= TILE_WIDTH
    return tiles


def bundles_for_size(size: int) -> list[TileId]:
    """The entry bundles of the tree of ``size`` leaves, left to right."""
    return [TileId(0, t.index, t.width, entries=True) for t in tiles_for_size(size) if not t.level]


def edge_tiles(size: int) -> list[TileId]:
    """The partial tiles of ``size``: together they hold every node of its root."""
    return [t for t in tiles_for_size(size) if not t.full]


def tile_holding(node: NodeId, size: int) -> TileId:
    """The widest tile of the tree of ``size`` leaves that holds (or hashes up to) ``node``."""
    level = node.level // TILE_HEIGHT
    first = node.index << (node.level % TILE_HEIGHT)
    index = first // TILE_WIDTH
    width = min(TILE_WIDTH, (size >> (level * TILE_HEIGHT)) - index * TILE_WIDTH)
    if width < 1 or node.end > size:
        raise InvalidInput(f"{node} is not in a tree of size {size}", field="node")
    return TileId(level, index, width)


# --------------------------------------------------------------------------- bytes


def split_hashes(data: bytes, tile: TileId) -> list[bytes]:
    """A hash tile's hashes; ChainBroken unless it is exactly ``width`` hashes."""
    if len(data) != tile.width * HASH_SIZE:
        raise ChainBroken(
            f"{tile} is {len(data)} bytes, expected {tile.width * HASH_SIZE}", field="tile"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries, each after its length as a big-endian uint16."""
    out = bytearray()
    for entry in entries:
        if len(entry) > _MAX_ENTRY:
            raise InvalidInput(f"a log entry is at most {_MAX_ENTRY} bytes", field="entry")
        out += len(entry).to_bytes(ENTRY_LENGTH_SIZE, "big") + entry
    return bytes(out)


def decode_bundle(data: bytes, bundle: TileId) -> list[bytes]:
    """The entries of an entry bundle; ChainBroken unless it holds exactly ``width``."""
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if at + ENTRY_LENGTH_SIZE > len(data):
            raise ChainBroken(f"{bundle} ends inside an entry's length", field="tile")
        length = int.from_bytes(data[at : at + ENTRY_LENGTH_SIZE], "big")
        at += ENTRY_LENGTH_SIZE
        if at + length > len(data):
            raise ChainBroken(f"{bundle} ends inside entry {len(entries)}", field="tile")
        entries.append(data[at : at + length])
        at += length
    if len(entries) != bundle.width:
        raise ChainBroken(
            f"{bundle} holds {len(entries)} entries, expected {bundle.width}", field="tile"
        )
    return entries


def subtree_hash(hashes: Sequence[bytes]) -> bytes:
    """MTH of a complete subtree whose 2**k bottom hashes are given (a full tile: k = 8)."""
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


# --------------------------------------------------------------------------- reading nodes


class TileNodes(Mapping[NodeId, bytes]):
    """Stored-node hashes read out of tiles: ``NodeId(8L + h, i)`` is the hash of the 2**h
    hashes of a level-L tile it covers. Hands :mod:`traceability.log.merkle` what it needs
    to rebuild roots and proofs from tiles alone."""

    def __init__(self, tiles: Mapping[tuple[int, int], Sequence[bytes]]) -> None:
        self._tiles = tiles
        self._made: dict[NodeId, bytes] = {}

    def __getitem__(self, node: NodeId) -> bytes:
        found = self._made.get(node)
        if found is not None:
            return found
        level, height = divmod(node.level, TILE_HEIGHT)
        first = node.index << height
        tile = self._tiles.get((level, first // TILE_WIDTH))
        start = first % TILE_WIDTH
        end = start + (1 << height)
        if tile is None or len(tile) < end:
            raise KeyError(node)
        value = subtree_hash(tile[start:end])
        self._made[node] = value
        return value

    def __iter__(self) -> Iterator[NodeId]:
        for (level, index), hashes in self._tiles.items():
            for i in range(len(hashes)):
                yield NodeId(level * TILE_HEIGHT, index * TILE_WIDTH + i)

    def __len__(self) -> int:
        return sum(len(h) for h in self._tiles.values())


# --------------------------------------------------------------------------- verifying


class TileVerifier:
    """Checks the tiles of one tree (``size``, ``root``, from a checkpoint one trusts).

    Order: first :meth:`add_edge` with every tile of :func:`edge_tiles` and
    :meth:`check_root`; then full tiles from the highest level down (:meth:`add_full`),
    each checked against its hash in the tile above; then entry bundles
    (:meth:`check_bundle`). Every method raises ChainBroken naming the tile that does
    not check, and returns only what checked."""

    def __init__(self, size: int, root: bytes) -> None:
        self.size = size
        self.root = root
        # Checked tiles by (level, index); level-0 tiles only while their bundle is due.
        self.tiles: dict[tuple[int, int], list[bytes]] = {}
        self._root_checked = size == 0

    def add_edge(self, tile: TileId, data: bytes) -> list[bytes]:
        """A partial tile, checked later as a whole by :meth:`check_root`."""
        hashes = split_hashes(data, tile)
        self.tiles[(tile.level, tile.index)] = hashes
        return hashes

    def check_root(self) -> None:
        """The edge tiles fold to the checkpoint's root."""
        try:
            root = root_from_nodes(self.size, TileNodes(self.tiles))
        except (KeyError, ChainBroken) as exc:
            raise ChainBroken(
                f"the partial tiles of size {self.size} are incomplete: {exc}", field="tile"
            ) from exc
        if root != self.root:
            raise ChainBroken(
                f"the tiles of the tree of size {self.size} give the root {root.hex()}, but the "
                f"checkpoint says {self.root.hex()}",
                field="tile",
            )
        self._root_checked = True

    def expected_hash(self, tile: TileId) -> bytes:
        """What the tile above says the full ``tile`` hashes to."""
        if not self._root_checked:
            raise ChainBroken("the root is not checked yet: add the edge tiles", field="tile")
        parent = self.tiles.get((tile.level + 1, tile.index // TILE_WIDTH))
        position = tile.index % TILE_WIDTH
        if parent is None or len(parent) <= position:
            raise ChainBroken(f"the tile above {tile} is not checked yet", field="tile")
        return parent[position]

    def add_full(self, tile: TileId, data: bytes, *, keep: bool = True) -> list[bytes]:
        hashes = split_hashes(data, tile)
        if subtree_hash(hashes) != self.expected_hash(tile):
            raise ChainBroken(
                f"{tile} does not hash to what the tile above it holds: it was altered",
                field="tile",
            )
        if keep:
            self.tiles[(tile.level, tile.index)] = hashes
        return hashes

    def check_bundle(self, bundle: TileId, data: bytes, hashes: Sequence[bytes]) -> list[bytes]:
        """An entry bundle against the checked level-0 tile ``hashes`` of the same place."""
        entries = decode_bundle(data, bundle)
        for position, (entry, expected) in enumerate(zip(entries, hashes, strict=True)):
            if leaf_hash(entry) != expected:
                raise ChainBroken(
                    f"entry {bundle.index * TILE_WIDTH + position} of {bundle} does not hash "
                    "to its leaf hash in the level-0 tile: it was altered",
                    field="tile",
                )
        return entries
