"""The public log endpoints, checked the way an outside CT-style verifier would check them."""

from __future__ import annotations

import httpx
import pytest

from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.log.merkle import leaf_hash
from traceability.log.note import NoteVerifier, open_checkpoint
from traceability.log.proof_verification import verify_consistency, verify_inclusion
from traceability.portal import Portal


async def grow_log(state: Portal, events: int) -> list:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    return await append(state, org, [lot], count=events)


async def checkpoint(client: httpx.AsyncClient):
    key = (await client.get("/log/key")).text.strip()
    note = await client.get("/log/checkpoint")
    assert note.headers["content-type"].startswith("text/plain")
    return open_checkpoint(NoteVerifier.from_key(key), note.text)


async def test_health_reports_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "log": {"size": 0, "signed_size": 0, "problem": None},
    }
    assert response.headers["x-request-id"]


async def test_the_checkpoint_is_a_signed_note_of_the_current_tree(
    client: httpx.AsyncClient, state: Portal
) -> None:
    await grow_log(state, 7)
    opened = await checkpoint(client)
    assert opened.size == 7
    assert opened.origin == "truyxuat.example.vn/log"


async def test_the_checkpoint_of_an_empty_log_is_size_zero(client: httpx.AsyncClient) -> None:
    assert (await checkpoint(client)).size == 0


async def test_an_inclusion_proof_verifies_against_the_checkpoint_root(
    client: httpx.AsyncClient, state: Portal
) -> None:
    appended = await grow_log(state, 13)
    opened = await checkpoint(client)
    for index in (0, 6, 12):
        body = (await client.get(f"/log/proof/inclusion?index={index}&size=13")).json()
        assert body["leaf_hash"] == leaf_hash(appended[index].event_hash).hex()
        hashes = [bytes.fromhex(h) for h in body["hashes"]]
        assert verify_inclusion(
            bytes.fromhex(body["leaf_hash"]), index, 13, hashes, opened.root_hash
        )


async def test_a_consistency_proof_links_an_old_checkpoint_to_a_new_one(
    client: httpx.AsyncClient, state: Portal
) -> None:
    await grow_log(state, 5)
    old = await checkpoint(client)
    await grow_log(state, 6)
    new = await checkpoint(client)
    body = (await client.get(f"/log/proof/consistency?first={old.size}&second={new.size}")).json()
    proof = [bytes.fromhex(h) for h in body["hashes"]]
    assert verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)


async def test_a_leaf_names_its_event(client: httpx.AsyncClient, state: Portal) -> None:
    appended = await grow_log(state, 2)
    body = (await client.get("/log/leaves/1")).json()
    assert body["event_hash"] == appended[1].event_hash.hex()
    assert body["event_id"] == appended[1].record.event_id


@pytest.mark.parametrize(
    "path",
    [
        "/log/proof/inclusion?index=0&size=4",
        "/log/proof/inclusion?index=3&size=3",
        "/log/proof/inclusion?index=-1&size=3",
        "/log/proof/consistency?first=1&second=4",
        "/log/proof/consistency?first=3&second=2",
        "/log/proof/consistency?first=0&second=3",
        "/log/proof/inclusion?index=x&size=3",
    ],
)
async def test_proofs_beyond_the_tree_are_refused_with_problem_json(
    client: httpx.AsyncClient, state: Portal, path: str
) -> None:
    await grow_log(state, 3)
    response = await client.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert problem["detail"]


async def test_an_unknown_leaf_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/log/leaves/5")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/log/leaves/1.0",
        "/log/leaves/01",
        "/log/leaves/+1",
        "/log/leaves/1_0",
        "/log/leaves/-0",
        "/log/proof/inclusion?index=0&size=2.0",
        "/log/proof/consistency?first=01&second=2",
    ],
)
async def test_indexes_and_sizes_are_read_only_in_their_one_decimal_form(
    client: httpx.AsyncClient, state: Portal, path: str
) -> None:
    """Answers are cached as immutable per URL: one number, one URL."""
    await grow_log(state, 2)
    response = await client.get(path)
    assert response.status_code == 400
    assert "decimal digits" in response.json()["detail"]
