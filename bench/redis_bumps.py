"""Redis round trips and writes/s of a write's generation bumps, with 1, 2 and 4 processes.

A private redis-server on a free port of 127.0.0.1 (stopped by PID at the end). The writer
is this process; the other API processes are child processes, each holding a subscribed
``RedisCache`` as a serving process does. A write is one ``bump_many`` of ``--scopes``
scopes, made one after another for ``--seconds``; its rate is writes/s.

Round trips are read from MONITOR while ``--counted`` more writes run (MONITOR slows the
server, so the rate is measured without it): every command a client sent, not those its
scripts ran (MONITOR marks those ``lua``). "writer" counts the round trips the writing
request waits for (the bump script and the waits for acknowledgements); "all" adds every
process's acknowledgements.

``--baseline REV`` runs the cache module of that git revision beside this one, in the same
run, on the same server:

    python -m bench.redis_bumps [--baseline REV] [--processes 1,2,4] [--scopes 5,1200]
                                [--seconds 3] [--counted 20]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import multiprocessing
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path
from types import ModuleType
from typing import Any

import redis

HOST = "127.0.0.1"
_CLIENT_LINE = re.compile(r'^\d+\.\d+ \[\d+ (?!lua)[^\]]+\] "(\w+)"(?: "(\w+)")?')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def cache_module(source: Path | None) -> ModuleType:
    """This tree's cache module, or the one in ``source`` (a file from another revision)."""
    if source is None:
        import traceability.cache.redis as current

        return current
    spec = importlib.util.spec_from_file_location(f"baseline_cache_{source.stem}", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def subscriber(source: str | None, url: str, ready: Event, stop: Event) -> None:
    """One more API process: a subscribed cache that acknowledges every bump it hears."""

    async def serve() -> None:
        cache = cache_module(Path(source) if source else None).RedisCache(url)
        if not await cache.wait_until_subscribed(timeout=10):
            raise RuntimeError("subscriber did not subscribe")
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await cache.close()

    asyncio.run(serve())


@dataclass
class Result:
    path: str
    processes: int
    scopes: int
    writes_per_s: float
    writer_round_trips: float
    all_round_trips: float


async def writes(cache: Any, count: int | None, seconds: float, scopes: int) -> int:
    done = 0
    deadline = time.perf_counter() + seconds
    while (count is None and time.perf_counter() < deadline) or (count and done < count):
        await cache.bump_many([f"lot:{uuid.uuid4()}" for _ in range(scopes)])
        done += 1
    return done


def monitored(port: int) -> tuple[subprocess.Popen[bytes], Path]:
    out = Path(tempfile.mkstemp(prefix="monitor-", suffix=".log")[1])
    cli = shutil.which("redis-cli")
    assert cli, "redis-cli is needed to count round trips"
    with out.open("wb") as sink:
        process = subprocess.Popen([cli, "-h", HOST, "-p", str(port), "monitor"], stdout=sink)
    time.sleep(0.3)
    return process, out


def count_round_trips(log: Path, bump_sha: str) -> tuple[int, int]:
    """(the writer's round trips, every client's), from a MONITOR log."""
    writer = every = 0
    for line in log.read_text(errors="replace").splitlines():
        found = _CLIENT_LINE.match(line)
        if found is None:
            continue
        command, first = found.group(1).upper(), (found.group(2) or "").lower()
        every += 1
        if command == "BLPOP" or (command == "EVALSHA" and first == bump_sha):
            writer += 1
    return writer, every


async def measure(
    path: str, source: Path | None, url: str, port: int, processes: int, scopes: int, args: Any
) -> Result:
    module = cache_module(source)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    children = []
    for _ in range(processes - 1):
        ready = context.Event()
        child = context.Process(
            target=subscriber, args=(str(source) if source else None, url, ready, stop)
        )
        child.start()
        children.append((child, ready))
    cache = module.RedisCache(url)
    try:
        assert await cache.wait_until_subscribed(timeout=10)
        for _, ready in children:
            assert ready.wait(30), "a subscriber process did not start"
        await writes(cache, 5, 0, scopes)  # scripts loaded, connections open
        started = time.perf_counter()
        done = await writes(cache, None, args.seconds, scopes)
        rate = done / (time.perf_counter() - started)
        monitor, log = monitored(port)
        await writes(cache, args.counted, 0, scopes)
        await asyncio.sleep(0.3)  # the monitor's last lines
        monitor.terminate()
        monitor.wait(10)
        bump_sha = hashlib.sha1(module._BUMP.encode()).hexdigest()
        writer, every = count_round_trips(log, bump_sha)
        log.unlink()
    finally:
        await cache.close()
        stop.set()
        for child, _ in children:
            child.join(10)
    return Result(path, processes, scopes, rate, writer / args.counted, every / args.counted)


def baseline_source(revision: str, folder: Path) -> Path:
    text = subprocess.run(
        ["git", "show", f"{revision}:traceability/cache/redis.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = folder / "baseline_redis_cache.py"
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="git revision whose cache module runs beside")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--scopes", default="5,1200", help="scopes a write bumps")
    parser.add_argument("--seconds", type=float, default=3.0, help="per rate measurement")
    parser.add_argument("--counted", type=int, default=20, help="writes whose round trips count")
    args = parser.parse_args()
    server_binary = shutil.which("redis-server")
    if server_binary is None:
        sys.exit("redis-server is not installed")
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [server_binary, "--port", str(port), "--bind", HOST, "--save", "", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    redis.Redis(host=HOST, port=port).ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            url = f"redis://{HOST}:{port}/0"
            paths: list[tuple[str, Path | None]] = [("this tree", None)]
            if args.baseline:
                paths.insert(
                    0, (f"baseline {args.baseline}", baseline_source(args.baseline, Path(folder)))
                )
            results = []
            for processes in [int(p) for p in args.processes.split(",")]:
                for scopes in [int(s) for s in args.scopes.split(",")]:
                    for name, source in paths:
                        result = asyncio.run(
                            measure(name, source, url, port, processes, scopes, args)
                        )
                        results.append(result)
                        print(
                            f"{name}: P={processes} scopes={scopes} "
                            f"{result.writes_per_s:,.0f} writes/s, round trips per write: "
                            f"writer {result.writer_round_trips:.1f}, "
                            f"all {result.all_round_trips:.1f}",
                            file=sys.stderr,
                            flush=True,
                        )
        finally:
            server.terminate()
            server.wait(10)
    print(
        "| path | processes | scopes a write | writes/s | writer's round trips | all round trips |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r.path} | {r.processes} | {r.scopes:,} | {r.writes_per_s:,.0f} "
            f"| {r.writer_round_trips:.1f} | {r.all_round_trips:.1f} |"
        )


if __name__ == "__main__":
    main()
