"""Secrets at rest and in logs.

API keys are stored only as hashes; private keys the portal holds for businesses are
sealed under the master key; no API key, Bearer token, master key, private key or
private event data reaches the logs, on success or on failure.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import text

from tests.apps import app_for
from tests.conftest import TEST_MASTER_KEY
from tests.factories.events import harvest
from tests.factories.organizations import gtin_for, make_org
from tests.gateway.test_client_signing import client_for
from traceability.crypto.sealing import seal, unseal
from traceability.crypto.signing import SigningKey, private_key_raw
from traceability.db.models import Base
from traceability.errors import BadSignature
from traceability.keyring import LOG_KEY_FILE, MASTER_KEY_FILE, load_keyring
from traceability.logging import configure_logging
from traceability.portal import Portal
from traceability.services.registry import API_KEY_PREFIX, hash_api_key

# A value only the business and the portal's database should know (a buyer's order number).
PRIVATE_MARKER = "PO-CONFIDENTIAL-7f3a9c"


@pytest.fixture
async def client(state: Portal) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway over the test's portal; a crash is the 500 a client would get."""
    app = app_for(state.settings)
    app.state.portal = state
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def stored_values(state: Portal) -> list[tuple[str, str, bytes]]:
    """Every non-null value of every column of every table, as bytes: (table, column, value)."""
    found: list[tuple[str, str, bytes]] = []
    async with state.database.writer.connect() as connection:
        for table in Base.metadata.sorted_tables:
            result = await connection.execute(text(f"SELECT * FROM {table.name}"))
            columns = list(result.keys())
            for row in result.all():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes | bytearray | memoryview):
                        data = bytes(value)
                    elif isinstance(value, dict | list):
                        data = json.dumps(value, ensure_ascii=False).encode()
                    else:
                        data = str(value).encode()
                    found.append((table.name, column, data))
    return found


def spellings(raw: bytes) -> list[bytes]:
    """The ways a binary secret could be written down: raw, hex, base64 (both alphabets)."""
    return [
        raw,
        raw.hex().encode(),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
    ]


def holding(values: list[tuple[str, str, bytes]], needles: list[bytes]) -> list[str]:
    return [f"{t}.{c}" for t, c, v in values for n in needles if n in v]


# --- API keys -------------------------------------------------------------------------------------


async def test_api_keys_are_stored_only_as_hashes(client: httpx.AsyncClient, state: Portal) -> None:
    admin = await make_org(state, role="admin")
    created = await client.post(
        "/api/v1/organizations",
        json={"name": "HTX Bí mật", "role": "producer", "gs1_prefixes": ["8936123"]},
        headers=bearer(admin.created.api_key),
    )
    assert created.status_code == 201, created.text
    first = created.json()["api_key"]
    made = await client.post("/api/v1/keys", json={"label": "ERP"}, headers=bearer(first))
    assert made.status_code == 201, made.text
    second = made.json()["api_key"]
    plaintexts = [admin.created.api_key, first, second]
    assert all(k.startswith(API_KEY_PREFIX) for k in plaintexts)

    values = await stored_values(state)
    secret_parts = [k.removeprefix(API_KEY_PREFIX) for k in plaintexts]
    assert holding(values, [s.encode() for s in plaintexts + secret_parts]) == []
    stored_hashes = {v.decode() for t, c, v in values if (t, c) == ("api_keys", "key_hash")}
    assert {hash_api_key(k) for k in plaintexts} <= stored_hashes
    hints = [v.decode() for t, c, v in values if (t, c) == ("api_keys", "hint")]
    assert all(len(h) <= len(API_KEY_PREFIX) + 4 for h in hints)
    # Listing the keys shows their hints, never the keys.
    listed = await client.get("/api/v1/keys", headers=bearer(first))
    assert listed.status_code == 200
    assert first not in listed.text and second not in listed.text


# --- keys the portal holds ------------------------------------------------------------------------


async def test_private_keys_the_portal_holds_are_sealed_under_the_master_key(
    client: httpx.AsyncClient, state: Portal
) -> None:
    owner = await make_org(state)
    extra = await client.post(
        "/api/v1/signing-keys", json={"custody": "portal"}, headers=bearer(owner.created.api_key)
    )
    assert extra.status_code == 201, extra.text
    async with state.database.writer.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT key_id, public_key, sealed_private_key FROM signing_keys "
                    "WHERE organization_id = :org AND custody = 'portal'"
                ),
                {"org": owner.id},
            )
        ).all()
    assert {r[0] for r in rows} == {owner.created.signing_key_id, extra.json()["key_id"]}

    master = base64.b64decode(TEST_MASTER_KEY)
    values = await stored_values(state)
    for key_id, public, sealed in rows:
        sealed = bytes(sealed)
        raw = unseal(master, sealed, associated=key_id)
        # It is this key's private half...
        assert SigningKey.from_raw(raw).public_raw == bytes(public)
        # ...which no column holds in any spelling...
        assert holding(values, spellings(raw)) == []
        # ...and only the master key opens, for this key id only.
        with pytest.raises(BadSignature):
            unseal(secrets.token_bytes(32), sealed, associated=key_id)
        with pytest.raises(BadSignature):
            unseal(master, sealed, associated="ed25519:" + "0" * 32)
        assert seal(master, raw, associated=key_id) != sealed  # a fresh nonce every time
    # The portal's own secrets are not in the database either.
    log_key = (state.settings.data_dir / LOG_KEY_FILE).read_text().strip()
    assert holding(values, spellings(master) + spellings(base64.b64decode(log_key))) == []


# --- logs -----------------------------------------------------------------------------------------


@dataclass
class Secrets:
    texts: list[str] = field(default_factory=list)
    binary: list[bytes] = field(default_factory=list)

    def found_in(self, output: str) -> list[str]:
        hits = [s for s in self.texts if s in output]
        for raw in self.binary:
            # Text spellings, and Python's repr as a logged parameter would show the bytes.
            written = [s.decode() for s in spellings(raw)[1:]] + [repr(raw)[2:-1]]
            hits += [s for s in written if s in output]
        return hits


@pytest.fixture(params=["console", "json"])
def captured_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[pytest.LogCaptureFixture]:
    """structlog as `serve` configures it, at its most verbose (TRACE_LOG_LEVEL=debug).

    Standard logging stays at the level `serve` leaves it (WARNING: uvicorn configures
    only its own loggers, with access logs off). Turning SQLAlchemy's statement logging
    on (INFO) would print event bodies as SQL parameters: that is outside this guarantee.
    """
    configure_logging("debug", json_logs=request.param == "json")
    caplog.set_level(logging.WARNING)
    yield caplog
    structlog.reset_defaults()


async def test_no_key_token_or_private_data_reaches_the_logs(
    client: httpx.AsyncClient,
    state: Portal,
    captured_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    watch = Secrets(texts=[PRIVATE_MARKER], binary=[base64.b64decode(TEST_MASTER_KEY)])
    # The portal's own keys, generated on a first start, are logged only by their path.
    fresh = state.settings.model_copy(
        update={"data_dir": tmp_path / "fresh", "master_key": None, "log_signing_key": None}
    )
    load_keyring(fresh)
    for name in (MASTER_KEY_FILE, LOG_KEY_FILE):
        watch.binary.append(base64.b64decode((tmp_path / "fresh" / name).read_text()))
    watch.binary.append(base64.b64decode((state.settings.data_dir / LOG_KEY_FILE).read_text()))

    admin = await make_org(state, role="admin")
    watch.texts.append(admin.created.api_key)
    created = await client.post(
        "/api/v1/organizations",
        json={"name": "HTX Nhật ký", "role": "producer", "gs1_prefixes": ["8936124"]},
        headers=bearer(admin.created.api_key),
    )
    owner = created.json()["api_key"]
    watch.texts.append(owner)
    second = (await client.post("/api/v1/keys", json={}, headers=bearer(owner))).json()["api_key"]
    watch.texts.append(second)
    gtin = gtin_for("8936124", 1)
    for path, body in (
        ("/api/v1/products", {"gtin": gtin, "name": "Gạo"}),
        ("/api/v1/lots", {"gtin": gtin, "lot": "L1"}),
    ):
        response = await client.post(path, json=body, headers=bearer(owner))
        assert response.status_code == 201, response.text
    order = {"type": "po", "bizTransaction": f"urn:x:{PRIVATE_MARKER}"}
    recorded = await client.post(
        "/api/v1/epcis/events",
        json=harvest(gtin, "L1", bizTransactionList=[order]),
        headers=bearer(owner),
    )
    assert recorded.status_code == 201, recorded.text
    # A business signing with its own key: the key never leaves it, but check anyway.
    own = SigningKey.generate()
    watch.binary.append(private_key_raw(own.private_key))
    async with client_for(state, owner) as portal:
        await portal.register_key(own)
        await portal.submit_signed(harvest(gtin, "L1", eventTime="2026-10-31T07:00:00+07:00"), own)
    # The private key the portal holds for the business, as it is when signing.
    async with state.database.writer.connect() as connection:
        [(key_id, sealed)] = (
            await connection.execute(
                text(
                    "SELECT key_id, sealed_private_key FROM signing_keys "
                    "WHERE custody = 'portal' AND organization_id = :org"
                ),
                {"org": created.json()["organization"]["id"]},
            )
        ).all()
    watch.binary.append(unseal(state.keyring.master_key, bytes(sealed), associated=key_id))

    # Failures: a wrong key, a near miss of a real one, a revoked one, bad input, a crash.
    wrong = API_KEY_PREFIX + secrets.token_urlsafe(32)
    near_miss = owner[:-1] + ("A" if owner[-1] != "A" else "B")
    watch.texts += [wrong, near_miss]
    for attempt in (wrong, near_miss):
        refused = await client.get("/api/v1/me", headers=bearer(attempt))
        assert refused.status_code == 401
        assert attempt not in refused.text  # nor echoed back
    keys = (await client.get("/api/v1/keys", headers=bearer(owner))).json()
    [second_row] = [k for k in keys if second.startswith(k["hint"]) and k["label"] is None]
    assert (
        await client.delete(f"/api/v1/keys/{second_row['id']}", headers=bearer(owner))
    ).status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 401
    bad = await client.post(
        "/api/v1/epcis/events",
        json=harvest("08930000000018", "L1", bizTransactionList=[order]),
        headers=bearer(owner),
    )
    assert bad.status_code == 400, bad.text
    assert (
        await client.post("/api/v1/products", json={"gtin": "1"}, headers=bearer(owner))
    ).status_code == 400

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(state.trace, "one_step", crash)
    crashed = await client.get(f"/api/v1/audit/lots/{gtin}/L1/one-step", headers=bearer(owner))
    assert crashed.status_code == 500
    assert crashed.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in crashed.text and "went away" not in crashed.text

    output = capsys.readouterr()
    logs = output.out + output.err + captured_logs.text
    # The logs are really captured: the crash and the generated keys are in them.
    assert "unhandled_error" in logs and "the database went away" in logs
    assert "master_key_generated" in logs and "log_key_generated" in logs
    assert watch.found_in(logs) == []
    assert "Bearer" not in logs and API_KEY_PREFIX not in logs
