"""C2SP tlog-tiles, from the spec's text: paths, which tiles a tree has, and checking tiles
against a checkpoint root with nothing but the RFC 9162 definitions as the oracle."""

from __future__ import annotations

import pytest

from traceability.errors import ChainBroken, InvalidInput
from traceability.log.memory_tree import MemoryNodeStore, MemoryTree
from traceability.log.merkle import build_consistency_proof, build_inclusion_proof, leaf_hash
from traceability.log.tiles import (
    TileId,
    TileNodes,
    TileVerifier,
    bundles_for_size,
    decode_bundle,
    edge_tiles,
    encode_bundle,
    encode_index,
    parse_tile_path,
    tiles_for_size,
)


def test_an_index_is_written_in_three_digit_elements_all_but_the_last_prefixed_by_x() -> None:
    # The spec's own example.
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"


@pytest.mark.parametrize(
    ("path", "tile"),
    [
        ("0/x001/x234/067", TileId(0, 1234067)),
        ("1/000.p/17", TileId(1, 0, 17)),
        ("entries/x001/000", TileId(0, 1000, entries=True)),
        ("entries/005.p/255", TileId(0, 5, 255, entries=True)),
        ("63/000", TileId(63, 0)),
    ],
)
def test_a_tile_path_names_one_tile_and_is_written_back_the_same(path: str, tile: TileId) -> None:
    assert parse_tile_path(path) == tile
    assert tile.path() == f"tile/{path}"


@pytest.mark.parametrize(
    "path",
    [
        "0/1",  # not 3 digits
        "0/001/002",  # a non-final element without x
        "0/x001",  # the final element with x
        "00/001",  # a level with a leading zero
        "64/000",  # above level 63
        "0/001.p/0",  # no empty tiles
        "0/001.p/256",  # a partial tile is narrower than 256
        "0/001.p/017",  # a width with leading zeros
        "0/x000/001",  # a second spelling of 1
        "entries",
        "-1/000",
        "0/0a1",
    ],
)
def test_a_tile_path_the_spec_does_not_write_is_refused(path: str) -> None:
    with pytest.raises(InvalidInput):
        parse_tile_path(path)


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    tiles = tiles_for_size(70_000)
    full0 = [t for t in tiles if t.level == 0 and t.full]
    assert len(full0) == 273
    assert [t for t in tiles if not t.full] == [
        TileId(2, 0, 1),
        TileId(1, 1, 17),
        TileId(0, 273, 112),
    ]
    assert [t for t in tiles if t.level == 1 and t.full] == [TileId(1, 0)]
    assert tiles[0].level == 2  # highest level first


def test_a_tree_of_256_is_one_full_level_0_tile_and_a_level_1_tile_of_width_1() -> None:
    assert tiles_for_size(256) == [TileId(1, 0, 1), TileId(0, 0)]
    assert bundles_for_size(256) == [TileId(0, 0, entries=True)]
    assert tiles_for_size(0) == []


def test_entry_bundles_are_uint16_length_prefixed() -> None:
    entries = [b"", b"a", bytes(300)]
    data = encode_bundle(entries)
    assert data[:2] == b"\x00\x00" and data[2:5] == b"\x00\x01a" and data[5:7] == b"\x01\x2c"
    assert decode_bundle(data, TileId(0, 0, 3, entries=True)) == entries
    with pytest.raises(ChainBroken):
        decode_bundle(data[:-1], TileId(0, 0, 3, entries=True))
    with pytest.raises(ChainBroken):
        decode_bundle(data, TileId(0, 0, 4, entries=True))


def _tiles_of(store: MemoryNodeStore, size: int) -> dict[TileId, bytes]:
    """Tiles cut from a node store, the way a log serves them."""
    out: dict[TileId, bytes] = {}
    for tile in tiles_for_size(size):
        nodes = store.fetch(tile.node_ids())
        out[tile] = b"".join(nodes[n] for n in tile.node_ids())
    return out


def _grow(size: int) -> tuple[MemoryTree, MemoryNodeStore, list[bytes]]:
    entries = [i.to_bytes(32, "big") for i in range(size)]
    tree, store = MemoryTree(), MemoryNodeStore()
    for entry in entries:
        tree.append(entry)
        store.append(entry)
    return tree, store, entries


def _verify(size: int, root: bytes, tiles: dict[TileId, bytes]) -> TileVerifier:
    verifier = TileVerifier(size, root)
    for tile in edge_tiles(size):
        verifier.add_edge(tile, tiles[tile])
    verifier.check_root()
    for tile in tiles_for_size(size):
        if tile.full:
            verifier.add_full(tile, tiles[tile])
    return verifier


@pytest.mark.parametrize("size", [1, 255, 256, 257, 513, 65_536 + 300])
def test_tiles_rebuild_the_root_and_every_proof_the_rfc_defines(size: int) -> None:
    tree, store, entries = _grow(size)
    tiles = _tiles_of(store, size)
    verifier = _verify(size, tree.root(), tiles)
    nodes = TileNodes(verifier.tiles)
    for index in (0, size // 2, size - 1):
        assert build_inclusion_proof(index, size, nodes) == tree.inclusion_proof(index, size)
    for first in {1, size // 3 or 1, size}:
        assert build_consistency_proof(first, size, nodes) == tree.consistency_proof(first, size)
    for bundle in bundles_for_size(size)[-2:]:
        data = encode_bundle(entries[bundle.index * 256 : bundle.index * 256 + bundle.width])
        hashes = verifier.tiles[(0, bundle.index)]
        assert verifier.check_bundle(bundle, data, hashes)[0] == entries[bundle.index * 256]


def test_a_tile_with_one_byte_changed_is_refused() -> None:
    tree, store, _ = _grow(600)
    for target in tiles_for_size(600):
        tiles = _tiles_of(store, 600)
        altered = bytearray(tiles[target])
        altered[5] ^= 1
        tiles[target] = bytes(altered)
        with pytest.raises(ChainBroken):
            _verify(600, tree.root(), tiles)


def test_an_altered_entry_is_refused_against_its_checked_tile() -> None:
    tree, store, entries = _grow(300)
    verifier = _verify(300, tree.root(), _tiles_of(store, 300))
    forged = [*entries[:256]]
    forged[7] = b"\xff" * 32
    with pytest.raises(ChainBroken, match="entry 7"):
        verifier.check_bundle(
            TileId(0, 0, entries=True), encode_bundle(forged), verifier.tiles[(0, 0)]
        )
    assert leaf_hash(entries[7]) == verifier.tiles[(0, 0)][7]


def test_tiles_of_another_tree_do_not_pass_for_the_checkpoint() -> None:
    tree, _, _ = _grow(300)
    _, other, _ = _grow(301)
    tiles = _tiles_of(other, 301)
    with pytest.raises(ChainBroken):
        _verify(301, tree.root(), tiles)
