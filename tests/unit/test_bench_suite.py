"""The benchmark suite's table: per-run ratios, medians, goals and the report (no servers)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bench.ledger import AppendRun, ProofRun, VerifyRun
from bench.public import Run, WrkResult
from bench.qr import Pair
from bench.suite import (
    Machine,
    Row,
    cpu_model,
    ledger_args,
    ledger_rows,
    markdown_table,
    memory_gib,
    parse_args,
    public_args,
    public_rows,
    qr_args,
    qr_rows,
    report,
)


def _wrk(rps: float, p99: float) -> WrkResult:
    return WrkResult(rps, p99 / 2, p99, requests=int(rps * 10), non_2xx=0, socket_errors=0)


PUBLIC_RUNS: list[Run] = [
    {
        "baseline": _wrk(10_000, 10.0),
        "cached": _wrk(12_000, 40.0),  # 1.20x baseline, 400x uncached
        "uncached": _wrk(30, 2_000.0),
        "cached-large": _wrk(11_000, 44.0),  # p99 1.10x
    },
    {
        "baseline": _wrk(12_000, 9.0),
        "cached": _wrk(12_000, 50.0),  # 1.00x baseline, 600x uncached
        "uncached": _wrk(20, 2_500.0),
        "cached-large": _wrk(12_500, 70.0),  # p99 1.40x
    },
    {
        "baseline": _wrk(11_000, 11.0),
        "cached": _wrk(16_500, 45.0),  # 1.50x baseline, 500x uncached
        "uncached": _wrk(33, 1_900.0),
        "cached-large": _wrk(15_000, 45.0),  # p99 1.00x
    },
]


def test_public_rows_are_medians_of_per_run_ratios() -> None:
    cached, uncached, growth = public_rows(PUBLIC_RUNS, 10_000, 1_000_000)
    assert cached.ratios == pytest.approx((1.2, 1.0, 1.5))
    # The median of the ratios (1.2), not the ratio of the medians (12,000 / 11,000).
    assert cached.ratio == pytest.approx(1.2)
    assert (cached.ours, cached.baseline) == ("12,000 req/s", "11,000 req/s")
    assert (cached.goal, cached.verdict) == (">= 1x", "met")
    assert uncached.ratio == pytest.approx(500.0)
    assert uncached.baseline == "30.0 req/s"
    assert uncached.verdict == "met"
    assert growth.ratio == pytest.approx(1.1)
    assert (growth.ours, growth.baseline) == ("p99 45.0 ms", "p99 45.0 ms")
    assert "1,000,000 vs 10,000 lots" in growth.pair
    assert growth.verdict == "met"


def test_the_cached_resolutions_stand_beside_the_same_runs_baseline() -> None:
    runs: list[Run] = [
        {
            "baseline": _wrk(10_000, 10.0),
            "cached-redirect": _wrk(11_000, 9.0),
            "cached-linkset": _wrk(9_000, 12.0),
        },
        {"cached-redirect": _wrk(50_000, 1.0)},  # no baseline in this run: not counted
    ]
    redirect, linkset = public_rows(runs, 10_000, 1_000_000)
    assert "redirect" in redirect.pair and "linkset" in linkset.pair
    assert redirect.ratios == pytest.approx((1.1,)) and redirect.verdict == "met"
    assert linkset.ratio == pytest.approx(0.9)
    assert linkset.verdict.startswith("**NOT met**")


def test_public_rows_need_both_sides_in_the_same_run() -> None:
    split: list[Run] = [{"baseline": _wrk(10_000, 10.0)}, {"cached": _wrk(12_000, 40.0)}]
    assert public_rows(split, 10_000, 1_000_000) == []
    only_growth = public_rows([PUBLIC_RUNS[1]], 10_000, 1_000_000)[-1]
    assert only_growth.verdict == "**NOT met** (1.40x)"


def test_ledger_rows() -> None:
    append = [AppendRun(3_500.0, 31_000.0, 0, 0), AppendRun(1_800.0, 30_000.0, 0, 0)]
    verify = [VerifyRun(12_000.0, 16_000.0), VerifyRun(13_600.0, 16_000.0)]
    proofs = {
        1_000_000: [ProofRun(1.5, 2.8, 1.2, 2.5, 0.6, 1_000)],
        10_000: [
            ProofRun(1.4, 2.1, 1.1, 1.8, 0.7, 1_000),
            ProofRun(1.6, 6.0, 1.3, 2.0, 0.8, 1_000),
        ],
    }
    rows = ledger_rows(append, verify, proofs)
    capture, audit, *proof_rows = rows
    assert capture.ours == "2,650 events/s"
    assert capture.ratios == pytest.approx((3_500 / 31_000, 1_800 / 30_000))
    assert capture.verdict == "met"  # the goal is the rate: 2,650 >= 2,000 events/s
    assert audit.ratio == pytest.approx((0.75 + 0.85) / 2)
    assert audit.verdict == "met"
    # Sizes in order, inclusion then consistency at each; the 5 ms goal only at 1M leaves.
    assert [r.pair.split(" at ")[1].split(" ")[0] for r in proof_rows] == [
        "10,000",
        "10,000",
        "1,000,000",
        "1,000,000",
    ]
    inclusion_10k = proof_rows[0]
    assert inclusion_10k.ours == "p50 1.50 ms, p99 4.05 ms"
    assert inclusion_10k.ratios == pytest.approx((2.0, 2.0))
    assert inclusion_10k.goal == ""
    assert proof_rows[2].goal == "p99 < 5 ms" and proof_rows[2].verdict == "met"
    assert proof_rows[3].goal == ""
    slow = ledger_rows(None, None, {1_000_000: [ProofRun(2.0, 5.0, 1.0, 1.0, 1.0, 2)]})
    assert slow[0].verdict == "**NOT met** (p99 5.00 ms)"
    assert ledger_rows(None, None, None) == []


def test_qr_rows() -> None:
    runs = [
        {"matrix": Pair(1_000, 200), "png": Pair(900, 180), "labels": Pair(700, None)},
        {"matrix": Pair(1_100, 200), "png": Pair(250, 100), "labels": Pair(800, None)},
        {"matrix": Pair(1_200, 240), "png": Pair(880, 170), "labels": Pair(750, None)},
    ]
    rows = qr_rows(runs)
    assert [r.pair.split(" vs ")[0] for r in rows] == ["QR module matrix", "QR matrix + PNG"]
    matrix, png = rows
    assert matrix.ratio == pytest.approx(5.0)
    assert (png.ours, png.baseline, png.verdict) == ("880 codes/s", "170 codes/s", "met")
    failing = qr_rows([{"png": Pair(250, 100)}])[0]
    assert failing.verdict == "**NOT met** (250 codes/s)"


def test_markdown_table_and_report() -> None:
    rows = [
        *public_rows(PUBLIC_RUNS, 10_000, 1_000_000),
        Row("qr", "a pair", "1 x", "2 y", ()),
    ]
    table = markdown_table(rows)
    lines = table.splitlines()
    assert len(lines) == 2 + len(rows)
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)
    assert all(line.count(" | ") == 7 for line in lines)
    assert "| 1.20x | 1.20, 1.00, 1.50 | >= 1x | met |" in lines[2]
    assert "| 500x | 400, 600, 500 |" in lines[3]
    assert lines[-1].endswith("| 1 x | 2 y |  |  |  |  |")
    machine = Machine(2, "AMD EPYC", 23.4, "3.11.7", 0.5, 1.9, {"PostgreSQL": "15.2"}, "abc1234")
    text = report(
        rows,
        command="python -m bench --runs 3",
        when=datetime(2026, 11, 24, 21, 5),
        machine=machine,
        runs=3,
        seconds=390,
        notes=["qr: not measured"],
    )
    assert text.startswith("### Suite: 2026-11-24 21:05\n")
    assert "`python -m bench --runs 3`, 6.5 min." in text
    assert (
        "nproc 2, CPU AMD EPYC, 23 GiB; load average 0.5 before, 1.9 after. "
        "Python 3.11.7, PostgreSQL 15.2; commit abc1234." in text
    )
    assert table in text
    assert text.endswith("- qr: not measured\n")


def test_machine_description_from_proc_files() -> None:
    cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC  7B13\n"
    assert cpu_model(cpuinfo) == "AMD EPYC 7B13"
    assert cpu_model("") != ""
    assert memory_gib("MemTotal:       24557336 kB\nMemFree: 1 kB\n") == pytest.approx(23.42, 0.01)
    assert memory_gib("") is None


def test_cli_defaults_and_the_modules_own_arguments() -> None:
    args = parse_args([])
    assert (args.runs, args.parts, args.out) == (3, ["public", "ledger", "qr"], None)
    assert (args.leaves, args.events, args.large_lots, args.duration) == (
        1_000_000,
        20_000,
        1_000_000,
        10.0,
    )
    assert parse_args(["--parts", "qr,public"]).parts == ["public", "qr"]
    with pytest.raises(SystemExit):
        parse_args(["--parts", "nothing"])
    with pytest.raises(SystemExit):
        parse_args(["--runs", "0"])
    # Each part gets the arguments `python -m bench.<part>` would parse, with the suite's runs.
    custom = parse_args(["--runs", "5", "--duration", "4", "--leaves", "200000", "--keep"])
    pub = public_args(custom)
    assert (pub.runs, pub.duration, pub.small_lots, pub.large_lots, pub.keep) == (
        5,
        4.0,
        10_000,
        1_000_000,
        True,
    )
    assert pub.targets == [
        "baseline",
        "cached",
        "uncached",
        "cached-large",
        "cached-redirect",
        "cached-linkset",
        "cached-business-link",
    ]
    led = ledger_args(custom)
    assert (led.runs, led.leaves, led.events, led.only, led.writers) == (
        5,
        200_000,
        20_000,
        None,
        8,
    )
    assert (qr_args(custom).runs, qr_args(custom).codes) == (5, 500)
