"""What the commands print: whole lines off a terminal (an id, a key or a path is never cut
at 80 columns) and, with --json, one JSON object on stdout with every note on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.factories.commands import api_key_by_command, organization_by_command
from tests.unit.chain.test_bundle import LOG_KEY, make_bundle
from traceability.cli import app

runner = CliRunner()


def line_with(text: str, output: str) -> str:
    [line] = [line for line in output.splitlines() if text in line]
    return line


def test_a_key_shown_once_stays_on_one_line_with_its_warning(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["org", "create", "--name", "Công ty " * 12, "--role", "producer"])
    assert result.exit_code == 0, result.output
    [secret] = [word for word in result.stdout.split() if word.startswith("trc_")]
    assert "(shown once; keep it safe)" in line_with(secret, result.stdout)
    assert len(line_with(secret, result.stdout)) > 80


def test_a_long_path_is_printed_whole(tmp_path: Path) -> None:
    folder = tmp_path / ("a-rather-long-folder-name-for-keys-" * 3)
    folder.mkdir()
    key = folder / "my-own-signing.key"
    result = runner.invoke(app, ["keys", "generate", "--out", str(key)])
    assert result.exit_code == 0, result.output
    assert f"traceability keys register --key {key}" in result.stdout


def json_of(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1, result.stdout  # one object, alone on stdout
    return json.loads(result.stdout)


def test_every_database_command_prints_json(env: dict[str, str], tmp_path: Path) -> None:
    assert json_of(["migrate", "--json"])["created"] is True
    org = json_of(["org", "create", "--name", "HTX", "--role", "producer", "--json"])
    issued = json_of(["keys", "create", "--org", org["organization_id"], "--json"])
    listed = json_of(["keys", "list", "--org", org["organization_id"], "--json"])
    assert [key["id"] for key in listed["keys"]][-1] == issued["key"]["id"]
    revoked = json_of(["keys", "revoke", issued["key"]["id"], "--json"])
    assert revoked["key"]["revoked_at"]
    migrated = json_of(["migrate", "--json"])
    assert migrated["created"] is False and migrated["revision"]
    assert json_of(["audit-log", "--json"])["intact"] is True


def test_demo_prints_its_keys_and_links_as_json(env: dict[str, str]) -> None:
    first = json_of(["demo", "--json"])
    assert not first["already_seeded"] and first["events"] > 0
    assert all(org["api_key"].startswith("trc_") for org in first["organizations"])
    assert first["sample_links"][0]["url"].startswith("https://truyxuat.example.vn/01/")
    again = json_of(["demo", "--json"])
    assert again["already_seeded"] and {org["api_key"] for org in again["organizations"]} == {None}
    hint = runner.invoke(app, ["demo"]).stdout
    assert "traceability keys create --org TAX_CODE" in hint


def test_keys_generate_prints_json(tmp_path: Path) -> None:
    made = json_of(["keys", "generate", "--out", str(tmp_path / "k.key"), "--json"])
    assert made["key_id"].startswith("ed25519:") and made["public_key"]
    assert made["path"] == str(tmp_path / "k.key")


@pytest.mark.parametrize("tamper", [False, True])
def test_verify_prints_json(tmp_path: Path, tamper: bool) -> None:
    bundle = make_bundle()
    if tamper:
        bundle["events"][2]["record"]["event"]["quantity"] = 1000.5
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    result = runner.invoke(app, ["verify", str(path), "--log-key", LOG_KEY, "--json"])
    assert result.exit_code == (1 if tamper else 0), result.output
    report = json.loads(result.stdout)
    assert report["ok"] is not tamper
    assert (report["failure"] is None) is not tamper
    if tamper:
        assert report["failure"]["seq"] == 3 and report["failure"]["event_id"]
    assert report["lot"]["gtin"] == bundle["lot"]["gtin"]


def test_a_note_never_mixes_into_json(env: dict[str, str]) -> None:
    org = organization_by_command()
    result = runner.invoke(app, ["keys", "list", "--org", org["tax_code"], "--json"])
    assert "database:" in result.stderr and "database:" not in result.stdout
    api_key_by_command(org["tax_code"])
