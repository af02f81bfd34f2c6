"""One side of bench/long_tail.py, run as a script in a child process: it imports only
``traceability`` (from whichever checkout is first on PYTHONPATH) and the standard library,
so an older checkout runs it unchanged. Prints one JSON line.

    python bench/long_tail_child.py --builds N [--profile]   # in-process builds
    python bench/long_tail_child.py --paths N                # N lot page paths, uniformly
    python bench/long_tail_child.py --log-origin             # the log's checkpoint origin
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import time
from typing import Any

from sqlalchemy import event, text

from traceability.config import Settings
from traceability.identifiers.digital_link import DigitalLink, digital_link_path
from traceability.portal import Portal


async def uniform_lots(portal: Portal, count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` registered lots, each drawn uniformly from the lots table."""
    async with portal.read() as session:
        await session.execute(text("SELECT setseed(:s)"), {"s": seed / 1000})
        rows = await session.execute(
            text("SELECT gtin, lot_code FROM lots ORDER BY random() LIMIT :n"), {"n": count}
        )
        return [(row[0], row[1]) for row in rows]


class Counter:
    """Statements and round trips to the database (a statement, BEGIN, ROLLBACK, a ping)."""

    def __init__(self, portal: Portal) -> None:
        self.statements = 0
        self.other = 0
        engine = portal.database.reader.sync_engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._other)
        event.listen(engine, "rollback", self._other)
        event.listen(engine, "commit", self._other)
        # pool_pre_ping pings the connection at each checkout (one round trip).
        if engine.pool._pre_ping:
            event.listen(engine, "engine_connect", self._other)

    def _statement(self, *_args: Any) -> None:
        self.statements += 1

    def _other(self, *_args: Any) -> None:
        self.other += 1


async def build(portal: Portal, lots: list[tuple[str, str]]) -> None:
    for gtin, lot in lots:
        async with portal.read(snapshot=True) as session:
            await portal.provenance.lot(session, DigitalLink(gtin=gtin, lot=lot), lot)


async def measure(builds: int, seed: int, profile: bool) -> dict[str, Any]:
    portal = Portal.build(Settings())
    try:
        lots = await uniform_lots(portal, builds + 20, seed)
        await build(portal, lots[:20])  # warm-up: pools, prepared statements, imports
        counter = Counter(portal)
        measured = lots[20:]
        start, cpu = time.perf_counter(), time.process_time()
        await build(portal, measured)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        statements, other = counter.statements, counter.other
        top = ""
        if profile:
            profiler = cProfile.Profile(time.process_time)  # CPU: the machine may be loaded
            profiler.enable()
            await build(portal, measured[:100])
            profiler.disable()
            out = io.StringIO()
            for sort in ("cumulative", "tottime"):
                pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(30)
            top = out.getvalue()
        return {
            "builds_per_s": len(measured) / elapsed,
            # This process's CPU alone (PostgreSQL's is not in it): the load of the machine
            # moves it far less than the wall clock.
            "cpu_ms": cpu * 1000 / len(measured),
            "statements": statements / len(measured),
            "round_trips": (statements + other) / len(measured),
            "profile": top,
        }
    finally:
        await portal.database.dispose()


async def paths(count: int, seed: int) -> list[str]:
    portal = Portal.build(Settings())
    try:
        lots = await uniform_lots(portal, count, seed)
    finally:
        await portal.database.dispose()
    return [digital_link_path(DigitalLink(gtin=g, lot=lot)) for g, lot in lots]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builds", type=int, default=0)
    parser.add_argument("--paths", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--log-origin", action="store_true")
    args = parser.parse_args()
    if args.log_origin:
        print(json.dumps(Settings().resolved_log_origin))
    elif args.paths:
        print(json.dumps(asyncio.run(paths(args.paths, args.seed))))
    else:
        print(json.dumps(asyncio.run(measure(args.builds, args.seed, args.profile))))


if __name__ == "__main__":
    main()
