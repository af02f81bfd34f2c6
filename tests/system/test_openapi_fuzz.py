"""Schemathesis over /openapi.json against a real served instance with the demo data.

Every operation is fuzzed from its schema: no response may be a 5xx, and every
response must match its documented status codes, content types and schemas.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from traceability.cli import app

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def test_fuzzing_every_operation_finds_no_server_error_and_no_schema_violation(
    server: str, env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    admin = json.loads(
        runner.invoke(app, ["org", "create", "--name", "Fuzz", "--role", "admin", "--json"]).stdout
    )
    assert runner.invoke(app, ["demo"]).exit_code == 0
    schemathesis = Path(sys.executable).with_name("st")
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{server}/openapi.json",
            "-H",
            f"Authorization: Bearer {admin['api_key']}",
            "--checks",
            CHECKS,
            "--max-examples",
            "10",
            "--generation-deterministic",
            "--request-timeout",
            "10",
            # Revoking keys would revoke the fuzzer's own credentials mid-run.
            "--exclude-path-regex",
            "(/keys/|/revoke)",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert "Authentication failed" not in result.stdout
