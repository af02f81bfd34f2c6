"""`traceability verify BUNDLE [--log-key KEY]`, as an inspector or a script would use it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from tests.unit.chain.test_bundle import LOG_KEY, ORIGIN, make_bundle
from traceability.cli import verify as verify_command
from traceability.cli.verify import PROGRESS_THRESHOLD, verify
from traceability.log.note import NoteSigner

app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def main() -> None:
    """The console script, reduced to the command under test."""


app.command()(verify)
runner = CliRunner()


@pytest.fixture(scope="module")
def honest() -> dict[str, Any]:
    return make_bundle()


def write(tmp_path: Path, bundle: Any, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def run(*args: str) -> Any:
    result = runner.invoke(app, ["verify", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_verify_has_help() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "--log-key" in result.output and "offline" in result.output


def test_a_good_bundle_exits_0_with_a_one_line_summary(
    tmp_path: Path, honest: dict[str, Any]
) -> None:
    result = run(str(write(tmp_path, honest)), "--log-key", LOG_KEY)
    assert result.exit_code == 0, result.output
    lot = honest["lot"]
    summary = f"OK: 4 events of lot 01/{lot['gtin']}/10/{lot['lot']} verified against checkpoint 8"
    assert result.stdout.strip().splitlines()[-1] == summary
    assert "checkpoint signed by" in result.stdout


def test_the_log_key_may_be_given_as_a_file_holding_it(
    tmp_path: Path, honest: dict[str, Any]
) -> None:
    key_file = tmp_path / "log.key"
    key_file.write_text(LOG_KEY + "\n", encoding="utf-8")
    result = run(str(write(tmp_path, honest)), "--log-key", str(key_file))
    assert result.exit_code == 0, result.output


def test_without_a_log_key_it_warns_that_the_key_was_not_independently_supplied(
    tmp_path: Path, honest: dict[str, Any]
) -> None:
    result = run(str(write(tmp_path, honest)))
    assert result.exit_code == 0, result.output
    assert "NOT independently supplied" in result.stdout


def test_a_tampered_bundle_exits_1_naming_the_first_bad_event(
    tmp_path: Path, honest: dict[str, Any]
) -> None:
    tampered = json.loads(json.dumps(honest))
    tampered["events"][2]["record"]["event"]["quantity"] = 1000.5
    result = run(str(write(tmp_path, tampered)), "--log-key", LOG_KEY)
    assert result.exit_code == 1
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("FAILED at seq 3 (event urn:uuid:event-3): hash_mismatch: ")


def test_a_bundle_checked_against_the_wrong_log_key_exits_1(tmp_path: Path) -> None:
    other_log = make_bundle()["log"]["verifier_key"]
    forged = make_bundle(log_signer=NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    result = run(str(write(tmp_path, forged)), "--log-key", other_log)
    assert result.exit_code == 1
    assert "FAILED: bad_checkpoint: " in result.stdout


def test_a_malformed_bundle_exits_1_with_the_field_named(
    tmp_path: Path, honest: dict[str, Any]
) -> None:
    broken = json.loads(json.dumps(honest))
    broken["events"][1]["signature"] = "not base64!"
    result = run(str(write(tmp_path, broken)), "--log-key", LOG_KEY)
    assert result.exit_code == 1
    assert "malformed: events[1].signature: must be standard base64" in result.stdout


def test_a_file_that_is_not_json_exits_1_as_a_malformed_bundle(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text('{"format": "traceability-bundle/1", ', encoding="utf-8")
    result = run(str(path), "--log-key", LOG_KEY)
    assert result.exit_code == 1
    assert "FAILED: malformed:" in result.stdout and "not JSON" in result.stdout


def test_a_json_value_that_is_not_a_bundle_exits_1(tmp_path: Path) -> None:
    result = run(str(write(tmp_path, [1, 2, 3])), "--log-key", LOG_KEY)
    assert result.exit_code == 1
    assert "must be a JSON object" in result.stdout


def test_a_missing_file_is_a_usage_error_exit_2(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nowhere.json"), "--log-key", LOG_KEY)
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_a_directory_is_a_usage_error_exit_2(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_a_log_key_that_is_neither_a_key_nor_a_file_is_a_usage_error_exit_2(
    tmp_path: Path, honest: dict[str, Any]
) -> None:
    result = run(str(write(tmp_path, honest)), "--log-key", "portal-key.txt")
    assert result.exit_code == 2
    assert "--log-key" in result.stderr and "/log/key" in result.stderr


def test_a_large_bundle_verifies_event_by_event_behind_a_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks: list[int] = []
    real = verify_command.verify_bundle

    def spy(
        bundle: Any, log_key: str | None = None, *, progress: Any = None, witnesses: Any = None
    ) -> Any:
        assert progress is not None, "a large bundle must drive a progress bar"

        def tick(done: int, total: int) -> None:
            ticks.append(done)
            progress(done, total)

        return real(bundle, log_key, progress=tick)

    monkeypatch.setattr(verify_command, "verify_bundle", spy)
    count = PROGRESS_THRESHOLD + 50
    result = run(str(write(tmp_path, make_bundle(count))), "--log-key", LOG_KEY)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith(f"OK: {count} events of lot")
    assert ticks[-1] == count and len(ticks) > count
