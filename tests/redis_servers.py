"""Private redis-servers for tests that stop, flush or count what one server saw.

Each listens on a free port of 127.0.0.1 and keeps nothing on disk; stopping one disturbs
no other test's Redis.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.servers import free_port

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")


def require_redis_server() -> None:
    """Skip without redis-server (and redis-cli) on a developer's machine; fail in CI."""
    if REDIS_SERVER is None or REDIS_CLI is None:
        message = "redis-server and redis-cli are not installed"
        if IN_CI:
            pytest.fail(f"{message}; CI must run the tests that start their own Redis")
        pytest.skip(message)


class RedisProcess:
    def __init__(self, port: int, workdir: Path, extra: Sequence[str] = ()) -> None:
        self.port = port
        self.workdir = workdir
        self.extra = list(extra)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(free_port(), workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def cluster_port() -> int:
    """A free port whose cluster bus port (10000 above it) is free too."""
    for _ in range(100):
        port = random.randrange(20_000, 30_000)
        try:
            for candidate in (port, port + 10_000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@contextmanager
def redis_cluster(workdir: Path, masters: int = 3) -> Iterator[list[RedisProcess]]:
    """A Redis Cluster of ``masters`` nodes (no replicas), every slot assigned."""
    assert REDIS_CLI
    nodes = [
        RedisProcess(
            cluster_port(),
            workdir / str(n),
            ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
        )
        for n in range(masters)
    ]
    addresses = [f"127.0.0.1:{n.port}" for n in nodes]
    try:
        for node in nodes:
            node.start()
        subprocess.run(
            [REDIS_CLI, "--cluster", "create", *addresses, "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=30,
        )
        for _ in range(100):
            states = [
                subprocess.run(
                    [REDIS_CLI, "-p", str(n.port), "cluster", "info"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                ).stdout
                for n in nodes
            ]
            if all("cluster_state:ok" in s for s in states):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the Redis Cluster did not come up")
        yield nodes
    finally:
        for node in nodes:
            node.stop()
