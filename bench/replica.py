"""Read-replica benchmark: public page reads with and without a replica, and a replica killed
mid-run.

A private PostgreSQL primary and a hot standby made from it (``pg_basebackup -R``, each on a
free loopback port, both removed at the end), one producer's lots registered through the
API, then `traceability serve` with the public cache off (every read meets a database) in
turn:

1. ``primary``: reads on the primary alone (no ``TRACE_DATABASE_READ_URL``).
2. ``replica``: the same server with the standby as its read replica.
3. ``kill``: the ``replica`` server again, the standby stopped at once
   (``pg_ctl -m immediate``) halfway through the run; every answer that is not a 200 counts
   as an error. The standby is started again afterwards.

Load: ``--clients`` concurrent HTTP/1.1 keep-alive clients (httpx) cycling over the lots'
pages (``Accept: application/json``) for ``--duration`` seconds each. Reported: requests/s,
p50 and p99 latency, errors, and the ratio replica/primary, side by side in one run.

Both databases share this machine's cores with the server and the load generator, so the
replica adds no capacity here: the figure shows what routing reads costs and that a dead
replica costs no answer; capacity grows with a replica on its own machine.

    python -m bench.replica [--duration 5] [--clients 8] [--lots 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path

import httpx

from tests.system.live import (
    ServeProcess,
    portal_env,
    postgres_bindir,
    primary_with_standby,
    register,
)
from traceability.chain.record import LotKey


@dataclass
class Run:
    name: str
    seconds: float = 0.0
    # After the run: the replica's state, and the reads run again on the primary.
    replica_state: str = ""
    fallbacks: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else 0


async def _client(url: str, lots: list[LotKey], run: Run, until: float) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for lot in cycle(lots):
            started = time.monotonic()
            if started >= until:
                return
            try:
                response = await http.get(
                    f"/01/{lot.gtin}/10/{lot.lot}", headers={"accept": "application/json"}
                )
            except httpx.TransportError as exc:
                run.errors.append(repr(exc))
                continue
            if response.status_code == 200:
                run.latencies.append(time.monotonic() - started)
            else:
                run.errors.append(str(response.status_code))


async def _load(
    name: str, url: str, lots: list[LotKey], args: argparse.Namespace, midway: Callable[[], None]
) -> Run:
    run = Run(name)
    started = time.monotonic()
    until = started + args.duration
    clients = [asyncio.create_task(_client(url, lots, run, until)) for _ in range(args.clients)]
    await asyncio.sleep(args.duration / 2)
    await asyncio.to_thread(midway)
    await asyncio.gather(*clients)
    run.seconds = time.monotonic() - started
    return run


@contextmanager
def _serving(env: dict[str, str], folder: Path, name: str) -> Iterator[str]:
    server = ServeProcess(env, folder / f"{name}.log")
    try:
        yield server.start()
    finally:
        server.stop()


def _after(run: Run, url: str) -> Run:
    run.replica_state = httpx.get(f"{url}/healthz", timeout=10).json()["replica"]["state"]
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith("traceability_replica_fallbacks_total "):
            run.fallbacks = float(line.split()[1])
    return run


def _wait_for_replica(url: str) -> None:
    deadline = time.monotonic() + 60
    while httpx.get(f"{url}/healthz", timeout=10).json().get("replica", {}).get("state") != "up":
        if time.monotonic() > deadline:
            raise SystemExit("the replica never came up")
        time.sleep(0.1)


def measure(args: argparse.Namespace, bindir: Path, folder: Path) -> list[Run]:
    runs: list[Run] = []
    with primary_with_standby(bindir) as (primary, standby):
        base = portal_env(folder / "var", primary.url, TRACE_PUBLIC_CACHE="false")
        with _serving(base, folder, "setup") as url:
            lots = register(url, base, producers=1, lots_per_producer=args.lots).producers[0].lots
        with _serving(base, folder, "primary") as url:
            runs.append(asyncio.run(_load("primary", url, lots, args, lambda: None)))
        with_replica = {
            **base,
            "TRACE_DATABASE_READ_URL": standby.url,
            "TRACE_DATABASE_READ_CHECK_INTERVAL": "0.2",
        }
        with _serving(with_replica, folder, "replica") as url:
            _wait_for_replica(url)
            runs.append(_after(asyncio.run(_load("replica", url, lots, args, lambda: None)), url))
            runs.append(_after(asyncio.run(_load("kill", url, lots, args, standby.kill)), url))
            standby.start()
    return runs


def report(runs: list[Run]) -> str:
    lines = [
        "| run | requests/s | p50 ms | p99 ms | answers | errors | replica after | run again |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for run in runs:
        lines.append(
            f"| {run.name} | {run.rate:,.0f} | {run.percentile(0.5):.1f} | "
            f"{run.percentile(0.99):.1f} | {len(run.latencies):,} | {len(run.errors)} | "
            f"{run.replica_state or '-'} | {run.fallbacks:.0f} |"
        )
    by_name = {run.name: run for run in runs}
    if by_name["primary"].rate:
        ratio = by_name["replica"].rate / by_name["primary"].rate
        lines.append(f"\nreplica / primary requests/s: {ratio:.2f}")
    errors = [error for run in runs for error in run.errors]
    if errors:
        lines.append(f"errors: {statistics.mode(errors)} (most common of {len(errors)})")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--lots", type=int, default=20, help="lots registered and read")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bindir = postgres_bindir()
    if bindir is None:
        raise SystemExit("the PostgreSQL server programs (initdb, pg_ctl) are not installed")
    with tempfile.TemporaryDirectory(prefix="bench-replica-") as folder:
        runs = measure(args, bindir, Path(folder))
    print(report(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
