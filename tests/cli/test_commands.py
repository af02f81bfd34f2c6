"""The `traceability` console script, as a person or a script would use it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from traceability.cli import app
from traceability.log.note import NoteVerifier, open_checkpoint

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "TRACE_DATA_DIR": str(tmp_path / "var"),
        "TRACE_BASE_URL": "https://truyxuat.example.vn",
    }
    for name in ("TRACE_DATABASE_URL", "TRACE_MASTER_KEY", "TRACE_LOG_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.mark.parametrize(
    "args", [[], ["serve"], ["demo"], ["org"], ["org", "create"]], ids=" ".join
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_upgrades_the_database_and_serves_the_log(env: dict[str, str]) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "traceability.cli", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 30 s"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        key = httpx.get(f"http://127.0.0.1:{port}/log/key").text.strip()
        note = httpx.get(f"http://127.0.0.1:{port}/log/checkpoint").text
        assert open_checkpoint(NoteVerifier.from_key(key), note).size == 0
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["paths"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        if process.stdout:
            process.stdout.close()
