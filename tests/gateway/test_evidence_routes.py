"""What a shopper's browser (or anyone) reads to check a lot without an account: the lot's
evidence bundle, one log entry's C2SP tlog-proof, and the verifier script itself."""

from __future__ import annotations

import base64
import dataclasses

import httpx
import pytest

from gateway.app import create_app
from tests.factories.events import harvest
from tests.factories.lots import register_lot
from tests.factories.organizations import tenant
from traceability.chain.bundle_verify import verify_bundle
from traceability.log.merkle import leaf_hash
from traceability.log.note import NoteVerifier, open_checkpoint
from traceability.log.proof_verification import verify_inclusion
from traceability.log.tlog_proof import parse_tlog_proof
from traceability.portal import Portal


async def lot_with_events(client: httpx.AsyncClient, state: Portal, count: int) -> str:
    owner = await tenant(state)
    gtin = await register_lot(client, owner)
    for day in range(1, count + 1):
        event = harvest(gtin, "L1", eventTime=f"2026-10-{day:02d}T07:00:00+07:00")
        answer = await client.post("/api/v1/epcis/events", json=event, headers=owner.headers)
        assert answer.status_code == 201, answer.text
    return gtin


async def test_anyone_reads_a_lots_evidence_and_it_verifies_against_the_published_key(
    client: httpx.AsyncClient, state: Portal
) -> None:
    gtin = await lot_with_events(client, state, 3)
    answer = await client.get(f"/api/v1/evidence/lots/{gtin}/L1")  # no API key
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    log_key = (await client.get("/log/key")).text.strip()
    report = verify_bundle(answer.json(), log_key)
    assert report.ok, report.lines
    assert report.checked == 3
    assert all(
        e["tlog_proof"].startswith("c2sp.org/tlog-proof@v1\n") for e in answer.json()["events"]
    )


async def test_the_evidence_of_a_lot_no_event_names_is_404_problem_json(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/api/v1/evidence/lots/09506000134352/NOPE")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


async def test_the_evidence_of_a_gtin_with_a_wrong_check_digit_is_400(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/api/v1/evidence/lots/09506000134353/L1")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"


async def test_one_entrys_tlog_proof_proves_it_in_the_signed_checkpoint(
    client: httpx.AsyncClient, state: Portal
) -> None:
    """c2sp.org/tlog-proof: header, index, the inclusion path bottom-up (base64), a blank
    line, the checkpoint verbatim; checked here with nothing but the published log key."""
    await lot_with_events(client, state, 5)
    verifier = NoteVerifier.from_key((await client.get("/log/key")).text.strip())
    for index in (0, 3, 4):
        answer = await client.get(f"/log/leaves/{index}/proof")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        proof = parse_tlog_proof(answer.text)
        assert answer.text.startswith(f"c2sp.org/tlog-proof@v1\nindex {index}\n")
        checkpoint = open_checkpoint(verifier, proof.checkpoint)
        assert checkpoint.size == 5
        event_hash = bytes.fromhex((await client.get(f"/log/leaves/{index}")).json()["event_hash"])
        assert verify_inclusion(
            leaf_hash(event_hash), index, checkpoint.size, list(proof.path), checkpoint.root_hash
        )
        assert [base64.b64encode(h).decode() for h in proof.path] == answer.text.split("\n")[
            2 : 2 + len(proof.path)
        ]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/log/leaves/2/proof", 404),  # the log holds entries 0 and 1
        ("/log/leaves/9223372036854775806/proof", 404),
        ("/log/leaves/01/proof", 400),  # one decimal spelling only, as /log/leaves/{index}
        ("/log/leaves/x/proof", 400),
    ],
)
async def test_a_proof_of_an_entry_the_log_does_not_hold_is_refused_with_problem_json(
    client: httpx.AsyncClient, state: Portal, path: str, status: int
) -> None:
    await lot_with_events(client, state, 2)
    answer = await client.get(path)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_the_verifier_script_is_the_portals_own_javascript(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/static/verify.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "crypto.subtle" in answer.text
    assert "http://" not in answer.text and "https://" not in answer.text  # loads nothing else


async def test_a_page_saved_elsewhere_may_read_a_lots_evidence(
    client: httpx.AsyncClient, state: Portal
) -> None:
    """The /verify page saved to a phone has no origin of this portal's: the evidence answers
    any origin (it is public and needs no credentials)."""
    gtin = await lot_with_events(client, state, 1)
    answer = await client.get(f"/api/v1/evidence/lots/{gtin}/L1", headers={"Origin": "null"})
    assert answer.headers["access-control-allow-origin"] == "*"


async def test_a_portal_that_keeps_events_private_publishes_no_evidence(
    client: httpx.AsyncClient, state: Portal
) -> None:
    gtin = await lot_with_events(client, state, 1)
    private = dataclasses.replace(
        state, settings=state.settings.model_copy(update={"public_evidence": False})
    )
    app = create_app(private.settings)
    app.state.portal = private
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as closed:
        answer = await closed.get(f"/api/v1/evidence/lots/{gtin}/L1")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert "TRACE_PUBLIC_EVIDENCE" in answer.json()["detail"]
        # The page itself still shows, with the portal's own check.
        assert (await closed.get(f"/01/{gtin}/10/L1", headers={"Accept": "text/html"})).is_success
    assert (await client.get(f"/api/v1/evidence/lots/{gtin}/L1")).status_code == 200
