"""Schemathesis over /openapi.json against a real served instance with the demo data.

Every check schemathesis has runs over every operation, public and under /api/v1, with an
API key of each role: no answer is a 5xx, every answer matches its documented status codes,
content types, headers and schemas, a request the schema calls invalid is refused and one it
calls valid is not (what the schema cannot state is in schemathesis.toml, rule by rule), an
undocumented method is a 405 whose Allow names the documented ones, and a missing key a 401.

The admin's run goes through every phase (examples, coverage of each constraint's edges,
fuzzing, stateful sequences); the producer's and the inspector's, whose answers differ only
in who may do what, through fuzzing and stateful sequences, to stay within about a minute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from traceability.cli import app

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = "tests.system.fuzz_hooks"
# Each role: its phases and how many cases an operation gets in each.
ROLE_RUNS = {
    "admin": ("examples,coverage,fuzzing,stateful", 10),
    "producer": ("fuzzing,stateful", 5),
    "inspector": ("fuzzing,stateful", 5),
}


@pytest.fixture
def env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    # Every request comes from one address; the rate limit is tested on its own.
    monkeypatch.setenv("TRACE_PUBLIC_RATE_LIMIT", "0")
    return {**env, "TRACE_PUBLIC_RATE_LIMIT": "0"}


def api_key(role: str, *extra: str) -> str:
    result = CliRunner().invoke(
        app, ["org", "create", "--name", f"Fuzz {role}", "--role", role, "--json", *extra]
    )
    assert result.exit_code == 0, result.output
    key: str = json.loads(result.stdout)["api_key"]
    return key


def schemathesis(
    server: str, key: str, phases: str, examples: int, workdir: Path
) -> subprocess.CompletedProcess[str]:
    st = Path(sys.executable).with_name("st")
    return subprocess.run(
        [
            str(st),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server}/openapi.json",
            "-H",
            f"Authorization: Bearer {key}",
            "--checks",
            "all",
            "--phases",
            phases,
            "--max-examples",
            str(examples),
            "--generation-deterministic",
            "--request-timeout",
            "10",
            # Revoking keys would revoke the fuzzer's own credentials mid-run.
            "--exclude-path-regex",
            "(/keys/|/revoke)",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=workdir,
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": HOOKS,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        },
    )


@pytest.mark.slow
def test_fuzzing_every_operation_as_every_role_finds_no_failure(
    server: str, env: dict[str, str], tmp_path: Path
) -> None:
    keys = {
        "admin": api_key("admin"),
        "producer": api_key("producer", "--gs1-prefix", "8939999"),
        "inspector": api_key("inspector"),
    }
    assert CliRunner().invoke(app, ["demo"]).exit_code == 0
    for role, (phases, examples) in ROLE_RUNS.items():
        workdir = tmp_path / role
        workdir.mkdir()
        result = schemathesis(server, keys[role], phases, examples, workdir)
        assert result.returncode == 0, f"as {role}:\n{result.stdout[-8000:]}"
        if role == "admin":  # the others get 403 where their role may not go, as they must
            assert "Authentication failed" not in result.stdout
        assert " passed" in result.stdout
