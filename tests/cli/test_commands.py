"""The `traceability` console script, as a person or a script would use it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.factories.organizations import gtin_for
from tests.servers import serving
from traceability.cli import app
from traceability.config import local_base_url
from traceability.log.note import NoteVerifier, open_checkpoint

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve"],
        ["demo"],
        ["org"],
        ["org", "create"],
        ["keys"],
        ["keys", "generate"],
        ["keys", "register"],
        ["keys", "create"],
        ["keys", "list"],
        ["keys", "revoke"],
        ["links"],
        ["links", "upload"],
        ["submit"],
        ["verify"],
        ["audit-log"],
        ["seed"],
        ["migrate"],
    ],
    ids=" ".join,
)
def test_every_command_has_help(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_org_create_json_prints_the_id_and_the_key_once(env: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        [
            "org",
            "create",
            "--name",
            "HTX Nông nghiệp Mỹ Xuyên",
            "--role",
            "producer",
            "--tax-code",
            "2200123456",
            "--gs1-prefix",
            "8936012",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["organization_id"]
    assert created["api_key"].startswith("trc_")
    assert created["signing_key_id"].startswith("ed25519:")
    # Only a hash is stored: the plaintext key is nowhere in the database file.
    database = Path(env["TRACE_DATA_DIR"]) / "traceability.db"
    assert created["api_key"].encode() not in database.read_bytes()


def test_org_create_refuses_bad_input_with_a_clear_message(env: dict[str, str]) -> None:
    result = runner.invoke(
        app, ["org", "create", "--name", "X", "--role", "producer", "--tax-code", "12"]
    )
    assert result.exit_code == 2
    assert "tax_code" in result.output and "10 digits" in result.output
    assert "Traceback" not in result.output


def test_a_duplicate_tax_code_is_refused(env: dict[str, str]) -> None:
    args = ["org", "create", "--name", "A", "--role", "producer", "--tax-code", "2200123456"]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "already" in again.output or "exists" in again.output


def test_serve_upgrades_the_database_and_serves_the_log(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json()["status"] == "ok"
    key = httpx.get(f"{server}/log/key").text.strip()
    note = httpx.get(f"{server}/log/checkpoint").text
    assert open_checkpoint(NoteVerifier.from_key(key), note).size == 0
    assert httpx.get(f"{server}/openapi.json").json()["paths"]


def test_serve_without_a_base_url_points_its_links_at_its_own_port(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server moved to another port must not print QR codes that point at the default one.
    monkeypatch.delenv("TRACE_BASE_URL")
    with serving({k: v for k, v in env.items() if k != "TRACE_BASE_URL"}) as url:
        resolver = httpx.get(f"{url}/.well-known/gs1resolver").json()
    assert not url.endswith(":8000")
    assert resolver["resolverRoot"] == url


@pytest.mark.parametrize(
    "host,port,expected",
    [
        ("127.0.0.1", 9000, "http://127.0.0.1:9000"),
        ("0.0.0.0", 8080, "http://127.0.0.1:8080"),
        ("::1", 9000, "http://[::1]:9000"),
        ("truyxuat.local", 80, "http://truyxuat.local:80"),
    ],
)
def test_the_default_base_url_is_where_the_server_answers(
    host: str, port: int, expected: str
) -> None:
    assert local_base_url(host, port) == expected


def test_a_business_signs_with_its_own_key_from_the_command_line(
    server: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = json.loads(
        runner.invoke(
            app,
            [
                "org",
                "create",
                "--name",
                "HTX",
                "--role",
                "producer",
                "--gs1-prefix",
                "8936012",
                "--json",
            ],
        ).stdout
    )
    headers = {"Authorization": f"Bearer {created['api_key']}"}
    gtin = gtin_for("8936012", 5)
    httpx.post(f"{server}/api/v1/products", json={"gtin": gtin, "name": "Gạo"}, headers=headers)
    monkeypatch.setenv("TRACE_API_URL", server)
    monkeypatch.setenv("TRACE_API_KEY", created["api_key"])
    key = tmp_path / "own.key"
    assert runner.invoke(app, ["keys", "generate", "--out", str(key)]).exit_code == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    registered = runner.invoke(app, ["keys", "register", "--key", str(key), "--json"])
    assert registered.exit_code == 0, registered.output
    assert json.loads(registered.stdout)["key_id"].startswith("ed25519:")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "type": "ObjectEvent",
                "action": "ADD",
                "bizStep": "commissioning",
                "eventTime": "2026-10-30T07:15:00+07:00",
                "eventTimeZoneOffset": "+07:00",
                "quantityList": [
                    {"epcClass": f"https://id.gs1.org/01/{gtin}/10/L1", "quantity": 5}
                ],
            }
        )
    )
    submitted = runner.invoke(app, ["submit", str(event), "--key", str(key), "--json"])
    assert submitted.exit_code == 0, submitted.output
    answer = json.loads(submitted.stdout)
    assert answer["logIndex"] == 0 and answer["eventID"] and len(answer["eventHash"]) == 64
    event.write_text(event.read_text().replace("07:15:00", "09:30:00"))
    again = runner.invoke(app, ["submit", str(event), "--key", str(key)])
    assert again.exit_code == 0, again.output
    assert "log index 1" in again.output
    audit = httpx.get(f"{server}/api/v1/audit/lots/{gtin}/L1", headers=headers).json()
    assert audit["intact"] and audit["events"][0]["signed_by"] == "organization"


def test_several_workers_without_redis_are_refused(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACE_REDIS_URL", raising=False)
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "TRACE_REDIS_URL" in result.output
