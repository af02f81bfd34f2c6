"""C2SP tlog-tiles over HTTP, checked the way an outside tiles client checks them: nothing
but the checkpoint, the log key and tiles rebuild the root and every proof, and they agree
with the log's own RFC 9162 proof endpoints."""

from __future__ import annotations

import httpx
import pytest

from gateway.routes import log as log_routes
from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.log.merkle import build_consistency_proof, build_inclusion_proof, leaf_hash
from traceability.log.note import Checkpoint, NoteVerifier, open_checkpoint
from traceability.log.tiles import (
    TileId,
    TileNodes,
    TileVerifier,
    bundles_for_size,
    edge_tiles,
    tiles_for_size,
)
from traceability.portal import Portal
from traceability.services.ledger import Appended

SIZE = 600  # two full level-0 tiles, a partial one of 88, a level-1 tile of width 2


async def grow(state: Portal, events: int) -> list[Appended]:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    return await append(state, org, [lot], count=events)


async def checkpoint(client: httpx.AsyncClient) -> Checkpoint:
    key = (await client.get("/log/key")).text.strip()
    return open_checkpoint(NoteVerifier.from_key(key), (await client.get("/log/checkpoint")).text)


async def fetch(client: httpx.AsyncClient, tile: TileId) -> bytes:
    response = await client.get(f"/log/{tile.path()}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    return response.content


async def verified_tiles(client: httpx.AsyncClient, opened: Checkpoint) -> TileVerifier:
    verifier = TileVerifier(opened.size, opened.root_hash)
    for tile in edge_tiles(opened.size):
        verifier.add_edge(tile, await fetch(client, tile))
    verifier.check_root()
    for tile in tiles_for_size(opened.size):
        if tile.full:
            verifier.add_full(tile, await fetch(client, tile))
    return verifier


async def test_tiles_rebuild_the_checkpoint_root_and_the_logs_own_proofs(
    client: httpx.AsyncClient, state: Portal
) -> None:
    await grow(state, SIZE)
    opened = await checkpoint(client)
    assert opened.size == SIZE
    verifier = await verified_tiles(client, opened)  # raises unless the root is rebuilt
    nodes = TileNodes(verifier.tiles)
    for index in (0, 255, 256, 511, 599):
        served = (await client.get(f"/log/proof/inclusion?index={index}&size={SIZE}")).json()
        assert [h.hex() for h in build_inclusion_proof(index, SIZE, nodes)] == served["hashes"]
        assert verifier.tiles[(0, index // 256)][index % 256].hex() == served["leaf_hash"]
    for first in (1, 256, 300, 599):
        served = (await client.get(f"/log/proof/consistency?first={first}&second={SIZE}")).json()
        assert [h.hex() for h in build_consistency_proof(first, SIZE, nodes)] == served["hashes"]


async def test_entry_bundles_hold_the_event_hashes_the_level_0_tiles_hash(
    client: httpx.AsyncClient, state: Portal
) -> None:
    appended = await grow(state, SIZE)
    opened = await checkpoint(client)
    verifier = await verified_tiles(client, opened)
    entries: list[bytes] = []
    for bundle in bundles_for_size(SIZE):
        data = await fetch(client, bundle)
        entries += verifier.check_bundle(bundle, data, verifier.tiles[(0, bundle.index)])
    assert entries == [a.event_hash for a in appended]
    assert leaf_hash(entries[7]) == verifier.tiles[(0, 0)][7]


async def test_a_full_tile_is_immutable_and_a_partial_one_short_lived(
    client: httpx.AsyncClient, state: Portal
) -> None:
    await grow(state, SIZE)
    full = await client.get("/log/tile/0/001")
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len(full.content) == 8192
    partial = await client.get("/log/tile/0/002.p/88")
    assert partial.headers["cache-control"] == "public, max-age=60"
    assert len(partial.content) == 88 * 32
    # A narrower partial tile of a tree size the log passed is the same hashes' prefix.
    assert (await client.get("/log/tile/0/002.p/10")).content == partial.content[: 10 * 32]
    bundle = await client.get("/log/tile/entries/000", headers={"accept-encoding": "identity"})
    assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len(bundle.content) == 256 * 34
    again = await client.get("/log/tile/0/001", headers={"if-none-match": full.headers["etag"]})
    assert again.status_code == 304


async def test_a_tile_the_tree_does_not_have_yet_is_404_and_appears_once_it_grows(
    client: httpx.AsyncClient, state: Portal
) -> None:
    await grow(state, 300)
    far = "/".join(["x999"] * 8 + ["999"])  # a tile beyond any 64-bit tree
    for path in ("0/001", "entries/001", "0/001.p/45", "1/000", "0/x001/000", f"0/{far}", "63/000"):
        missing = await client.get(f"/log/tile/{path}")
        assert missing.status_code == 404, path
        assert missing.headers["content-type"] == "application/problem+json"
    assert len((await client.get("/log/tile/0/001.p/44")).content) == 44 * 32
    await grow(state, 212)
    assert len((await client.get("/log/tile/0/001")).content) == 8192
    assert len((await client.get("/log/tile/1/000.p/2")).content) == 64


@pytest.mark.parametrize(
    "path", ["0/1", "0/001/002", "00/000", "64/000", "0/000.p/0", "0/000.p/256", "0/x000/001"]
)
async def test_a_tile_path_the_spec_does_not_write_is_a_problem_not_a_crash(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(f"/log/tile/{path}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "tile" in response.json()["detail"] or "width" in response.json()["detail"]


async def test_reading_tiles_signs_and_stores_nothing(
    client: httpx.AsyncClient, state: Portal
) -> None:
    await grow(state, 260)
    before = (await client.get("/log/checkpoint")).text
    for path in ("0/000", "0/001.p/4", "entries/000", "0/009"):
        await client.get(f"/log/tile/{path}")
    assert (await client.get("/log/checkpoint")).text == before


async def test_a_tile_asked_for_before_is_answered_from_the_cache_before_routing(
    client: httpx.AsyncClient, state: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    await grow(state, 260)
    first = await client.get("/log/tile/0/000")

    async def no_route(*args: object) -> None:
        raise AssertionError("the tile route ran for a cached tile")

    monkeypatch.setattr(log_routes, "load_tile", no_route)
    again = await client.get("/log/tile/0/000")
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert again.headers["content-type"] == "application/octet-stream"
