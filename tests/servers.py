"""Fixtures for tests that run the real `traceability serve` process on a free loopback port.

The process is stopped by its PID afterwards; it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "TRACE_DATA_DIR": str(tmp_path / "var"),
        "TRACE_BASE_URL": "https://truyxuat.example.vn",
    }
    for name in (
        "TRACE_DATABASE_URL",
        "TRACE_MASTER_KEY",
        "TRACE_LOG_SIGNING_KEY",
        "TRACE_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    env: dict[str, str],
    command: Sequence[str] = ("-m", "traceability.cli"),
    cwd: Path | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """`traceability serve` on a loopback port (``port``, or a free one) with ``env`` over
    this environment (and in the folder ``cwd``); its URL once it answers, the process
    stopped by its PID afterwards.

    ``command`` is what Python runs to reach the command line (a wrapper module, say)."""
    with serving_process(env, command, cwd, port) as (url, _process):
        yield url


@contextmanager
def serving_process(
    env: dict[str, str],
    command: Sequence[str] = ("-m", "traceability.cli"),
    cwd: Path | None = None,
    port: int | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As :func:`serving`, with the process too (a test may kill it as a crash would)."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, *command, "serve", "--port", str(port)],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 30 s"
                time.sleep(0.2)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        if process.stdout:
            process.stdout.close()


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[str]:
    with serving(env) as url:
        yield url
