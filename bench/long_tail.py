"""The long tail: uncached lot pages built per scan, for lots chosen uniformly at random.

A nation scans many lots, most of them rarely; each such scan misses every cache and builds
the page from the database. This benchmark measures that build on a seeded PostgreSQL
database (``traceability seed``, see docs/BENCHMARKS.md "Bulk seeding"):

- ``inprocess``: the provenance service builds ``--builds`` pages, one read-only snapshot
  each (as the resolver does on a miss), for lots drawn uniformly from the lots table; it
  counts the SQL statements and round trips of a build (SQLAlchemy event hooks) and, with
  ``--profile``, prints the top cumulative costs of a cProfile run.
- ``http``: ``traceability serve`` with ``TRACE_PUBLIC_CACHE=false``; wrk requests the HTML
  page of a uniformly chosen lot (a Lua script picks one of ``--lots`` paths per request).

``--before CHECKOUT`` runs the same measurements, interleaved in the same run, against
another checkout of the project (put first on PYTHONPATH of a child process), so a change
is quoted as a ratio taken side by side. Each side's server also answers ``--compare``
of the drawn lot pages (HTML) once more, and the two sides' pages are compared byte for
byte: a faster page must be the same page.

    python -m bench.long_tail --database-url postgresql+asyncpg://…/seeded --data-dir DIR \\
        [--builds 400] [--runs 3] [--duration 10] [--before ../old-checkout] [--profile]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.public import (
    free_port,
    http_get,
    log,
    parse_wrk,
    run_wrk,
    running_server,
    traceability_script,
)

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "long_tail_child.py"
# One wrk request picks one of these paths uniformly (math.random over the list).
_WRK_SCRIPT = """
paths = {%s}
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Accept"] = "text/html"})
end
"""


@dataclass(frozen=True)
class InProcess:
    builds_per_s: float
    cpu_ms: float  # the building process's CPU a build (PostgreSQL's not counted)
    statements: float
    round_trips: float
    profile: str


def _child_env(checkout: Path, args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(
        PYTHONPATH=str(checkout),
        TRACE_DATABASE_URL=args.database_url,
        TRACE_DATA_DIR=str(args.data_dir),
        TRACE_PUBLIC_CACHE="false",
        TRACE_PUBLIC_RATE_LIMIT="1000000000",
    )
    return env


def _child(checkout: Path, args: argparse.Namespace, *options: str) -> object:
    """Run bench/long_tail_child.py against ``checkout``; its one JSON line, parsed."""
    done = subprocess.run(
        [sys.executable, str(CHILD), *options],
        env=_child_env(checkout, args),
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the child run failed in {checkout}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def in_process(checkout: Path, args: argparse.Namespace, seed: int) -> InProcess:
    """Builds per second, CPU, statements and round trips per build, in a child process that
    imports ``traceability`` from ``checkout``."""
    options = ["--builds", str(args.builds), "--seed", str(seed)]
    found = _child(checkout, args, *options, *(["--profile"] if args.profile else []))
    assert isinstance(found, dict)
    return InProcess(
        found["builds_per_s"],
        found["cpu_ms"],
        found["statements"],
        found["round_trips"],
        found["profile"],
    )


def lot_paths(checkout: Path, args: argparse.Namespace, seed: int) -> list[str]:
    """``--lots`` lot page paths, drawn uniformly from the lots table."""
    found = _child(checkout, args, "--paths", str(args.lots), "--seed", str(seed))
    assert isinstance(found, list)
    return [str(path) for path in found]


@dataclass(frozen=True)
class OverHttp:
    pages_per_s: float
    # The server process's CPU (user + system) per answered page during the wrk run: what a
    # page costs the portal, far less moved by the machine's load than the rate.
    server_cpu_ms: float
    pages: dict[str, tuple[int, bytes]]  # path -> status and HTML, for the comparison


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_origin(args: argparse.Namespace) -> str:
    """The origin the seeded log's checkpoints carry: the one the in-process side reads with
    (no TRACE_BASE_URL, so the default)."""
    found = _child(ROOT, args, "--log-origin")
    assert isinstance(found, str)
    return found


def audit_holds(port: int, path: str) -> bool:
    """Whether the served page's audit passed: a page whose checkpoints do not open (a log
    origin other than the seed's) is another, cheaper page, and must not be what is timed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Accept": "application/json"})
        verification = json.loads(connection.getresponse().read())["verification"]
    finally:
        connection.close()
    return bool(verification and verification["intact"])


def over_http(checkout: Path, args: argparse.Namespace, paths: Sequence[str]) -> OverHttp:
    """Requests per second of uncached lot pages over HTTP (wrk), one server worker; and
    the first ``--compare`` pages' HTML."""
    port = free_port()
    # One base URL for both sides: the pages name it, and are compared byte for byte. The
    # base URL names the log's origin too unless told otherwise: the seed's, or no checkpoint
    # opens and every page is a failed audit.
    env = _child_env(checkout, args) | {
        "TRACE_BASE_URL": "https://long-tail.example",
        "TRACE_LOG_ORIGIN": args.log_origin,
    }
    command = [traceability_script(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryDirectory(prefix="long-tail-") as scratch:
        script = Path(scratch) / "paths.lua"
        script.write_text(_WRK_SCRIPT % ",".join(json.dumps(p) for p in paths))
        log_path = Path(scratch) / "server.log"
        with running_server(command, env, port, "/healthz", log_path, 60.0) as server:
            wrk = ["wrk", "-t1", f"-c{args.connections}", "-s", str(script)]
            url = f"http://127.0.0.1:{port}/"
            if not audit_holds(port, paths[0]):
                raise RuntimeError(f"{paths[0]}: the page's audit fails\n{server.tail()}")
            run_wrk([*wrk, "-d2s", url], 2)  # warm-up: imports, pools, templates
            cpu = _process_cpu_s(server.process.pid)
            result = parse_wrk(run_wrk([*wrk, f"-d{args.duration}s", "--latency", url], 10))
            cpu = _process_cpu_s(server.process.pid) - cpu
            pages = {p: http_get(port, p, html=True, timeout=30) for p in paths[: args.compare]}
    return OverHttp(result.requests_per_s, cpu * 1000 / max(result.requests, 1), pages)


def compare_pages(sides: dict[str, OverHttp]) -> str:
    """Whether the two sides answered every compared path with the same status and bytes."""
    before, after = sides["before"].pages, sides["after"].pages
    differ = sorted(p for p in after if before.get(p) != after[p])
    if not differ:
        return f"pages compared: {len(after)}, all byte-for-byte identical"
    return f"pages compared: {len(after)}, {len(differ)} differ, first {differ[0]}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.long_tail", description=__doc__)
    parser.add_argument("--database-url", required=True, help="a seeded database (asyncpg URL)")
    parser.add_argument("--data-dir", type=Path, required=True, help="its TRACE_DATA_DIR")
    parser.add_argument("--builds", type=int, default=400, help="in-process builds a run")
    parser.add_argument("--lots", type=int, default=2000, help="distinct lots over HTTP")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk a run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--compare", type=int, default=200, help="pages compared, HTML")
    parser.add_argument("--before", type=Path, help="a checkout of the code before the change")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-inprocess", action="store_true", help="HTTP (and compare) only")
    parser.add_argument("--profile", action="store_true", help="print the top cProfile costs")
    return parser.parse_args(argv)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _counts(found: InProcess | None) -> str:
    if found is None:
        return " | | "
    return f"{found.cpu_ms:.2f} | {found.statements:.1f} | {found.round_trips:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.log_origin = log_origin(args)
    sides = {"after": ROOT}
    if args.before is not None:
        sides = {"before": args.before.resolve(), "after": ROOT}
    rates: dict[str, dict[str, list[float]]] = {
        s: {"inprocess": [], "http": [], "server_cpu": []} for s in sides
    }
    counts: dict[str, InProcess] = {}
    comparisons: list[str] = []
    for run in range(args.runs):
        order = list(sides) if run % 2 == 0 else list(reversed(sides))
        for side in order if not args.skip_inprocess else ():
            found = in_process(sides[side], args, seed=run)
            counts[side] = found
            rates[side]["inprocess"].append(found.builds_per_s)
            log(f"run {run + 1} {side}: in-process {found.builds_per_s:.1f} builds/s")
            if args.profile and found.profile:
                print(f"--- profile, {side}, run {run + 1}\n{found.profile}")
        if args.skip_http:
            continue
        paths = lot_paths(ROOT, args, seed=run)
        served: dict[str, OverHttp] = {}
        for side in order:
            served[side] = over_http(sides[side], args, paths)
            rate = served[side].pages_per_s
            rates[side]["http"].append(rate)
            rates[side]["server_cpu"].append(served[side].server_cpu_ms)
            log(
                f"run {run + 1} {side}: HTTP {rate:.1f} pages/s, "
                f"server CPU {served[side].server_cpu_ms:.2f} ms a page"
            )
        if "before" in served:
            comparisons.append(f"run {run + 1}: {compare_pages(served)}")
            log(comparisons[-1])
    print(
        "| side | in-process builds/s (runs) | HTTP pages/s (runs) | server CPU ms a page "
        "| CPU ms a build | statements | round trips |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for side in sides:
        own = rates[side]
        print(
            f"| {side} | {_median(own['inprocess']):.1f} "
            f"({', '.join(f'{r:.1f}' for r in own['inprocess'])}) | {_median(own['http']):.1f} "
            f"({', '.join(f'{r:.1f}' for r in own['http'])}) "
            f"| {_median(own['server_cpu']):.2f} | {_counts(counts.get(side))} |"
        )
    if "before" in sides:
        for kind in ("inprocess", "http", "server_cpu"):
            pairs = zip(rates["after"][kind], rates["before"][kind], strict=True)
            ratios = [a / b for a, b in pairs if b]
            if ratios:
                print(f"after / before, {kind}: median {_median(ratios):.2f}x per run {ratios}")
    for line in comparisons:
        print(line)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}; {time.ctime()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
