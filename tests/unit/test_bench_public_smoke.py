"""The public-page benchmark's pure parts: wrk output parsing and the ratio arithmetic.

No servers and no timing asserts; the samples are real wrk 4.1.0 output captured on the
bench machine (a FastAPI route, a 404 route, and a deliberately slow server).
"""

from __future__ import annotations

import pytest

from bench.public import (
    DEFAULT_PATH,
    TARGETS,
    Run,
    WrkResult,
    duration_ms,
    markdown_table,
    parse_args,
    parse_wrk,
    per_run_table,
    size_label,
    summarize,
    wrk_command,
)
from traceability.repositories.bulk import filler_lot_code

# wrk -t2 -c64 -d2s --latency, against bench/baseline_app.py (milliseconds).
WRK_MS = """\
Running 2s test @ http://127.0.0.1:18931/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.74ms   18.56ms 242.94ms   96.51%
    Req/Sec     5.49k     1.07k    7.02k    62.50%
  Latency Distribution
     50%    5.02ms
     75%    5.99ms
     90%    9.07ms
     99%  118.03ms
  21871 requests in 2.00s, 3.69MB read
Requests/sec:  10916.65
Transfer/sec:      1.84MB
"""

# wrk -t1 -c1 -d1s --latency, against a path that answers 404 (microseconds).
WRK_US_404 = """\
Running 1s test @ http://127.0.0.1:18931/nothing
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   134.74us   43.47us   1.21ms   87.42%
    Req/Sec     7.43k   602.61     8.47k    72.73%
  Latency Distribution
     50%  137.00us
     75%  151.00us
     90%  168.00us
     99%  225.00us
  8123 requests in 1.10s, 1.19MB read
  Non-2xx or 3xx responses: 8123
Requests/sec:   7387.79
Transfer/sec:      1.09MB
"""

# wrk -t1 -c8 -d6s --latency -H 'Accept: text/html', against a server sleeping 1-2.5 s
# (seconds; wrk pads those values with a trailing space; 8 requests timed out).
WRK_S_TIMEOUTS = "\n".join(
    [
        "Running 6s test @ http://127.0.0.1:18932/lot",
        "  1 threads and 8 connections",
        "  Thread Stats   Avg      Stdev     Max   +/- Stdev",
        "    Latency     1.47s   333.72ms   1.98s    64.29%",
        "    Req/Sec     7.79      7.20    20.00     71.43%",
        "  Latency Distribution",
        "     50%    1.64s ",
        "     75%    1.75s ",
        "     90%    1.93s ",
        "     99%    1.98s ",
        "  22 requests in 6.01s, 2.77KB read",
        "  Socket errors: connect 0, read 0, write 0, timeout 8",
        "Requests/sec:      3.66",
        "Transfer/sec:     472.43B",
        "",
    ]
)


def test_wrk_durations_in_every_unit() -> None:
    assert duration_ms("225.00us") == pytest.approx(0.225)
    assert duration_ms("5.02ms") == pytest.approx(5.02)
    assert duration_ms("1.98s ") == pytest.approx(1980.0)
    assert duration_ms("1.50m") == pytest.approx(90_000.0)
    with pytest.raises(ValueError):
        duration_ms("12 ms")


def test_parse_wrk_milliseconds() -> None:
    result = parse_wrk(WRK_MS)
    assert result.requests_per_s == pytest.approx(10916.65)
    assert (result.p50_ms, result.p99_ms) == (pytest.approx(5.02), pytest.approx(118.03))
    assert result.percentiles_ms[75.0] == pytest.approx(5.99)
    assert result.percentiles_ms[90.0] == pytest.approx(9.07)
    assert (result.requests, result.non_2xx, result.socket_errors) == (21871, 0, 0)


def test_parse_wrk_microseconds_and_non_2xx() -> None:
    result = parse_wrk(WRK_US_404)
    assert result.requests_per_s == pytest.approx(7387.79)
    assert result.p50_ms == pytest.approx(0.137)
    assert result.p99_ms == pytest.approx(0.225)
    assert (result.requests, result.non_2xx) == (8123, 8123)


def test_parse_wrk_seconds_and_socket_errors() -> None:
    result = parse_wrk(WRK_S_TIMEOUTS)
    assert result.requests_per_s == pytest.approx(3.66)
    assert result.p50_ms == pytest.approx(1640.0)
    assert result.p99_ms == pytest.approx(1980.0)
    assert (result.requests, result.non_2xx, result.socket_errors) == (22, 0, 8)


def test_parse_wrk_needs_the_latency_distribution() -> None:
    without = "\n".join(line for line in WRK_MS.splitlines() if "%" not in line or "Stdev" in line)
    with pytest.raises(ValueError, match="--latency"):
        parse_wrk(without)
    with pytest.raises(ValueError, match="Requests/sec"):
        parse_wrk("unable to connect to 127.0.0.1:18931 Connection refused\n")


def _wrk(rps: float, p50: float, p99: float) -> WrkResult:
    return WrkResult(rps, p50, p99, requests=int(rps * 10), non_2xx=0, socket_errors=0)


RUNS: list[Run] = [
    {
        "baseline": _wrk(7_000, 8.0, 20.0),
        "cached": _wrk(7_700, 7.0, 18.0),  # 1.10x baseline
        "uncached": _wrk(700, 80.0, 200.0),  # cached is 11x
        "cached-large": _wrk(7_500, 7.2, 19.8),  # p99 1.10x
    },
    {
        "baseline": _wrk(8_000, 7.0, 16.0),
        "cached": _wrk(7_200, 8.0, 20.0),  # 0.90x baseline
        "uncached": _wrk(800, 75.0, 180.0),  # 9x
        "cached-large": _wrk(7_000, 8.5, 26.0),  # p99 1.30x
    },
    {
        "baseline": _wrk(6_000, 9.0, 30.0),
        "cached": _wrk(6_000, 9.0, 25.0),  # 1.00x baseline
        "uncached": _wrk(600, 90.0, 250.0),  # 10x
        "cached-large": _wrk(6_100, 9.1, 25.0),  # p99 1.00x
    },
]


def test_medians_and_per_run_ratios() -> None:
    summary = summarize(RUNS)
    assert summary.runs == 3
    assert list(summary.figures) == [t for t in TARGETS if t in RUNS[0]]
    cached = summary.figures["cached"]
    assert (cached.requests_per_s, cached.p50_ms, cached.p99_ms) == (7_200, 8.0, 20.0)
    assert summary.figures["baseline"].requests_per_s == 7_000
    # Medians of the per-run ratios, not ratios of the medians (7,200 / 7,000 = 1.03).
    assert summary.vs_baseline == pytest.approx(1.0)
    assert summary.vs_uncached == pytest.approx(10.0)
    assert summary.p99_growth == pytest.approx(1.1)


def test_errors_are_summed_over_runs() -> None:
    bad = WrkResult(5.0, 1_900.0, 9_000.0, requests=50, non_2xx=3, socket_errors=8)
    summary = summarize([{"uncached": bad}, {"uncached": bad}, {"uncached": _wrk(9, 1, 2)}])
    assert summary.figures["uncached"].errors == 22
    assert summary.figures["uncached"].requests_per_s == 5.0


def test_ratios_need_both_sides_in_the_same_run() -> None:
    summary = summarize([{"baseline": _wrk(7_000, 8.0, 20.0)}, {"cached": _wrk(7_000, 8, 20)}])
    assert (summary.vs_baseline, summary.vs_uncached, summary.p99_growth) == (None, None, None)
    assert set(summary.figures) == {"baseline", "cached"}


def test_markdown_report() -> None:
    summary = summarize(RUNS)
    lots: dict[str, int | None] = {
        "baseline": None,
        "cached": 10_000,
        "uncached": 10_000,
        "cached-large": 1_000_000,
    }
    table = markdown_table(summary, lots, {"baseline": 52, "cached": 14_321})
    lines = table.splitlines()
    assert len(lines) == 2 + len(summary.figures)
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)
    assert "| 1,000,000 |" in lines[-1]
    assert "7,200 | 8.00 ms | 20.0 ms | 0 | 14,321 B | 1.00x baseline req/s" in table
    assert "met (1.00x)" in lines[3] and "met (10.00x)" in lines[4]
    assert "met (1.10x)" in lines[5]
    failing = summarize(RUNS[1:2])
    assert "**NOT met** (0.90x" in markdown_table(failing, lots)
    assert "**NOT met** (1.30x, limit 1.2x)" in markdown_table(failing, lots)
    runs_table = per_run_table(RUNS)
    assert runs_table.count("\n") == 1 + len(RUNS)
    assert "| 2 | 8,000 (16.0 ms) | 7,200 (20.0 ms) |" in runs_table


def test_cli_defaults_and_helpers() -> None:
    args = parse_args([])
    assert (args.runs, args.workers, args.threads, args.connections) == (3, 1, 2, 64)
    assert (args.small_lots, args.large_lots, args.targets) == (10_000, 1_000_000, list(TARGETS))
    assert args.path == DEFAULT_PATH == "/01/08936901020057/10/ST25-260812"
    assert parse_args(["--targets", "cached,baseline"]).targets == ["baseline", "cached"]
    assert (size_label(10_000), size_label(1_000_000), size_label(2_500)) == ("10k", "1m", "2500")
    assert wrk_command("http://127.0.0.1:1/x", 2, 64, 5, html=True) == [
        *("wrk", "-t", "2", "-c", "64", "-d", "5s", "--timeout", "10s", "--latency"),
        *("-H", "Accept: text/html", "http://127.0.0.1:1/x"),
    ]
    assert filler_lot_code(42) == "FILL-000000042"
