"""Where the commands keep the portal: one data directory, whatever folder they run from.

TRACE_DATA_DIR chooses it; without it, the user's data directory. Every command that opens
the database names it on stderr, and warns before it creates a new one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.factories.commands import organization_by_command
from tests.servers import serving
from traceability.cli import app
from traceability.config import Settings, default_data_dir

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def user_data(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    """No TRACE_DATA_DIR: the user's data directory, here under a temporary home."""
    monkeypatch.delenv("TRACE_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    for folder in ("here", "there"):
        (tmp_path / folder).mkdir()
    database = default_data_dir() / "traceability.db"
    return {"env": {k: v for k, v in env.items() if k != "TRACE_DATA_DIR"}, "db": database}


def test_the_default_data_dir_is_the_users_not_the_current_folder(
    user_data: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / "here")
    here = Settings().resolved_database_url
    monkeypatch.chdir(tmp_path / "there")
    assert Settings().resolved_database_url == here
    assert str(user_data["db"]) in here and str(tmp_path / "there") not in here


def test_trace_data_dir_chooses_the_folder(env: dict[str, str]) -> None:
    assert Settings().data_dir == Path(env["TRACE_DATA_DIR"])


def test_an_organisation_made_in_one_folder_is_found_from_another(
    user_data: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / "here")
    first = runner.invoke(app, ["org", "create", "--name", "HTX", "--role", "producer", "--json"])
    assert first.exit_code == 0, first.output
    assert f"creating a new database at {user_data['db']}" in first.stderr
    created = json.loads(first.stdout)

    monkeypatch.chdir(tmp_path / "there")
    listed = runner.invoke(app, ["keys", "list", "--org", created["organization_id"], "--json"])
    assert listed.exit_code == 0, listed.output
    assert f"database: {user_data['db']}" in listed.stderr
    assert "creating" not in listed.stderr
    assert [key["label"] for key in json.loads(listed.stdout)["keys"]] == ["first key"]
    assert not (tmp_path / "there" / "var").exists()


def test_the_server_started_elsewhere_accepts_the_key_a_command_made(
    user_data: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / "here")
    created = organization_by_command()
    env = dict(user_data["env"])  # type: ignore[call-overload]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with serving(env, cwd=tmp_path / "there") as url:
        me = httpx.get(
            f"{url}/api/v1/me", headers={"Authorization": f"Bearer {created['api_key']}"}
        )
    assert me.status_code == 200, me.text
    assert me.json()["organization_id"] == created["organization_id"]


def test_every_command_on_the_database_says_which_one(env: dict[str, str]) -> None:
    database = Path(env["TRACE_DATA_DIR"]).resolve() / "traceability.db"
    made = runner.invoke(app, ["org", "create", "--name", "A", "--role", "admin"])
    assert f"creating a new database at {database}" in made.stderr
    for args in (["migrate"], ["audit-log"], ["keys", "list", "--org", "none"]):
        result = runner.invoke(app, args)
        line = f"database: {database}  (data dir {database.parent}, TRACE_DATA_DIR)"
        assert line in result.stderr, (args, result.output)
        assert "creating" not in result.stderr


def test_keys_commands_never_create_a_database(env: dict[str, str]) -> None:
    for args in (["keys", "list", "--org", "x"], ["keys", "create", "--org", "x"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "no database at" in result.stderr and "TRACE_DATA_DIR" in result.stderr
        assert "Traceback" not in result.output
    assert not (Path(env["TRACE_DATA_DIR"]) / "traceability.db").exists()


def test_a_database_left_in_the_old_place_is_pointed_out(
    user_data: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "here" / "var"
    old.mkdir()
    (old / "traceability.db").write_bytes(b"SQLite format 3\0")
    monkeypatch.chdir(tmp_path / "here")
    result = runner.invoke(app, ["org", "create", "--name", "A", "--role", "producer"])
    assert result.exit_code == 0, result.output
    assert f"set TRACE_DATA_DIR={old}" in result.stderr
