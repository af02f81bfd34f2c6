"""The benchmark suite: every pair of the three benchmarks, side by side, in one table of ratios.

``python -m bench`` runs, in this order and each with ``--runs`` runs:

- ``public`` (bench.public, wrk over 127.0.0.1): the cached lot page against a minimal
  FastAPI route, cached against the page built per request from PostgreSQL, and the cached
  page's p99 with 1,000,000 lots against 10,000;
- ``ledger`` (bench.ledger, PostgreSQL): capture (``LedgerService.append``) against a bare
  INSERT of the same rows, ``audit_chain`` against bare Ed25519 verification, inclusion and
  consistency proofs against one primary-key SELECT at 10k, 100k and 1M leaves;
- ``qr`` (bench.qr, one core): QR matrix, PNG and SVG against the ``qrcode`` library's
  defaults.

Each part is the module's own code, called in-process with the module's own arguments
(``parse_args``), so the suite measures exactly what ``python -m bench.<part>`` measures.
Figures are medians over the runs and every ratio is the median of the per-run ratios, the
two sides having been measured in the same run. The table goes to stdout (markdown), and to
``--out`` with the command, date and machine it was measured on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench import ledger, public, qr
from bench.ledger import AppendRun, ProofRun, VerifyRun
from bench.public import Run
from bench.qr import Pair

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("public", "ledger", "qr")
LOTS_SMALL = 10_000
GOAL_PROOF_P99_MS = ledger.GOAL_PROOF_MS


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Row:
    """One pair: our figure beside its baseline, the median per-run ratio and the goal."""

    part: str
    pair: str
    ours: str
    baseline: str
    ratios: tuple[float, ...]  # one per run: ours / baseline (or the pair's own quotient)
    goal: str = ""
    verdict: str = ""

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None


def times(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.2f}x"


def at_least(value: float | None, goal: float, shown: str) -> str:
    if value is None:
        return "not measured"
    return "met" if value >= goal else f"**NOT met** ({shown})"


def at_most(value: float | None, goal: float, shown: str) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= goal else f"**NOT met** ({shown})"


def _ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def public_rows(runs: Sequence[Run], small_lots: int, large_lots: int) -> list[Row]:
    """The three pairs of bench.public, from each run's wrk results."""

    def both(top: str, bottom: str) -> list[Run]:
        return [r for r in runs if top in r and bottom in r]

    rows = []
    pair = both("cached", "baseline")
    if pair:
        ratios = tuple(r["cached"].requests_per_s / r["baseline"].requests_per_s for r in pair)
        rows.append(
            Row(
                "public",
                f"cached lot page ({small_lots:,} lots) vs minimal FastAPI route, req/s",
                f"{_median([r['cached'].requests_per_s for r in pair]):,.0f} req/s",
                f"{_median([r['baseline'].requests_per_s for r in pair]):,.0f} req/s",
                ratios,
                f">= {public.GOAL_VS_BASELINE:g}x",
                at_least(_median(ratios), public.GOAL_VS_BASELINE, times(_median(ratios))),
            )
        )
    for target, what in (
        ("cached-redirect", "cached ?linkType= redirect (307)"),
        ("cached-linkset", "cached linkset"),
        ("cached-business-link", "cached ?linkType= redirect to a business's link (307)"),
    ):
        pair = both(target, "baseline")
        if not pair:
            continue
        ratios = tuple(r[target].requests_per_s / r["baseline"].requests_per_s for r in pair)
        rows.append(
            Row(
                "public",
                f"{what} of a lot vs minimal FastAPI route, req/s",
                f"{_median([r[target].requests_per_s for r in pair]):,.0f} req/s",
                f"{_median([r['baseline'].requests_per_s for r in pair]):,.0f} req/s",
                ratios,
                f">= {public.GOAL_VS_BASELINE:g}x",
                at_least(_median(ratios), public.GOAL_VS_BASELINE, times(_median(ratios))),
            )
        )
    pair = both("cached", "uncached")
    if pair:
        ratios = tuple(r["cached"].requests_per_s / r["uncached"].requests_per_s for r in pair)
        rows.append(
            Row(
                "public",
                "cached lot page vs the same page built per request from PostgreSQL, req/s",
                f"{_median([r['cached'].requests_per_s for r in pair]):,.0f} req/s",
                f"{_median([r['uncached'].requests_per_s for r in pair]):,.1f} req/s",
                ratios,
                f">= {public.GOAL_VS_UNCACHED:g}x",
                at_least(_median(ratios), public.GOAL_VS_UNCACHED, times(_median(ratios))),
            )
        )
    pair = both("cached-large", "cached")
    if pair:
        ratios = tuple(r["cached-large"].p99_ms / r["cached"].p99_ms for r in pair)
        rows.append(
            Row(
                "public",
                f"cached lot page p99 at {large_lots:,} vs {small_lots:,} lots",
                f"p99 {_ms(_median([r['cached-large'].p99_ms for r in pair]))}",
                f"p99 {_ms(_median([r['cached'].p99_ms for r in pair]))}",
                ratios,
                f"<= {public.GOAL_P99_GROWTH:g}x",
                at_most(_median(ratios), public.GOAL_P99_GROWTH, times(_median(ratios))),
            )
        )
    return rows


def ledger_rows(
    append: Sequence[AppendRun] | None,
    verify: Sequence[VerifyRun] | None,
    proofs: dict[int, list[ProofRun]] | None,
    writers: int = 8,
    batch: int = 100,
) -> list[Row]:
    """The pairs of bench.ledger: capture vs INSERT, audit vs verify, proofs vs a PK SELECT."""
    rows = []
    if append:
        rate = _median([r.append_per_s for r in append])
        rows.append(
            Row(
                "ledger",
                f"capture (LedgerService.append, {writers} writers x {batch}) vs bare INSERT",
                f"{rate:,.0f} events/s",
                f"{_median([r.bare_per_s for r in append]):,.0f} rows/s",
                tuple(r.ratio for r in append),
                f">= {ledger.GOAL_APPEND_PER_S:,.0f} events/s",
                at_least(rate, ledger.GOAL_APPEND_PER_S, f"{rate:,.0f} events/s"),
            )
        )
    chain = [r for r in verify or () if r.chain_per_s is not None]
    if chain:
        chain_ratios = tuple(r.chain_ratio or 0.0 for r in chain)
        rows.append(
            Row(
                "ledger",
                "chain verification (hashes, links, signatures, keys) vs bare Ed25519 verify",
                f"{_median([r.chain_per_s or 0.0 for r in chain]):,.0f} events/s",
                f"{_median([r.raw_per_s for r in chain]):,.0f} verifies/s",
                chain_ratios,
                f">= {ledger.GOAL_VERIFY_RATIO:g}x",
                at_least(
                    _median(chain_ratios), ledger.GOAL_VERIFY_RATIO, times(_median(chain_ratios))
                ),
            )
        )
    if verify:
        ratios = tuple(r.ratio for r in verify)
        rows.append(
            Row(
                "ledger",
                "full audit (chain + each event's log inclusion proof) vs bare Ed25519 verify",
                f"{_median([r.audit_per_s for r in verify]):,.0f} events/s",
                f"{_median([r.raw_per_s for r in verify]):,.0f} verifies/s",
                ratios,
                f">= {ledger.GOAL_VERIFY_RATIO:g}x",
                at_least(_median(ratios), ledger.GOAL_VERIFY_RATIO, times(_median(ratios))),
            )
        )
    for size, runs in sorted((proofs or {}).items()):
        if not runs:
            continue
        base = f"PK SELECT p50 {_ms(_median([r.baseline_p50_ms for r in runs]))}"
        for kind in ("inclusion", "consistency"):
            p50 = _median([getattr(r, f"{kind}_p50_ms") for r in runs])
            p99 = _median([getattr(r, f"{kind}_p99_ms") for r in runs])
            goal = verdict = ""
            if kind == "inclusion" and size >= 1_000_000:
                goal = f"p99 < {GOAL_PROOF_P99_MS:g} ms"
                verdict = "met" if p99 < GOAL_PROOF_P99_MS else f"**NOT met** (p99 {_ms(p99)})"
            rows.append(
                Row(
                    "ledger",
                    f"{kind} proof at {size:,} leaves vs one PK SELECT, p50",
                    f"p50 {_ms(p50)}, p99 {_ms(p99)}",
                    base,
                    tuple(getattr(r, f"{kind}_p50_ms") / r.baseline_p50_ms for r in runs),
                    goal,
                    verdict,
                )
            )
    return rows


QR_PAIRS = {
    "matrix": "QR module matrix vs qrcode defaults, codes/s",
    "png": "QR matrix + PNG vs qrcode.make().save(), codes/s",
    "svg": "QR matrix + SVG vs qrcode SvgPathImage, codes/s",
}


def qr_rows(runs: Sequence[dict[str, Pair]]) -> list[Row]:
    rows = []
    for key, title in QR_PAIRS.items():
        pairs = [r[key] for r in runs if key in r and r[key].default]
        if not pairs:
            continue
        ours = _median([p.ours for p in pairs])
        goal = verdict = ""
        if key == "png":
            goal = f">= {qr.GOAL_CODES_PER_S:,.0f} codes/s, one core"
            verdict = at_least(ours, qr.GOAL_CODES_PER_S, f"{ours:,.0f} codes/s")
        rows.append(
            Row(
                "qr",
                title,
                f"{ours:,.0f} codes/s",
                f"{_median([p.default or 0.0 for p in pairs]):,.0f} codes/s",
                tuple(p.ratio or 0.0 for p in pairs),
                goal,
                verdict,
            )
        )
    return rows


# --------------------------------------------------------------------------- the machine


def cpu_model(cpuinfo: str) -> str:
    """The ``model name`` line of /proc/cpuinfo (the first; every core names the same)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "cpu model") and value.strip():
            return " ".join(value.split())
    return platform.processor() or platform.machine() or "unknown"


def memory_gib(meminfo: str) -> float | None:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


async def _postgres_version(url: str) -> str:
    import asyncpg

    connection = await asyncpg.connect(ledger.asyncpg_dsn(url), timeout=5)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def _redis_version(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        return str(client.info("server").get("redis_version", "?"))
    finally:
        client.close()


@dataclass
class Machine:
    nproc: int
    cpu: str
    memory_gib: float | None
    python: str
    load_before: float
    load_after: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    commit: str = ""

    @classmethod
    def here(cls, database_url: str | None, redis_url: str | None) -> Machine:
        machine = cls(
            nproc=os.cpu_count() or 0,
            cpu=cpu_model(_read("/proc/cpuinfo")),
            memory_gib=memory_gib(_read("/proc/meminfo")),
            python=platform.python_version(),
            load_before=os.getloadavg()[0],
        )
        if database_url:
            try:
                machine.versions["PostgreSQL"] = asyncio.run(_postgres_version(database_url))
            except Exception as exc:  # a benchmark part will say what is wrong
                machine.versions["PostgreSQL"] = f"unreachable ({type(exc).__name__})"
        if redis_url:
            try:
                machine.versions["Redis"] = _redis_version(redis_url)
            except Exception as exc:
                machine.versions["Redis"] = f"unreachable ({type(exc).__name__})"
        commit = _git("rev-parse", "--short", "HEAD")
        if commit and _git("status", "--porcelain", "--untracked-files=no"):
            commit += " plus uncommitted changes"
        machine.commit = commit
        return machine

    def describe(self) -> str:
        memory = f", {self.memory_gib:.0f} GiB" if self.memory_gib else ""
        software = ", ".join(
            [f"Python {self.python}", *(f"{k} {v}" for k, v in self.versions.items())]
        )
        return (
            f"nproc {self.nproc}, CPU {self.cpu}{memory}; load average {self.load_before:.1f} "
            f"before, {self.load_after:.1f} after. {software}"
            + (f"; commit {self.commit}" if self.commit else "")
            + "."
        )


# --------------------------------------------------------------------------- the report


def markdown_table(rows: Sequence[Row]) -> str:
    lines = [
        "| part | pair: ours vs baseline | ours | baseline, same run | ratio | per run "
        "| goal | verdict |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for row in rows:
        per_run = ", ".join(f"{r:.2f}" if r < 100 else f"{r:,.0f}" for r in row.ratios)
        lines.append(
            f"| {row.part} | {row.pair} | {row.ours} | {row.baseline} | {times(row.ratio)} | "
            f"{per_run} | {row.goal} | {row.verdict} |"
        )
    return "\n".join(lines)


def report(
    rows: Sequence[Row],
    *,
    command: str,
    when: datetime,
    machine: Machine,
    runs: int,
    seconds: float,
    notes: Sequence[str] = (),
) -> str:
    """The suite's section: what was run, where, and the table."""
    lines = [
        f"### Suite: {when:%Y-%m-%d %H:%M}",
        "",
        f"`{command}`, {seconds / 60:.1f} min. Machine: {machine.describe()}",
        "",
        f"Ours and the baseline are medians of {runs} runs; each ratio is ours / the baseline "
        f"(for the p99 row: the large database's p99 / the small one's), median of the {runs} "
        "per-run ratios listed under *per run*, both sides measured in the same run.",
        "",
        markdown_table(rows),
    ]
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- running


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] bench: {message}", file=sys.stderr, flush=True)


def public_args(args: argparse.Namespace) -> argparse.Namespace:
    argv = [
        *("--runs", str(args.runs), "--duration", f"{args.duration:g}"),
        *("--database-url", args.database_url, "--redis-url", args.redis_url),
        *("--small-lots", str(LOTS_SMALL), "--large-lots", str(args.large_lots)),
    ]
    return public.parse_args([*argv, "--keep"] if args.keep else argv)


def ledger_args(args: argparse.Namespace) -> argparse.Namespace:
    return ledger.parse_args(
        [
            *("--runs", str(args.runs), "--database-url", args.database_url),
            *("--events", str(args.events), "--leaves", str(args.leaves)),
            *("--proof-calls", str(args.proof_calls)),
        ]
    )


def qr_args(args: argparse.Namespace) -> argparse.Namespace:
    return qr.parse_args(["--runs", str(args.runs), "--codes", str(args.codes)])


def run_public(args: argparse.Namespace) -> list[Row]:
    """bench.public's loop: every target in each run, the order reversed on odd runs."""
    options = public_args(args)
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed")
    datasets: dict[str, public.Dataset] = {}
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        work_dir = Path(tmp)
        try:
            for name, lots in (("small", options.small_lots), ("large", options.large_lots)):
                datasets[name] = public.prepare_dataset(
                    options.database_url, lots, work_dir, options.redis_url, options.batch
                )
            for n in range(options.runs):
                order = list(public.TARGETS) if n % 2 == 0 else list(reversed(public.TARGETS))
                run: Run = {}
                for target in order:
                    log(f"public run {n + 1}/{options.runs}: {target}")
                    result = public.measure(target, options, datasets, work_dir).result
                    log(f"  {result.requests_per_s:,.0f} req/s, p99 {_ms(result.p99_ms)}")
                    run[target] = result
                runs.append(run)
        finally:
            if not options.keep:
                public.drop_datasets(options.database_url, list(datasets.values()))
    return public_rows(runs, options.small_lots, options.large_lots)


def run_ledger(args: argparse.Namespace) -> list[Row]:
    options = ledger_args(args)

    async def collect() -> ledger.LedgerResults:
        progress = ledger.progress_bar()
        with progress:
            return await ledger.collect(options, progress)

    results = asyncio.run(collect())
    return ledger_rows(
        results.append, results.verify, results.proofs, options.writers, options.batch
    )


def run_qr(args: argparse.Namespace) -> list[Row]:
    options = qr_args(args)
    qr.check(qr.uris(20, start=10**7), options.ecc)
    runs = []
    for n in range(options.runs):
        log(f"qr run {n + 1}/{options.runs}")
        runs.append(qr.measure(options, n))
    return qr_rows(runs)


RUNNERS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "public": run_public,
    "ledger": run_ledger,
    "qr": run_qr,
}


def parse_parts(value: str) -> list[str]:
    chosen = [p.strip() for p in value.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PARTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"parts are a comma list of {', '.join(PARTS)}")
    return [p for p in PARTS if p in chosen]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Run every benchmark pair side by side (bench.public, bench.ledger, bench.qr) and "
            "print one markdown table of ratios, with the command, date and machine."
        ),
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of every pair (default 3)")
    parser.add_argument("--out", type=Path, help="also write the report to this markdown file")
    parser.add_argument(
        "--parts",
        type=parse_parts,
        default=list(PARTS),
        help=f"comma list of parts to run (default {','.join(PARTS)})",
    )
    parser.add_argument(
        "--database-url",
        default=ledger.DEFAULT_SERVER,
        help=f"PostgreSQL server for public and ledger (default {ledger.DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--redis-url",
        default=public.DEFAULT_REDIS,
        help=f"Redis database of the public part, flushed by it (default {public.DEFAULT_REDIS})",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each wrk run")
    parser.add_argument(
        "--large-lots", type=int, default=1_000_000, help="lots in the large public database"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the public bench databases for the next run"
    )
    parser.add_argument("--events", type=int, default=20_000, help="events per append run")
    parser.add_argument(
        "--leaves",
        type=int,
        default=1_000_000,
        help="largest log for proofs; also measured at 10,000 and 100,000 below it",
    )
    parser.add_argument("--proof-calls", type=int, default=500, help="proof calls per size/run")
    parser.add_argument("--codes", type=int, default=500, help="QR codes per run")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.large_lots <= LOTS_SMALL:
        parser.error(f"--large-lots must be above {LOTS_SMALL:,}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    command = shlex.join(["python", "-m", "bench", *argv])
    needs_services = {"public", "ledger"} & set(args.parts)
    machine = Machine.here(
        args.database_url if needs_services else None,
        args.redis_url if "public" in args.parts else None,
    )
    when = datetime.now()
    started = time.perf_counter()
    rows: list[Row] = []
    notes: list[str] = []
    for part in args.parts:
        log(f"{part}: starting")
        began = time.perf_counter()
        try:
            rows += RUNNERS[part](args)
        except Exception as exc:  # one part failing must not lose the others' figures
            log(f"{part}: FAILED: {type(exc).__name__}: {exc}")
            notes.append(f"{part}: not measured, it failed: {type(exc).__name__}: {exc}")
            continue
        log(f"{part}: done in {time.perf_counter() - began:.0f} s")
    machine.load_after = os.getloadavg()[0]
    text = report(
        rows,
        command=command,
        when=when,
        machine=machine,
        runs=args.runs,
        seconds=time.perf_counter() - started,
        notes=notes,
    )
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("# Benchmark suite\n\n" + text)
        log(f"report written to {args.out}")
    return 1 if notes else 0
