"""The load-test runner: seed, serve, run Locust headless, judge the results.

    python -m loadtests.run --duration 30 --users 50 --processes 2

Seeds the demo and a bounded long tail, starts ``traceability serve`` on a free port of
127.0.0.1 (a fresh SQLite file, or a fresh database on the PostgreSQL server named by
``--database-url``), runs the scenarios of ``loadtests/locustfile.py`` headless for a
bounded time, stops the server, and checks every endpoint's failure ratio, p95 and p99
against the thresholds. Exit status: 0 when every threshold holds, 1 when one is missed
(the report names each), 2 when the run itself could not be made. Locust's CSV and HTML
reports, the seed file and the server's log are kept in the results folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import heapq
import importlib.util
import json
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Final

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from loadtests.scenarios.common import (
    DEFAULT_WEIGHTS,
    KINDS,
    ConfigurationError,
    parse_profile,
    parse_weights,
)

LOCUSTFILE: Final = Path(__file__).resolve().parent / "locustfile.py"
CSV_PREFIX: Final = "locust"
AGGREGATED: Final = "Aggregated"
# The public rate limit counts per client IP, and every Locust user is 127.0.0.1.
UNLIMITED_RATE: Final = "1000000000"
EXIT_OK, EXIT_THRESHOLD, EXIT_ERROR = 0, 1, 2


class RunError(RuntimeError):
    """The run could not be made (not a missed threshold); the message says why."""


# --- thresholds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Latency limits in milliseconds and the largest failure ratio; None: not checked."""

    p95: float | None = None
    p99: float | None = None
    failures: float | None = None

    def updated(self, other: Limits) -> Limits:
        return Limits(
            p95=other.p95 if other.p95 is not None else self.p95,
            p99=other.p99 if other.p99 is not None else self.p99,
            failures=other.failures if other.failures is not None else self.failures,
        )


@dataclass(frozen=True)
class Rule:
    """Limits for the endpoints a pattern names: exactly, or with ``*`` as a wildcard, either
    the whole ``METHOD name`` (``GET /01/[gtin]/10/[lot] html``) or the name alone."""

    pattern: str
    limits: Limits

    def matches(self, key: str) -> bool:
        name = key.split(" ", 1)[1] if " " in key else key
        if self.pattern in (key, name):
            return True
        if "*" not in self.pattern:
            return False
        regex = ".*".join(re.escape(part) for part in self.pattern.split("*"))
        return re.fullmatch(regex, key) is not None or re.fullmatch(regex, name) is not None


# Per kind of endpoint, first match wins. What a phone waits for is held tightest; an audit
# rechecks every signature of a chain, and writes lock the lots they extend.
DEFAULT_RULES: Final[tuple[Rule, ...]] = (
    Rule("GET /01/*", Limits(p95=300, p99=1000)),
    Rule("GET /qr/*", Limits(p95=500, p99=1500)),
    Rule("GET /api/v1/epcis/capture/*", Limits(p95=500, p99=1500)),
    Rule("JOB *", Limits(p95=5000, p99=10000)),
    Rule("POST /api/v1/*", Limits(p95=1500, p99=3000)),
    Rule("GET /api/v1/audit/*", Limits(p95=2000, p99=4000)),
)
FALLBACK_LIMITS: Final = Limits(p95=1000, p99=2500)
_LIMIT_KEYS: Final = {"p95": "p95", "p99": "p99", "failures": "failures", "fail": "failures"}


def parse_ratio(text: str) -> float:
    """``0.01`` or ``1%``."""
    raw = text.strip()
    value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    if not 0 <= value <= 1:
        raise ValueError(f"a failure ratio is between 0 and 1 (or 0% and 100%), not {text}")
    return value


def parse_threshold(spec: str) -> Rule:
    """``ENDPOINT:p95=MS,p99=MS,failures=RATIO`` (any of the three) as a rule.

    >>> parse_threshold("GET /01/[gtin]/10/[lot] html:p99=500").limits.p99
    500.0
    """
    pattern, sep, settings = spec.rpartition(":")
    pattern = pattern.strip()
    if not sep or not pattern or not settings.strip():
        raise ValueError(
            f"threshold {spec!r} is not ENDPOINT:p95=MS,p99=MS,failures=RATIO "
            '(e.g. "GET /01/[gtin]/10/[lot] html:p99=500")'
        )
    values: dict[str, float] = {}
    for part in (p.strip() for p in settings.split(",")):
        key, eq, raw = part.partition("=")
        field_name = _LIMIT_KEYS.get(key.strip().lower())
        if not eq or field_name is None:
            raise ValueError(
                f"threshold {spec!r}: {part!r} is not p95=MS, p99=MS or failures=RATIO"
            )
        try:
            value = parse_ratio(raw) if field_name == "failures" else float(raw)
        except ValueError as exc:
            raise ValueError(f"threshold {spec!r}: {part!r}: {exc}") from None
        if field_name != "failures" and not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"threshold {spec!r}: {part!r} must be a number of ms, 0 or more")
        values[field_name] = value
    return Rule(pattern, Limits(**values))


@dataclass(frozen=True)
class Thresholds:
    """Built-in per-kind limits, then blanket ``--p95``/``--p99``, then each ``--threshold``
    in order (a later one wins); ``--max-failure-ratio`` holds for every endpoint and for
    the run as a whole."""

    max_failure_ratio: float = 0.01
    p95: float | None = None
    p99: float | None = None
    overrides: tuple[Rule, ...] = ()

    def limits_for(self, key: str) -> Limits:
        if key == AGGREGATED:
            limits = Limits(failures=self.max_failure_ratio)
        else:
            limits = next((r.limits for r in DEFAULT_RULES if r.matches(key)), FALLBACK_LIMITS)
            limits = limits.updated(Limits(self.p95, self.p99, self.max_failure_ratio))
        for rule in self.overrides:
            if rule.matches(key):
                limits = limits.updated(rule.limits)
        return limits


# --- Locust's statistics ------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointStats:
    key: str
    requests: int
    failures: int
    median: float | None
    p95: float | None
    p99: float | None
    rps: float

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def _number(text: str | None) -> float | None:
    if text is None or text.strip() in ("", "N/A"):
        return None
    return float(text)


def read_stats(path: Path) -> list[EndpointStats]:
    """Rows of Locust's ``*_stats.csv``, the ``Aggregated`` one last."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    stats = []
    for row in rows:
        name = row["Name"]
        key = AGGREGATED if name == AGGREGATED and not row["Type"] else f"{row['Type']} {name}"
        stats.append(
            EndpointStats(
                key=key,
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                median=_number(row.get("50%")),
                p95=_number(row.get("95%")),
                p99=_number(row.get("99%")),
                rps=_number(row.get("Requests/s")) or 0.0,
            )
        )
    stats.sort(key=lambda s: s.key == AGGREGATED)
    return stats


@dataclass(frozen=True)
class Verdict:
    stats: EndpointStats
    limits: Limits
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g} ms"


def evaluate(stats: Sequence[EndpointStats], thresholds: Thresholds) -> list[Verdict]:
    verdicts = []
    for entry in stats:
        limits = thresholds.limits_for(entry.key)
        problems = []
        if limits.failures is not None and entry.failure_ratio > limits.failures:
            problems.append(
                f"failures {entry.failure_ratio:.2%} ({entry.failures} of {entry.requests}) "
                f"> {limits.failures:.2%}"
            )
        for label, value, limit in (
            ("p95", entry.p95, limits.p95),
            ("p99", entry.p99, limits.p99),
        ):
            if limit is not None and value is not None and value > limit:
                problems.append(f"{label} {_ms(value)} > {_ms(limit)}")
        verdicts.append(Verdict(entry, limits, tuple(problems)))
    if not any(v.stats.requests for v in verdicts):
        empty = EndpointStats(AGGREGATED, 0, 0, None, None, None, 0.0)
        verdicts.append(Verdict(empty, Limits(), ("no request was made",)))
    return verdicts


def report_table(verdicts: Sequence[Verdict], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("endpoint")
    for column in ("requests", "req/s", "failures", "p50", "p95 (limit)", "p99 (limit)"):
        table.add_column(column, justify="right")
    table.add_column("")
    for index, verdict in enumerate(verdicts):
        s, limits = verdict.stats, verdict.limits
        table.add_row(
            escape(s.key),
            str(s.requests),
            f"{s.rps:.1f}",
            f"{s.failures} ({s.failure_ratio:.1%})",
            _ms(s.median),
            f"{_ms(s.p95)} ({_ms(limits.p95)})",
            f"{_ms(s.p99)} ({_ms(limits.p99)})",
            "[green]ok[/]" if verdict.ok else "[bold red]MISSED[/]",
            end_section=index == len(verdicts) - 2,
        )
    return table


def summary_line(verdicts: Sequence[Verdict]) -> str:
    missed = [v for v in verdicts if not v.ok]
    total = next((v.stats for v in verdicts if v.stats.key == AGGREGATED), None)
    if missed:
        details = "; ".join(f"{v.stats.key}: {', '.join(v.problems)}" for v in missed)
        return f"FAILED: {len(missed)} threshold(s) missed: {details}"
    if total is None:
        return "PASSED"
    return (
        f"PASSED: {len(verdicts) - 1} endpoints, {total.requests} requests "
        f"({total.rps:.1f} req/s), {total.failure_ratio:.2%} failed, every threshold held"
    )


def judge(
    results: Path,
    thresholds: Thresholds,
    console: Console,
    *,
    save: bool = True,
    as_json: bool = False,
) -> int:
    """Prints the table and the verdict for the Locust CSVs in ``results`` (and saves them
    there as summary.txt and summary.json unless ``save`` is false); the exit status. With
    ``as_json`` the verdict and every endpoint's figures also go to stdout as one JSON
    document (the console then writes to stderr)."""
    stats_file = results / f"{CSV_PREFIX}_stats.csv"
    if not stats_file.exists():
        raise RunError(f"{stats_file} is missing: Locust did not finish (see its log)")
    verdicts = evaluate(read_stats(stats_file), thresholds)
    console.print(report_table(verdicts, f"Load test results ({results})"))
    failures = _top_failures(results / f"{CSV_PREFIX}_failures.csv")
    if failures:
        console.print("Most frequent failures:")
        for line in failures:
            console.print(f"  {line}", markup=False, highlight=False)
    line = summary_line(verdicts)
    if save:
        _save_summary(results, line, verdicts)
    ok = all(v.ok for v in verdicts)
    if as_json:
        document = {"passed": ok, "summary": line, "results": str(results)}
        print(json.dumps(document | {"endpoints": _endpoint_summaries(verdicts)}, indent=1))
    console.print(f"[bold {'green' if ok else 'red'}]{escape(line)}[/]", soft_wrap=True)
    return EXIT_OK if ok else EXIT_THRESHOLD


def _save_summary(results: Path, line: str, verdicts: Sequence[Verdict]) -> None:
    (results / "summary.txt").write_text(line + "\n")
    (results / "summary.json").write_text(
        json.dumps(_endpoint_summaries(verdicts), indent=1) + "\n"
    )


def _endpoint_summaries(verdicts: Sequence[Verdict]) -> list[dict[str, object]]:
    return [
        {
            "endpoint": v.stats.key,
            "stats": asdict(v.stats),
            "limits": asdict(v.limits),
            "problems": list(v.problems),
        }
        for v in verdicts
    ]


def _top_failures(path: Path, limit: int = 5) -> list[str]:
    """The most frequent failures, the same error on different URLs counted together."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        error = re.sub(r',?"instance":"[^"]*"', "", row.get("Error") or "")
        key = (row.get("Method") or "", row.get("Name") or "", error[:200])
        counts[key] = counts.get(key, 0) + int(row.get("Occurrences") or 0)
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:limit]
    return [f"{n} x {method} {name}: {error}" for (method, name, error), n in ranked]


# --- the user mix -------------------------------------------------------------------------------


def user_split(users: int, weights: Mapping[str, float]) -> dict[str, int]:
    """How Locust hands out ``users`` among the kinds (its Kullback-Leibler dispatch)."""
    counts = dict.fromkeys(weights, 0)
    heap = [(w * math.log2(w / (w + 1.0)), w + 1.0, w, k) for k, w in weights.items() if w > 0]
    heapq.heapify(heap)
    for _ in range(users if heap else 0):
        _, x, w, kind = heap[0]
        counts[kind] += 1
        heapq.heapreplace(heap, (w * math.log2(x / (x + 1.0)), x + 1.0, w, kind))
    return counts


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """Stops a process this runner started (and the children it forked) by its id."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # Started in its own session, so its process group id is its own id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def serving(
    env: Mapping[str, str], port: int, workers: int, log: Path, console: Console
) -> Iterator[str]:
    """``traceability serve`` on 127.0.0.1:``port``; its URL while the block runs."""
    import httpx

    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        *("-m", "traceability.cli", "serve", "--host", "127.0.0.1"),
        *("--port", str(port), "--workers", str(workers)),
    ]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with console.status(f"Starting the server ({workers} worker(s)) on {url}"):
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    raise RunError(f"the server exited at start ({log}):\n{_tail(log)}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RunError(f"the server did not answer /healthz within 90 s ({log})")
                time.sleep(0.2)
        console.print(f"Server up on {url} (pid {process.pid}, {workers} worker(s))")
        yield url
    finally:
        stop(process)
        console.print(f"Server stopped (pid {process.pid})")


def _cli(env: Mapping[str, str], log: IO[bytes], *args: str) -> bytes:
    """Runs a ``traceability`` command; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "traceability.cli", *args],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=log,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        log.flush()
        raise RunError(f"`traceability {' '.join(args)}` failed (exit {done.returncode})")
    return done.stdout


# --- the database -------------------------------------------------------------------------------


def _postgres_admin(url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


@contextlib.contextmanager
def database(url: str | None, data_dir: Path, keep: bool, console: Console) -> Iterator[str]:
    """A fresh database for the run: an SQLite file in the results, or a new database on the
    PostgreSQL server ``url`` names (dropped afterwards unless ``keep``)."""
    if url is None:
        yield f"sqlite+aiosqlite:///{(data_dir / 'traceability.db').resolve()}"
        return
    if url.startswith("sqlite"):
        yield url
        return
    from sqlalchemy.engine import make_url

    server = make_url(url).set(drivername="postgresql+asyncpg")
    name = f"trace_loadtest_{datetime.now():%Y%m%d_%H%M%S}_{secrets.token_hex(2)}"
    admin = server.render_as_string(hide_password=False)
    fresh = server.set(database=name).render_as_string(hide_password=False)
    try:
        _postgres_admin(admin, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # any driver error: say where it failed, not a stack trace
        raise RunError(f"cannot create database {name} on {server.host}: {exc}") from exc
    console.print(f"PostgreSQL database {name} created for this run")
    try:
        yield fresh
    finally:
        if keep:
            console.print(f"Kept the database: {server.set(database=name)}")
        else:
            _postgres_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            console.print(f"PostgreSQL database {name} dropped")


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Options:
    users: int = 50
    spawn_rate: float = 10
    duration: int = 30
    processes: int = 1
    workers: int = 1
    database_url: str | None = None
    redis_url: str | None = None
    profile: str = "normal"
    weights: str = DEFAULT_WEIGHTS
    storm_share: float = 0.8
    storm_after: float | None = None
    think: float = 1.0
    lots: int = 300
    producers: int = 3
    results: Path | None = None
    keep_database: bool = False
    as_json: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)


def _history(path: Path) -> str:
    """A one-line view of the latest ``Aggregated`` row of Locust's history CSV."""
    try:
        with path.open(newline="") as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("Name") == AGGREGATED]
    except (OSError, csv.Error):
        return ""
    if not rows:
        return ""
    last = rows[-1]
    requests = int(last.get("Total Request Count") or 0)
    failed = int(last.get("Total Failure Count") or 0)
    ratio = failed / requests if requests else 0.0
    return (
        f"{last.get('User Count')} users · {requests} requests · "
        f"{float(last.get('Requests/s') or 0):.0f} req/s · {ratio:.1%} failed · "
        f"p95 {last.get('95%')} ms"
    )


def run_locust(options: Options, url: str, seed: Path, results: Path, console: Console) -> None:
    storm_after = options.storm_after
    if storm_after is None:
        storm_after = options.duration / 3
    env = {
        **os.environ,
        "TRACE_LOADTEST_SEED": str(seed),
        "TRACE_LOADTEST_WEIGHTS": options.weights,
        "TRACE_LOADTEST_PROFILE": options.profile,
        "TRACE_LOADTEST_STORM_SHARE": str(options.storm_share),
        "TRACE_LOADTEST_STORM_AFTER": str(storm_after),
        "TRACE_LOADTEST_THINK": str(options.think),
    }
    command = [
        sys.executable,
        *("-m", "locust", "-f", str(LOCUSTFILE), "--headless"),
        *("-u", str(options.users), "-r", str(options.spawn_rate)),
        *("-t", f"{options.duration}s", "--host", url),
        *("--csv", str(results / CSV_PREFIX), "--html", str(results / "report.html")),
    ]
    if options.processes != 1:
        # Locust's master listens on every interface, port 5557, unless told otherwise; its
        # forked workers connect to --master-port.
        port = str(free_port())
        command += ["--processes", str(options.processes), "--master-bind-host", "127.0.0.1"]
        command += ["--master-bind-port", port, "--master-port", port]
    log = results / "locust.log"
    (results / "command.txt").write_text(" ".join(command) + "\n")
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    history = results / f"{CSV_PREFIX}_stats_history.csv"
    started = time.monotonic()
    limit = options.duration + 120
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("Locust"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("starting", total=options.duration)
            while process.poll() is None:
                waited = time.monotonic() - started
                if waited > limit:
                    raise RunError(f"Locust did not end within {limit} s (see {log})")
                bar.update(
                    task, completed=min(waited, options.duration), description=_history(history)
                )
                time.sleep(1)
    finally:
        stop(process, grace=15)
    stats_file = results / f"{CSV_PREFIX}_stats.csv"
    if not stats_file.exists():
        raise RunError(f"Locust ended (exit {process.returncode}) without results:\n{_tail(log)}")
    total = read_stats(stats_file)[-1]
    console.print(
        f"Locust done: {total.requests} requests ({total.rps:.1f} req/s), "
        f"{total.failure_ratio:.1%} failed"
    )


def run(options: Options, console: Console) -> int:
    if importlib.util.find_spec("locust") is None:
        raise RunError("Locust is not installed: pip install -e '.[load]'")
    if options.workers > 1 and not options.redis_url:
        raise RunError(
            "several server workers share their cache through Redis: give --redis-url "
            "(e.g. redis://127.0.0.1:6379/0), or run with --workers 1"
        )
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    results = (options.results or Path("results") / f"loadtest-{stamp}").resolve()
    results.mkdir(parents=True, exist_ok=True)
    data_dir = results / "data"
    data_dir.mkdir(exist_ok=True)
    weights = parse_weights(options.weights)
    split = user_split(options.users, weights)
    console.print(
        f"Load test: {options.users} users ("
        + ", ".join(f"{kind} {split[kind]}" for kind in KINDS)
        + f"), {options.duration} s, profile {options.profile}, "
        f"{options.processes} Locust process(es), {options.workers} server worker(s); "
        f"results in {results}"
    )
    for kind in KINDS:
        if weights[kind] > 0 and split[kind] == 0:
            console.print(
                f"[yellow]warning:[/] with {options.users} users no {kind} runs "
                f"(weight {weights[kind]:g}); give more --users"
            )

    from loadtests.seed import Plan, SeedError, seed_over_http

    plan = Plan(lots=options.lots, producers=options.producers)
    # The port is chosen before seeding: the base URL names the log (its checkpoints' origin
    # and key name), so the seeding commands and the server must agree on it.
    port = free_port()
    with database(options.database_url, data_dir, options.keep_database, console) as db_url:
        env = {
            **os.environ,
            "TRACE_BASE_URL": f"http://127.0.0.1:{port}",
            "TRACE_DATA_DIR": str(data_dir),
            "TRACE_DATABASE_URL": db_url,
            "TRACE_PUBLIC_RATE_LIMIT": UNLIMITED_RATE,
            "TRACE_LOG_LEVEL": "warning",
        }
        env.pop("TRACE_REDIS_URL", None)
        if options.redis_url:
            env["TRACE_REDIS_URL"] = options.redis_url
        with (
            (results / "seed.log").open("ab") as seed_log,
            console.status("Seeding the demo supply chains (traceability demo)"),
        ):
            _cli(env, seed_log, "demo")
            admin = ("org", "create", "--role", "admin", "--json", "--name", f"Load test {stamp}")
            created = json.loads(_cli(env, seed_log, *admin))
        with serving(env, port, options.workers, results / "server.log", console) as url:
            import httpx

            with (
                httpx.Client(base_url=url, timeout=60) as client,
                Progress(
                    SpinnerColumn(),
                    TextColumn("{task.description}"),
                    BarColumn(),
                    TimeElapsedColumn(),
                    console=console,
                    transient=True,
                ) as bar,
            ):
                task = bar.add_task("Seeding the long tail", total=plan.steps)
                try:
                    seed, warnings = seed_over_http(
                        client,
                        created["api_key"],
                        plan,
                        lambda what, n: bar.update(task, advance=n, description=what),
                    )
                except (SeedError, httpx.HTTPError) as exc:
                    raise RunError(f"seeding failed: {exc}") from exc
            for warning in warnings:
                console.print(f"[yellow]warning:[/] {warning}")
            seed_file = results / "seed.json"
            seed.save(seed_file)
            console.print(
                f"Seeded {len(seed.lots)} lots ({seed.hot} hot demo lots, "
                f"{len(seed.lots) - seed.hot} long tail), {len(seed.producers)} producers"
            )
            run_locust(options, url, seed_file, results, console)
    console.print(
        f"Reports: {results / 'report.html'}, {results / CSV_PREFIX}_stats.csv "
        f"(server log: {results / 'server.log'})"
    )
    return judge(results, options.thresholds, console, as_json=options.as_json)


# --- command line -------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


def _ratio(text: str) -> float:
    try:
        return parse_ratio(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _threshold(text: str) -> Rule:
    try:
        return parse_threshold(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m loadtests.run",
        description="Seed, serve on 127.0.0.1, run the Locust scenarios headless and check "
        "the thresholds. Exit 0 when all hold, 1 when one is missed, 2 when the run failed.",
        epilog="Thresholds: every endpoint has built-in p95/p99 limits by kind (public pages "
        "300/1000 ms, QR images 500/1500, writes 1500/3000, audits 2000/4000, capture-job "
        "polls 500/1500, capture jobs until recorded 5000/10000, anything else 1000/2500); "
        "--p95/--p99 replace them for every endpoint; each --threshold then overrides the "
        "endpoints it names, e.g. "
        '--threshold "GET /01/[gtin]/10/[lot] html:p99=500" or '
        '--threshold "GET /api/v1/audit/*:p95=1000,failures=0".',
    )
    run_group = p.add_argument_group("load")
    run_group.add_argument("--users", type=_positive_int, default=50, help="Locust users (50)")
    run_group.add_argument(
        "--spawn-rate", type=float, default=10, help="users started per second (10)"
    )
    run_group.add_argument(
        "--duration", type=_positive_int, default=30, help="seconds of load (30)"
    )
    run_group.add_argument(
        "--processes",
        type=int,
        default=1,
        help="Locust processes (its --processes: master + N workers; -1 for one per core)",
    )
    run_group.add_argument(
        "--profile",
        default="normal",
        help="normal, or storm: after --storm-after seconds one lot (the demo's rice bag) "
        "takes --storm-share of the scans",
    )
    run_group.add_argument(
        "--weights",
        default=DEFAULT_WEIGHTS,
        help=f"users per kind, as weights ({DEFAULT_WEIGHTS})",
    )
    run_group.add_argument(
        "--storm-share", type=_ratio, default=0.8, help="share of scans on the storm lot (0.8)"
    )
    run_group.add_argument(
        "--storm-after", type=float, help="seconds before the storm starts (a third of the run)"
    )
    run_group.add_argument(
        "--think", type=float, default=1.0, help="think-time factor; 0 for no pauses (1.0)"
    )
    server = p.add_argument_group("server and data")
    server.add_argument("--workers", type=_positive_int, default=1, help="server workers (1)")
    server.add_argument(
        "--database-url",
        help="a PostgreSQL server (the run creates, then drops, its own database on it); "
        "default: a fresh SQLite file in the results folder",
    )
    server.add_argument("--redis-url", help="Redis for the shared cache (needed by --workers > 1)")
    server.add_argument("--lots", type=_positive_int, default=300, help="long-tail lots (300)")
    server.add_argument("--producers", type=_positive_int, default=3, help="producers (3)")
    server.add_argument(
        "--keep-database", action="store_true", help="keep the PostgreSQL database afterwards"
    )
    out = p.add_argument_group("results and thresholds")
    out.add_argument(
        "--results", type=Path, help="results folder (default results/loadtest-<timestamp>)"
    )
    out.add_argument(
        "--max-failure-ratio",
        type=_ratio,
        default=0.01,
        help="largest failure ratio, per endpoint and overall: 0.01 or 1%% (0.01)",
    )
    out.add_argument("--p95", type=float, help="p95 limit in ms for every endpoint")
    out.add_argument("--p99", type=float, help="p99 limit in ms for every endpoint")
    out.add_argument(
        "--threshold",
        type=_threshold,
        action="append",
        default=[],
        metavar="ENDPOINT:p95=MS,p99=MS,failures=RATIO",
        help="limits for the endpoints a name or *-pattern matches; repeatable, later wins",
    )
    out.add_argument(
        "--json",
        action="store_true",
        help="print the verdict and every endpoint's figures on stdout as JSON (the rest "
        "goes to stderr)",
    )
    out.add_argument(
        "--evaluate",
        type=Path,
        metavar="RESULTS",
        help="only judge an earlier run's results folder against these thresholds",
    )
    return p


def options_from(args: argparse.Namespace) -> Options:
    return Options(
        users=args.users,
        spawn_rate=args.spawn_rate,
        duration=args.duration,
        processes=args.processes,
        workers=args.workers,
        database_url=args.database_url,
        redis_url=args.redis_url,
        profile=args.profile,
        weights=args.weights,
        storm_share=args.storm_share,
        storm_after=args.storm_after,
        think=args.think,
        lots=args.lots,
        producers=args.producers,
        results=args.results,
        keep_database=args.keep_database,
        as_json=args.json,
        thresholds=Thresholds(
            max_failure_ratio=args.max_failure_ratio,
            p95=args.p95,
            p99=args.p99,
            overrides=tuple(args.threshold),
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    options = options_from(args)
    try:
        options = replace(options, profile=parse_profile(options.profile))
        parse_weights(options.weights)
    except ConfigurationError as exc:
        p.error(str(exc))
    if options.processes == 0 or options.processes < -1:
        p.error("--processes is a number of processes, or -1 for one per core")
    if options.think < 0 or options.spawn_rate <= 0:
        p.error("--think must be 0 or more and --spawn-rate above 0")
    # With --json, stdout holds the JSON document alone.
    console = Console(highlight=False, stderr=options.as_json)
    if not console.is_terminal:
        # Logs and CI: wide enough for the table's endpoint names on one line.
        console = Console(highlight=False, width=160, stderr=options.as_json)
    try:
        if args.evaluate is not None:
            return judge(
                args.evaluate, options.thresholds, console, save=False, as_json=options.as_json
            )
        return run(options, console)
    except RunError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        console.print("[bold red]interrupted[/]: servers and Locust were stopped")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
