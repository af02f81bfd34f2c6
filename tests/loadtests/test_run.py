"""One short, real load run: seed, serve on 127.0.0.1, Locust headless, judge.

The runner runs as a subprocess (Locust's gevent must not patch this test process) and
stops its server and Locust by their process ids itself, also when it fails.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML_LOT = "GET /01/[gtin]/10/[lot] html"


def runner(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TRACE_LOADTEST_", "TRACE_API_", "TRACE_REDIS"))
    }
    return subprocess.run(
        [sys.executable, "-m", "loadtests.run", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.slow
def test_a_short_run_passes_writes_its_reports_and_an_impossible_threshold_fails_it(
    tmp_path: Path,
) -> None:
    results = tmp_path / "results"
    done = runner(
        *("--duration", "6", "--users", "12", "--spawn-rate", "12"),
        *("--weights", "consumer=8,producer=2,inspector=2", "--lots", "20", "--producers", "2"),
        *("--workers", "1", "--processes", "1", "--results", str(results)),
        # Latency limits a shared test machine always meets: this checks the runner, not speed.
        *("--p95", "30000", "--p99", "60000"),
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for report in ("locust_stats.csv", "locust_failures.csv", "report.html", "seed.json"):
        assert (results / report).stat().st_size > 0, report
    assert "PASSED" in (results / "summary.txt").read_text()
    with (results / "locust_stats.csv").open(newline="") as handle:
        endpoints = {f"{r['Type']} {r['Name']}" for r in csv.DictReader(handle)}
    assert {HTML_LOT, "GET /01/[gtin]/10/[lot] json"} <= endpoints, endpoints
    # Every kind of user ran (which of its tasks came first in a short run is chance).
    assert any(e.startswith("POST /api/v1/epcis/") for e in endpoints), endpoints
    assert any(e.startswith("GET /api/v1/audit/") for e in endpoints), endpoints
    assert HTML_LOT in output and "PASSED" in output
    assert "Server stopped" in output
    seed = json.loads((results / "seed.json").read_text())
    assert seed["storm_lot"] == {"gtin": "08936901020057", "lot": "ST25-260812"}
    assert len(seed["lots"]) == 14 + 20

    # A real run against a p99 no HTTP request can meet: exit 1, the endpoint named.
    missed = tmp_path / "missed"
    done = runner(
        *("--duration", "4", "--users", "4", "--spawn-rate", "4", "--weights", "consumer=1"),
        *("--lots", "5", "--producers", "1", "--results", str(missed)),
        *("--p95", "30000", "--p99", "60000", "--threshold", f"{HTML_LOT}:p99=0.001"),
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert (missed / "report.html").exists() and (missed / "locust_stats.csv").exists()
    assert "FAILED: 1 threshold(s) missed" in output
    assert f"{HTML_LOT}: p99" in output and "> 0.001 ms" in output
    assert "Server stopped" in output

    # Judging the first run's results again, with that threshold, agrees (and changes nothing).
    # (With the same generous defaults: only the impossible threshold may be missed.)
    judged = runner(
        *("--evaluate", str(results), "--p95", "30000", "--p99", "60000"),
        *("--threshold", f"{HTML_LOT}:p99=0.001"),
    )
    assert judged.returncode == 1, judged.stdout + judged.stderr
    assert f"{HTML_LOT}: p99" in judged.stdout
    assert "PASSED" in (results / "summary.txt").read_text()

    # --json: stdout is one JSON document (the table goes to stderr), with the same verdict.
    as_json = runner(
        *("--evaluate", str(results), "--json", "--p95", "30000", "--p99", "60000"),
        *("--threshold", f"{HTML_LOT}:p99=0.001"),
    )
    assert as_json.returncode == 1, as_json.stderr
    verdict = json.loads(as_json.stdout)
    assert verdict["passed"] is False and verdict["summary"].startswith("FAILED")
    missed_here = [e for e in verdict["endpoints"] if e["problems"]]
    assert [e["endpoint"] for e in missed_here] == [HTML_LOT]
    assert "Load test results" in as_json.stderr


def test_a_run_that_cannot_start_says_why_and_exits_2(tmp_path: Path) -> None:
    done = runner("--workers", "2", "--results", str(tmp_path), timeout=30)
    assert done.returncode == 2
    assert "give --redis-url" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_bad_options_are_refused_before_anything_starts() -> None:
    done = runner("--threshold", "GET /x:p90=1", timeout=30)
    assert done.returncode == 2
    assert "not p95=MS" in done.stderr
    done = runner("--weights", "robots=1", timeout=30)
    assert done.returncode == 2
    assert "unknown user kind 'robots'" in done.stderr
