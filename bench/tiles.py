"""Log tiles benchmark: a full tile served from the public cache against a bare FastAPI
route, and the mirror's copy rate in leaves per second.

1. ``baseline``: ``bench/baseline_app.py`` (a small orjson dict), as in ``bench/public.py``.
2. ``tile``: the product (``traceability serve``), ``GET /log/tile/0/000`` (8,192 bytes,
   C2SP tlog-tiles), public cache on. The first request cuts the tile from stored nodes;
   every later one is answered by the public gate from the cache.

Both servers start the same way (uvicorn, one worker, access log off), one at a time,
forward order on even runs and reversed on odd ones; each is warmed up, then measured
with ``wrk --latency``. Reported: medians over ``--runs`` of requests/s, p50 and p99, and
the median of the per-run ratios tile/baseline (goal: at least 1.0).

``--mirror`` then serves the product once more and times ``traceability mirror`` copying
the whole log into an empty directory (every tile fetched and checked): leaves/s.

The log is whatever the data dir's database holds; ``traceability seed`` builds a large
one, e.g. ``TRACE_DATA_DIR=/tmp/big traceability seed --lots 40000 --events-per-lot 8``.

    python -m bench.tiles --data-dir DIR [--database-url URL] [--runs 3] [--duration 10] [--mirror]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.public import (
    HOST,
    WrkResult,
    free_port,
    log,
    median,
    parse_wrk,
    run_wrk,
    running_server,
    traceability_script,
    wrk_command,
)

TILE_PATH = "/log/tile/0/000"
GOAL_VS_BASELINE = 1.0


def _product(args: argparse.Namespace, port: int) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(TRACE_DATA_DIR=str(args.data_dir), TRACE_PUBLIC_RATE_LIMIT="1000000000")
    if args.redis_url:
        env["TRACE_REDIS_URL"] = args.redis_url
    if args.database_url:
        env["TRACE_DATABASE_URL"] = args.database_url
    command = [traceability_script(), "serve", "--host", HOST, "--port", str(port)]
    return command, env


def _baseline(port: int) -> tuple[list[str], dict[str, str]]:
    command = [sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--host", HOST]
    command += ["--port", str(port), "--workers", "1", "--no-access-log"]
    return command, dict(os.environ)


def measure(target: str, args: argparse.Namespace, work_dir: Path) -> WrkResult:
    port = free_port()
    if target == "baseline":
        (command, env), path, ready = _baseline(port), "/", "/"
    else:
        (command, env), path, ready = _product(args, port), TILE_PATH, "/healthz"
    url = f"http://{HOST}:{port}{path}"
    with running_server(command, env, port, ready, work_dir / f"{target}.log", 60):
        run_wrk(wrk_command(url, 2, 64, args.warmup, False, latency=False), args.warmup)
        output = run_wrk(wrk_command(url, 2, 64, args.duration, False), args.duration + 10)
    return parse_wrk(output)


def mirror_rate(args: argparse.Namespace, work_dir: Path) -> dict[str, object]:
    port = free_port()
    command, env = _product(args, port)
    with running_server(command, env, port, "/healthz", work_dir / "mirror-source.log", 60):
        done = subprocess.run(
            [traceability_script(), "mirror", "--from", f"http://{HOST}:{port}/log",
             "--to", str(work_dir / "mirror"), "--json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tiles", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="TRACE_DATA_DIR of the log")
    parser.add_argument("--redis-url", default="", help="shared cache (default: in-process)")
    parser.add_argument(
        "--database-url", default="", help="the log's database (default: the data dir's SQLite)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--mirror", action="store_true", help="also time a full mirror copy")
    args = parser.parse_args(argv)
    targets = ["baseline", "tile"]
    runs: list[dict[str, WrkResult]] = []
    with tempfile.TemporaryDirectory(prefix="bench-tiles-") as tmp:
        for n in range(args.runs):
            run = {}
            for target in targets if n % 2 == 0 else reversed(targets):
                run[target] = measure(target, args, Path(tmp))
                log(f"run {n + 1}: {target} {run[target].requests_per_s:,.0f} req/s")
            runs.append(run)
        copy = mirror_rate(args, Path(tmp)) if args.mirror else None
    print("| target | requests/s | p50 | p99 |\n| --- | ---: | ---: | ---: |")
    for target in targets:
        rps = median([r[target].requests_per_s for r in runs])
        p50 = median([r[target].p50_ms for r in runs])
        p99 = median([r[target].p99_ms for r in runs])
        print(f"| {target} | {rps:,.0f} | {p50:.2f} ms | {p99:.2f} ms |")
    ratio = median([r["tile"].requests_per_s / r["baseline"].requests_per_s for r in runs])
    verdict = "meets" if ratio >= GOAL_VS_BASELINE else "misses"
    print(f"\ntile / baseline: {ratio:.2f}x ({verdict} the goal of {GOAL_VS_BASELINE:.1f}x)")
    if copy is not None:
        print(
            f"mirror: {copy['leaves_copied']:,} leaves, {copy['tiles_fetched']:,} tiles in "
            f"{copy['seconds']} s: {copy['leaves_per_second']:,} leaves/s"
        )
    return 0 if ratio >= GOAL_VS_BASELINE else 1


if __name__ == "__main__":
    sys.exit(main())
