"""`traceability seed`, as a person or a script runs it (on the default SQLite file)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import IN_CI, PG_URL
from tests.system.live import new_postgres_database
from traceability.cli import app

runner = CliRunner()
TINY = [
    "seed",
    "--orgs",
    "2",
    "--products-per-org",
    "2",
    "--lots",
    "6",
    "--events-per-lot",
    "3",
    "--verify-sample",
    "4",
]


def test_help_names_every_option() -> None:
    result = runner.invoke(app, ["seed", "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    for option in (
        "--orgs",
        "--products-per-org",
        "--lots",
        "--events-per-lot",
        "--writers",
        "--batch",
        "--processes",
        "--verify-sample",
        "--name",
        "--seed",
        "--json",
    ):
        assert option in result.output


def test_seeds_verifies_and_reports_the_rates(env: dict[str, str]) -> None:
    result = runner.invoke(app, TINY)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "6 lots, 18 events" in result.stdout
    assert "events/s" in result.stdout and "lots/s" in result.stdout
    assert "4 of 4 sampled lots intact; log size 18, 18 events stored" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("OK: seeded and verified 6 lots")


def test_json_prints_one_object_with_counts_rates_and_the_verdict(env: dict[str, str]) -> None:
    result = runner.invoke(app, [*TINY, "--json", "--writers", "3"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["lots"], summary["events"], summary["database"]) == (6, 18, "SQLite")
    assert summary["organizations"] == 2 + 2  # one distributor and one retail chain
    assert summary["writers"] == 1  # SQLite has a single writer
    assert summary["rates"]["events_per_s"] > 0
    assert summary["rates"]["lots_registered_per_s"] > 0
    verification = summary["verification"]
    assert verification["ok"] and verification["failures"] == []
    assert verification["sampled"] == verification["intact"] == 4
    assert verification["log_size"] == verification["counts"]["events"] == 18


def test_seeding_the_same_name_twice_is_refused_clearly(env: dict[str, str]) -> None:
    assert runner.invoke(app, TINY).exit_code == 0
    again = runner.invoke(app, TINY)
    assert again.exit_code == 2
    assert "already holds data seeded as 'synthetic'" in again.output
    assert "Traceback" not in again.output
    other = runner.invoke(app, [*TINY, "--name", "second"])
    assert other.exit_code == 0, other.output


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--lots", "0"),
        ("--orgs", "-1"),
        ("--events-per-lot", "9"),
        ("--products-per-org", "1000"),
        ("--writers", "0"),
        ("--batch", "0"),
        ("--verify-sample", "-5"),
        ("--lots", "many"),
    ],
)
def test_bad_option_values_are_usage_errors(env: dict[str, str], option: str, value: str) -> None:
    result = runner.invoke(app, ["seed", option, value])
    assert result.exit_code == 2
    assert option in result.output
    assert "Traceback" not in result.output


def test_an_empty_seed_name_is_a_usage_error(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["seed", "--name", " "])
    assert result.exit_code == 2
    assert "seed name must not be empty" in result.output


def test_writers_spread_over_processes_append_one_whole_verified_ledger(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI requires PostgreSQL (TRACE_TEST_DATABASE_URL)")
        pytest.skip("several writer processes need PostgreSQL: set TRACE_TEST_DATABASE_URL")
    with new_postgres_database(PG_URL, "trace_seed") as url:
        monkeypatch.setenv("TRACE_DATABASE_URL", url)
        options = ["--lots", "40", "--writers", "4", "--processes", "2", "--batch", "7"]
        result = runner.invoke(app, [*TINY, *options, "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert (summary["lots"], summary["events"], summary["writers"]) == (40, 120, 4)
        verification = summary["verification"]
        assert verification["ok"] and verification["sampled"] == verification["intact"] == 4
        assert verification["log_size"] == verification["counts"]["events"] == 120
        # The whole log, leaf by leaf: every event stored, hashing to its leaf, signed.
        audited = runner.invoke(app, ["audit-log"])
        assert audited.exit_code == 0, audited.output
