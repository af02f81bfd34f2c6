"""The log's identity is fixed at its birth.

The demo is seeded with one TRACE_BASE_URL and the server started with another (a new
port, a new host name): the log keeps its origin and key, and every page, audit and
bundle still verifies. A configured origin or key that disagrees with the log's is
refused at start-up with a message that says what to do.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from gateway.app import create_app
from tests.conftest import TEST_MASTER_KEY
from tests.factories.organizations import tenant
from traceability.cli import app as cli
from traceability.config import Settings
from traceability.crypto.signing import private_key_raw
from traceability.errors import LogIdentityMismatch
from traceability.identifiers.digital_link import parse_digital_link
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo

runner = CliRunner()
JSON = {"accept": "application/json"}
BORN_AT = "https://truyxuat.example.vn"  # the `settings` fixture's base URL


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app as `serve` runs it: its start-up (which opens the log) included."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def demo_lot_path(state: Portal) -> str:
    summary = await seed_demo(state.database, state.registry, state.ledger, state.settings.base_url)
    _, url = summary.sample_links[0]
    return parse_digital_link(url).canonical_path


async def test_a_new_base_url_keeps_the_logs_origin_and_every_proof(
    state: Portal, tmp_path: Path
) -> None:
    path = await demo_lot_path(state)
    moved = state.settings.model_copy(update={"base_url": "http://127.0.0.1:9000"})
    async with served(moved) as http:
        note = (await http.get("/log/checkpoint")).text
        assert note.startswith("truyxuat.example.vn/log\n")
        key = (await http.get("/log/key")).text.strip()
        assert key.startswith("truyxuat.example.vn/log+")

        page = await http.get(path, headers=JSON)
        assert page.status_code == 200, page.text
        assert page.json()["verification"]["intact"] is True

        inspector = await _inspector_headers(state)
        gtin, lot = path.split("/")[2], path.split("/")[4]
        audit = await http.get(f"/api/v1/audit/lots/{gtin}/{lot}", headers=inspector)
        assert audit.status_code == 200, audit.text
        assert audit.json()["intact"] is True
        bundle = await http.get(f"/api/v1/audit/lots/{gtin}/{lot}/bundle", headers=inspector)
        assert bundle.status_code == 200, bundle.text
    saved = tmp_path / "bundle.json"
    saved.write_bytes(bundle.content)
    checked = runner.invoke(cli, ["verify", str(saved), "--log-key", key])
    assert checked.exit_code == 0, checked.output


async def _inspector_headers(state: Portal) -> dict[str, str]:
    inspector = await tenant(state, "inspector", name="Chi cục kiểm tra")
    return inspector.headers


async def test_a_pinned_origin_that_is_not_the_logs_is_refused_at_start_up(state: Portal) -> None:
    pinned = state.settings.model_copy(update={"log_origin": "other.example.vn/log"})
    with pytest.raises(LogIdentityMismatch, match="TRACE_LOG_ORIGIN") as refused:
        async with served(pinned):
            pass
    assert "truyxuat.example.vn/log" in str(refused.value)


async def test_another_log_key_is_refused_at_start_up(state: Portal) -> None:
    other = base64.b64encode(private_key_raw(Ed25519PrivateKey.generate())).decode()
    rekeyed = state.settings.model_copy(update={"log_signing_key": other})
    with pytest.raises(LogIdentityMismatch, match="restore the key it was created with"):
        async with served(rekeyed):
            pass


async def test_a_log_from_before_identities_takes_the_one_its_checkpoints_show(
    state: Portal,
) -> None:
    path = await demo_lot_path(state)
    async with state.database.writer.begin() as connection:
        await connection.execute(text("DELETE FROM log_identity"))
    moved = state.settings.model_copy(update={"base_url": "http://localhost:8080"})
    async with served(moved) as http:
        assert (await http.get("/log/checkpoint")).text.startswith("truyxuat.example.vn/log\n")
        page = await http.get(path, headers=JSON)
        assert page.json()["verification"]["intact"] is True


def test_serve_refuses_to_start_with_another_origin_and_says_what_to_do(tmp_path: Path) -> None:
    env = {
        "TRACE_DATA_DIR": str(tmp_path / "var"),
        "TRACE_MASTER_KEY": TEST_MASTER_KEY,
        "TRACE_BASE_URL": "http://127.0.0.1:8000",
    }
    seeded = runner.invoke(
        cli, ["org", "create", "--name", "HTX", "--role", "producer", "--json"], env=env
    )
    assert seeded.exit_code == 0, seeded.output
    assert json.loads(seeded.stdout)["organization_id"]
    refused = runner.invoke(cli, ["serve"], env=env | {"TRACE_LOG_ORIGIN": "elsewhere/log"})
    assert refused.exit_code == 2
    assert "TRACE_LOG_ORIGIN" in refused.output
    assert "127.0.0.1:8000/log" in refused.output
    assert "Traceback" not in refused.output
    assert BORN_AT not in refused.output
