"""`traceability audit-log`, as an inspector or a nightly job runs it (on the default SQLite file).

The same command against PostgreSQL, after each kind of tampering, is in
tests/integration/test_tampering.py.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from traceability.cli import app

runner = CliRunner()
SEED = ["seed", "--orgs", "2", "--products-per-org", "2", "--lots", "6", "--events-per-lot", "3"]


def run(*args: str, **env: str) -> Any:
    result = runner.invoke(app, ["audit-log", *args], env=env or None)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def last_line(result: Any) -> str:
    lines: list[str] = result.stdout.strip().splitlines()
    return lines[-1]


@pytest.fixture
def seeded(env: dict[str, str]) -> Path:
    """18 events of 6 lots in the data dir's SQLite file; returns that file.

    The seed appends each step of its six lots in one append, and the log signs a checkpoint
    with each: checkpoints 6, 12 and 18 are stored, after the empty log's 0.
    """
    seeded = runner.invoke(app, [*SEED, "--verify-sample", "0"])
    assert seeded.exit_code == 0, seeded.output
    database = Path(env["TRACE_DATA_DIR"]) / "traceability.db"
    assert checkpoint_sizes(database) == [0, 6, 12, 18]
    return database


def test_help_names_the_options_and_the_exit_statuses() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for words in ("--start", "--limit", "--json", "TRACE_DATABASE_URL", "Exit status"):
        assert words in result.output


def checkpoint_sizes(database: Path) -> list[int]:
    with sqlite3.connect(database) as db:
        return [size for (size,) in db.execute("SELECT size FROM log_checkpoints ORDER BY size")]


def table_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_a_whole_log_exits_0_with_the_counts_and_the_checkpoint(seeded: Path) -> None:
    result = run()
    assert result.exit_code == 0, result.output
    assert "Checked 18 leaves [0, 18) of the log against signed checkpoint 18" in result.stdout
    assert "0 event(s) missing, 0 not hashing to their leaf" in result.stdout
    # 18 leaves close 18 + 9 + 4 + 2 + 1 stored nodes; checkpoints 0, 6, 12 and 18 are opened.
    assert "18 event signature(s), 34 stored tree node(s) and 4 stored checkpoint(s)" in (
        result.stdout
    )
    assert "skipped" not in result.stdout
    assert last_line(result).startswith("OK: every leaf in [0, 18) has its event")


def test_json_prints_one_object_with_the_verdict(seeded: Path) -> None:
    result = run("--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["intact"], body["checked"], body["first_bad"], body["next"]) == (
        True,
        18,
        None,
        None,
    )
    assert (body["faults"], body["skipped"], body["uncovered"]) == ([], [], 0)
    assert (body["signatures_checked"], body["nodes_checked"], body["checkpoints_checked"]) == (
        18,
        34,
        4,
    )
    assert body["checkpoint"]["size"] == 18


def test_the_audit_writes_nothing_even_with_no_checkpoint_to_trust(seeded: Path) -> None:
    """With its checkpoints gone the log is still checked leaf by leaf, no checkpoint is
    signed for it (an audit only reads), and the missing checkpoints are the fault named."""
    with sqlite3.connect(seeded) as db:
        db.execute("DELETE FROM log_checkpoints")
    before = table_counts(seeded)

    result = run()
    assert result.exit_code == 1, result.output
    assert "against no signed checkpoint" in result.stdout
    assert "18 leaf(s) [0, 18) not covered by a signed checkpoint" in result.stdout
    assert "FAILED: uncovered_leaves" in result.stdout
    assert "its checkpoints were removed" in result.stdout
    assert "skipped: [signed checkpoints]" in result.stdout
    assert "no checkpoint is stored" in result.stdout
    assert table_counts(seeded) == before
    body = json.loads(run("--json").stdout)
    assert (body["checkpoint"], body["uncovered"]) == (None, 18)
    assert table_counts(seeded) == before


def test_a_range_says_where_the_next_one_starts_and_what_it_skipped(seeded: Path) -> None:
    result = run("--start", "5", "--limit", "4")
    assert result.exit_code == 0, result.output
    assert "Checked 4 leaves [5, 9)" in result.stdout
    assert "run again with --start 9" in result.stdout
    # Checkpoint 0 lies before the range and 12 between it and 18: neither is opened.
    assert "and 2 stored checkpoint(s) checked" in result.stdout
    assert (
        "skipped: [checkpoints before leaf 5, the tree before leaf 5, the log after leaf 8]"
        in result.stdout
    )
    assert "- checkpoints before leaf 5: 1 stored checkpoint(s) lie wholly before the range" in (
        result.stdout
    )
    assert "- the tree before leaf 5: the range starts from the stored nodes 2/0, 0/4" in (
        result.stdout
    )
    assert "and the 1 stored checkpoint(s) between were not opened" in result.stdout
    body = json.loads(run("--start", "5", "--limit", "4", "--json").stdout)
    assert [s["check"] for s in body["skipped"]] == [
        "checkpoints before leaf 5",
        "the tree before leaf 5",
        "the log after leaf 8",
    ]


def test_leaves_past_a_deleted_newest_checkpoint_exit_1_naming_them_uncovered(
    seeded: Path,
) -> None:
    """The log signs a checkpoint with every append, so leaves past the newest stored one
    mean its row was removed; the audit checks them and says so, and signs nothing."""
    with sqlite3.connect(seeded) as db:
        db.execute("DELETE FROM log_checkpoints WHERE size = 18")
    before = table_counts(seeded)

    result = run()
    assert result.exit_code == 1, result.output
    assert "Checked 18 leaves [0, 18) of the log against signed checkpoint 12" in result.stdout
    assert "6 leaf(s) [12, 18) not covered by a signed checkpoint" in result.stdout
    problem = (
        "6 leaves lie beyond the newest signed checkpoint (12), though the log signs one with "
        "every append"
    )
    assert f"✗ uncovered_leaves (1), first at checkpoint 12: {problem}" in result.stdout
    assert last_line(result) == f"FAILED: uncovered_leaves at checkpoint 12: {problem}"
    body = json.loads(run("--json").stdout)
    assert (body["intact"], body["uncovered"], body["first_bad"]) == (False, 6, None)
    assert [f["fault"] for f in body["faults"]] == ["uncovered_leaves"]
    assert table_counts(seeded) == before


def test_a_deleted_event_exits_1_naming_its_leaf_and_event(seeded: Path) -> None:
    with sqlite3.connect(seeded) as db:
        [(event_id,)] = db.execute('SELECT event_id FROM log_leaves WHERE "index" = 7')
        [(pk,)] = db.execute("SELECT id FROM events WHERE log_index = 7")
        db.execute("DELETE FROM event_identifiers WHERE event_pk = ?", (pk,))
        db.execute("DELETE FROM chain_links WHERE event_pk = ?", (pk,))
        db.execute("DELETE FROM events WHERE id = ?", (pk,))

    result = run()
    assert result.exit_code == 1, result.output
    assert last_line(result).startswith(f"FAILED at leaf 7 (event {event_id}): event_missing: ")
    assert "1 event(s) missing" in result.stdout
    as_json = json.loads(run("--json").stdout)
    assert as_json["first_bad"]["index"] == 7 and as_json["intact"] is False
    # A range that ends before it finds nothing wrong; one that covers it does.
    assert run("--limit", "7").exit_code == 0
    assert run("--start", "6", "--limit", "2").exit_code == 1


def test_a_rewritten_leaf_exits_1_naming_it(seeded: Path) -> None:
    with sqlite3.connect(seeded) as db:
        db.execute('UPDATE log_leaves SET event_hash = ? WHERE "index" = 3', (bytes(32),))
    result = run()
    assert result.exit_code == 1, result.output
    assert "FAILED at leaf 3 (event " in last_line(result)
    assert ": leaf_rewritten: " in last_line(result)
    assert "signed checkpoint 18" in result.stdout


def test_a_rewritten_tree_node_exits_1_naming_it_with_both_hashes(seeded: Path) -> None:
    with sqlite3.connect(seeded) as db:
        [(stored,)] = db.execute('SELECT hash FROM log_nodes WHERE level = 1 AND "index" = 2')
        db.execute('UPDATE log_nodes SET hash = ? WHERE level = 1 AND "index" = 2', (bytes(32),))
    result = run()
    assert result.exit_code == 1, result.output
    assert "✗ node_rewritten (1), first at node 1/2 (leaves [4, 6)): stored" in result.stdout
    assert last_line(result).startswith("FAILED: node_rewritten at node 1/2 (leaves [4, 6)): ")
    [fault] = json.loads(run("--json").stdout)["faults"]
    assert fault["first"] == {
        "level": 1,
        "index": 2,
        "expected": bytes(stored).hex(),
        "found": bytes(32).hex(),
    }


def test_a_changed_event_signature_exits_1_naming_its_leaf(seeded: Path) -> None:
    with sqlite3.connect(seeded) as db:
        [(event_id, signature)] = db.execute(
            "SELECT event_id, signature FROM events WHERE log_index = 11"
        )
        forged = bytes(signature[:-1]) + bytes([signature[-1] ^ 1])
        db.execute("UPDATE events SET signature = ? WHERE log_index = 11", (forged,))
    result = run()
    assert result.exit_code == 1, result.output
    assert "1 not signed by a key valid at their time" in result.stdout
    assert last_line(result).startswith(f"FAILED at leaf 11 (event {event_id}): bad_signature: ")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--start", "-1"], "--start"),
        (["--limit", "0"], "--limit"),
        (["--limit", "many"], "--limit"),
        (["--verbose"], "No such option"),
    ],
)
def test_bad_options_are_usage_errors(env: dict[str, str], args: list[str], says: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert says in result.output


def test_a_start_past_the_end_of_the_log_is_a_usage_error(seeded: Path) -> None:
    result = run("--start", "18")
    assert result.exit_code == 2
    assert "--start: must be below the log's size 18" in result.output


def test_a_database_it_cannot_read_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    result = run(TRACE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such.db'}")
    assert result.exit_code == 2
    assert "cannot read the log from" in result.output
