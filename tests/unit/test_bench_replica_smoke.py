"""The read-replica benchmark's report, from runs given by hand, so the script cannot rot."""

from __future__ import annotations

from bench.replica import Run, parse_args, report


def test_the_report_gives_each_run_and_the_ratio_of_replica_to_primary() -> None:
    primary = Run("primary", seconds=2.0, latencies=[0.01] * 100)
    replica = Run("replica", seconds=2.0, latencies=[0.01] * 120, replica_state="up")
    kill = Run("kill", seconds=2.0, latencies=[0.01] * 90, replica_state="down", fallbacks=3)
    text = report([primary, replica, kill])
    assert "| primary | 50 | 10.0 | 10.0 | 100 | 0 | - | 0 |" in text
    assert "| kill | 45 | 10.0 | 10.0 | 90 | 0 | down | 3 |" in text
    assert "replica / primary requests/s: 1.20" in text


def test_errors_are_counted_and_the_commonest_named() -> None:
    runs = [
        Run("primary", seconds=1.0, latencies=[0.01]),
        Run("replica", seconds=1.0, latencies=[0.01], errors=["503", "503", "500"]),
    ]
    assert "errors: 503 (most common of 3)" in report(runs)


def test_runs_are_bounded_by_default() -> None:
    args = parse_args([])
    assert args.duration * 3 <= 30 and args.clients == 8
