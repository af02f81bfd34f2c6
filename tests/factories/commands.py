"""Organisations and API keys made the way an operator makes them: through the command line
(`traceability org create`, `traceability keys create`), on the database the environment
names. Each call gets its own tax code and GS1 company prefix."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from tests.factories.organizations import unique_number
from traceability.cli import app

runner = CliRunner()


def organization_by_command(role: str = "producer", name: str | None = None) -> dict[str, Any]:
    """`org create --json` as printed, with the tax code and prefix it was given."""
    number = unique_number()
    tax_code = f"{2200000000 + number}"
    prefix = f"{8936000 + number}"
    result = runner.invoke(
        app,
        [
            "org",
            "create",
            "--name",
            name or f"HTX số {number}",
            "--role",
            role,
            "--tax-code",
            tax_code,
            "--gs1-prefix",
            prefix,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    created: dict[str, Any] = json.loads(result.stdout)
    return created | {"tax_code": tax_code, "gs1_prefix": prefix}


def api_key_by_command(org: str, *options: str) -> dict[str, Any]:
    """`keys create --org ORG --json` as printed."""
    result = runner.invoke(app, ["keys", "create", "--org", org, *options, "--json"])
    assert result.exit_code == 0, result.output
    issued: dict[str, Any] = json.loads(result.stdout)
    return issued
