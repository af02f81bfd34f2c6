"""Front-cache benchmark: the cached lot page through nginx's front cache, beside the same
bytes served by the same nginx from disk, and beside the portal asked directly.

One portal (``traceability serve``, public cache on, Redis) on the demo database of
``bench.public`` (a kept ``bench_public_*`` database is reused), and one nginx running
deploy/nginx.conf (bench.front_proxy) in front of it, with one more location serving the
lot page's bytes as a static file. Three targets, asked with ``Accept: text/html`` and no
Accept-Encoding (so all three send the same 22 KB):

1. ``static``: nginx, the page's bytes from disk (sendfile). The yardstick.
2. ``front``: nginx, the lot page from its front cache (refreshed from the portal once a
   second, X-Accel-Expires: 1, with If-None-Match).
3. ``portal``: the portal directly (its own page cache, no nginx).

Every round runs wrk on each target in turn (the order reversed every other round, so a
drift of the machine favours none) after a short unmeasured warm-up. Reported: each
round's requests/s and the ratios front/static and front/portal of that round, then the
medians. Goal (issue 18): front at least 0.5x static.

    python -m bench.front_cache [--rounds 3] [--duration 5] [--nginx-workers 2] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from bench.front_proxy import front_proxy, nginx_binary
from bench.public import (
    DEFAULT_PATH,
    DEFAULT_SERVER,
    HOST,
    Dataset,
    drop_datasets,
    flush_redis,
    free_port,
    log,
    parse_wrk,
    prepare_dataset,
    product_env,
    run_wrk,
    running_server,
    traceability_script,
    wrk_command,
)

DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
STATIC_PATH = "/front-cache-bench/lot.html"
TARGETS = ("static", "front", "portal")
GOAL_VS_STATIC = 0.5


def static_location(page_file: Path) -> str:
    """An nginx location serving ``page_file`` as the yardstick."""
    return (
        f"        location = {STATIC_PATH} {{\n"
        f"            alias {page_file};\n"
        "            default_type text/html;\n"
        "        }\n"
    )


def warm_front(url: str) -> None:
    """Ask through nginx until the page comes from its cache (the first ask fills it)."""
    with httpx.Client(timeout=10) as http:
        for _ in range(50):
            answer = http.get(url, headers={"accept": "text/html"})
            if answer.headers.get("x-cache-status") == "HIT":
                return
            time.sleep(0.05)
    raise RuntimeError(f"{url} is never served from the front cache")


def one_round(
    urls: dict[str, str], order: Sequence[str], args: argparse.Namespace
) -> dict[str, float]:
    rates: dict[str, float] = {}
    for target in order:
        url = urls[target]
        run_wrk(
            wrk_command(url, args.threads, args.connections, args.warmup, True, latency=False),
            args.warmup,
        )
        result = parse_wrk(
            run_wrk(
                wrk_command(url, args.threads, args.connections, args.duration, True),
                args.duration,
            )
        )
        if result.non_2xx or result.socket_errors:
            log(f"  warning: {target}: {result.non_2xx} non-2xx, {result.socket_errors} errors")
        rates[target] = result.requests_per_s
        log(f"  {target}: {result.requests_per_s:,.0f} req/s, p99 {result.p99_ms:.2f} ms")
    return rates


def report(rounds: list[dict[str, float]], page_bytes: int, args: argparse.Namespace) -> str:
    lines = [
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency "
        f"(warm-up {args.warmup:g} s), Accept: text/html, page {args.path} "
        f"({page_bytes:,} bytes), nginx workers {args.nginx_workers}, portal workers "
        f"{args.workers}, {len(rounds)} round(s)",
        "",
        "| round | nginx static (req/s) | nginx front cache (req/s) | portal direct (req/s) "
        "| front / static | front / portal |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, rates in enumerate(rounds, 1):
        lines.append(
            f"| {n} | {rates['static']:,.0f} | {rates['front']:,.0f} | {rates['portal']:,.0f} "
            f"| {rates['front'] / rates['static']:.2f} | {rates['front'] / rates['portal']:.2f} |"
        )

    def med(values: list[float]) -> float:
        return statistics.median(values)

    vs_static = med([r["front"] / r["static"] for r in rounds])
    vs_portal = med([r["front"] / r["portal"] for r in rounds])
    verdict = "met" if vs_static >= GOAL_VS_STATIC else "NOT met"
    lines.append(
        f"| median | {med([r['static'] for r in rounds]):,.0f} "
        f"| {med([r['front'] for r in rounds]):,.0f} | {med([r['portal'] for r in rounds]):,.0f} "
        f"| {vs_static:.2f} | {vs_portal:.2f} |"
    )
    lines += ["", f"Goal front / static >= {GOAL_VS_STATIC}: {verdict} ({vs_static:.2f})."]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.front_cache",
        description=(
            "The cached lot page through nginx's front cache (deploy/nginx.conf) beside the "
            "same bytes served by nginx from disk and beside the portal directly, with wrk, "
            "in the same run. Prints a markdown table."
        ),
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of wrk per target")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--nginx-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="portal worker processes")
    parser.add_argument("--lots", type=int, default=10_000, help="lots in the database")
    parser.add_argument("--batch", type=int, default=50_000, help="filler lots per INSERT")
    parser.add_argument("--path", default=DEFAULT_PATH, help="the lot page asked for")
    parser.add_argument("--database-url", default=DEFAULT_SERVER, help="PostgreSQL server")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="a Redis database to flush")
    parser.add_argument("--start-timeout", type=float, default=120.0)
    parser.add_argument("--keep", action="store_true", help="keep the database for next time")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    nginx = nginx_binary()
    if shutil.which("wrk") is None or nginx is None:
        print("bench.front_cache: needs wrk and nginx", file=sys.stderr)
        return 2
    started = time.perf_counter()
    datasets: list[Dataset] = []
    with tempfile.TemporaryDirectory(prefix="bench-front-") as tmp:
        work = Path(tmp)
        try:
            dataset = prepare_dataset(
                args.database_url, args.lots, work, args.redis_url, args.batch
            )
            datasets.append(dataset)
            flush_redis(args.redis_url)
            port = free_port()
            command = [traceability_script(), "serve", "--host", HOST, "--port", str(port)]
            command += ["--workers", str(args.workers)]
            env = product_env(dataset, args.redis_url)
            with running_server(
                command, env, port, "/healthz", work / "serve.log", args.start_timeout
            ):
                portal = f"http://{HOST}:{port}"
                page = httpx.get(portal + args.path, headers={"accept": "text/html"}, timeout=30)
                if page.status_code != 200:
                    raise RuntimeError(f"GET {args.path} answered {page.status_code}")
                page_file = work / "lot.html"
                page_file.write_bytes(page.content)
                with front_proxy(
                    nginx,
                    work / "nginx",
                    port,
                    workers=args.nginx_workers,
                    extra_locations=static_location(page_file),
                ) as proxy:
                    urls = {
                        "static": proxy.url + STATIC_PATH,
                        "front": proxy.url + args.path,
                        "portal": portal + args.path,
                    }
                    warm_front(urls["front"])
                    rounds = []
                    for n in range(args.rounds):
                        order = TARGETS if n % 2 == 0 else tuple(reversed(TARGETS))
                        log(f"round {n + 1}/{args.rounds}")
                        rounds.append(one_round(urls, order, args))
        finally:
            if not args.keep:
                drop_datasets(args.database_url, datasets)
    print(report(rounds, len(page.content), args))
    print(f"\nbench.front_cache: done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
