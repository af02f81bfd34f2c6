"""`traceability keys create|list|revoke`: an operator manages an organisation's API keys on
the portal's database, naming the organisation by its id, tax code or GS1 prefix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.factories.commands import api_key_by_command, organization_by_command
from traceability.cli import app

runner = CliRunner()


def keys(org: str) -> dict[str, Any]:
    result = runner.invoke(app, ["keys", "list", "--org", org, "--json"])
    assert result.exit_code == 0, result.output
    listed: dict[str, Any] = json.loads(result.stdout)
    return listed


def me(server: str, api_key: str) -> httpx.Response:
    return httpx.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {api_key}"})


@pytest.mark.parametrize("named_by", ["organization_id", "tax_code", "gs1_prefix"])
def test_a_new_key_is_made_for_the_organisation_named_any_way(
    env: dict[str, str], named_by: str
) -> None:
    org = organization_by_command()
    issued = api_key_by_command(org[named_by], "--label", "warehouse scanner")
    assert issued["organization_id"] == org["organization_id"]
    assert issued["api_key"].startswith(issued["key"]["hint"])
    assert issued["key"] | {"created_at": None} == {
        "id": issued["key"]["id"],
        "hint": issued["key"]["hint"],
        "label": "warehouse scanner",
        "role": "producer",
        "created_at": None,
        "revoked_at": None,
    }


def test_the_key_is_printed_once_and_never_listed_or_stored(env: dict[str, str]) -> None:
    org = organization_by_command()
    made = runner.invoke(app, ["keys", "create", "--org", org["tax_code"]])
    assert made.exit_code == 0, made.output
    [secret] = [word for word in made.stdout.split() if word.startswith("trc_")]
    assert "shown once" in made.stdout
    listed = runner.invoke(app, ["keys", "list", "--org", org["tax_code"]])
    as_json = runner.invoke(app, ["keys", "list", "--org", org["tax_code"], "--json"])
    for output in (listed.stdout, as_json.stdout):
        assert secret not in output and org["api_key"] not in output
        assert secret[:8] in output
    database = Path(env["TRACE_DATA_DIR"]) / "traceability.db"
    assert secret.encode() not in database.read_bytes()


def test_a_list_shows_only_the_organisations_own_keys(env: dict[str, str]) -> None:
    mine, theirs = organization_by_command(), organization_by_command()
    api_key_by_command(mine["gs1_prefix"], "--label", "mine")
    theirs_key = api_key_by_command(theirs["gs1_prefix"], "--label", "theirs")
    listed = keys(mine["organization_id"])
    assert listed["organization_id"] == mine["organization_id"]
    assert [key["label"] for key in listed["keys"]] == ["first key", "mine"]
    assert theirs_key["key"]["id"] not in json.dumps(listed)


def test_a_revoked_key_is_refused_at_once_over_http(server: str, env: dict[str, str]) -> None:
    org = organization_by_command()
    issued = api_key_by_command(org["organization_id"], "--label", "lost laptop")
    assert me(server, issued["api_key"]).status_code == 200
    revoked = runner.invoke(app, ["keys", "revoke", issued["key"]["id"], "--json"])
    assert revoked.exit_code == 0, revoked.output
    answer = json.loads(revoked.stdout)
    assert answer["key"]["revoked_at"] and answer["already_revoked"] is False
    refused = me(server, issued["api_key"])
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert me(server, org["api_key"]).status_code == 200  # the organisation's other key works
    [listed] = [k for k in keys(org["tax_code"])["keys"] if k["id"] == issued["key"]["id"]]
    assert listed["revoked_at"] == answer["key"]["revoked_at"]


def test_revoking_twice_keeps_the_first_time(env: dict[str, str]) -> None:
    org = organization_by_command()
    key_id = api_key_by_command(org["tax_code"])["key"]["id"]
    first = json.loads(runner.invoke(app, ["keys", "revoke", key_id, "--json"]).stdout)
    again = runner.invoke(app, ["keys", "revoke", key_id])
    assert again.exit_code == 0 and "already revoked" in again.stdout
    second = json.loads(runner.invoke(app, ["keys", "revoke", key_id, "--json"]).stdout)
    assert second["already_revoked"] and second["key"] == first["key"]


def test_a_producer_cannot_be_given_an_admin_key(env: dict[str, str]) -> None:
    producer = organization_by_command("producer")
    refused = runner.invoke(
        app, ["keys", "create", "--org", producer["tax_code"], "--role", "admin"]
    )
    assert refused.exit_code == 2
    assert "role" in refused.stderr and "producer" in refused.stderr
    assert len(keys(producer["tax_code"])["keys"]) == 1  # nothing stored
    admin = organization_by_command("admin")
    issued = api_key_by_command(admin["tax_code"], "--role", "inspector")
    assert issued["key"]["role"] == "inspector"


@pytest.mark.parametrize(
    "args,says",
    [
        (["keys", "create", "--org", "0000000000"], "no organisation '0000000000'"),
        (["keys", "list", "--org", "not-an-org"], "no organisation 'not-an-org'"),
        (["keys", "revoke", "no-such-key"], "no API key 'no-such-key'"),
    ],
)
def test_an_unknown_organisation_or_key_is_a_clear_error(
    env: dict[str, str], args: list[str], says: str
) -> None:
    organization_by_command()  # the database exists
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert says in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_a_number_that_is_one_organisations_tax_code_and_anothers_prefix_needs_the_id(
    env: dict[str, str],
) -> None:
    number = "8936777001"
    by_tax = ["org", "create", "--name", "A", "--role", "producer", "--tax-code", number]
    by_prefix = ["org", "create", "--name", "B", "--role", "producer", "--gs1-prefix", number]
    assert runner.invoke(app, by_tax).exit_code == 0
    assert runner.invoke(app, by_prefix).exit_code == 0
    result = runner.invoke(app, ["keys", "create", "--org", number])
    assert result.exit_code == 2
    assert "give the id" in result.stderr
