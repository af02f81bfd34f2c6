"""Real `traceability witness serve` processes on free loopback ports, for the witness tests.

Each process is stopped by its PID when its context ends; it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.servers import free_port
from traceability.client import save_signing_key
from traceability.crypto.signing import SigningKey, private_key_raw
from traceability.log.note import NoteSigner

LOG_NAME = "truyxuat.example.vn/log"  # the origin and key name of the test portal's log


@dataclass(frozen=True)
class RunningWitness:
    url: str
    vkey: str  # the verifier key it printed on start
    key_path: Path
    pid: int


def new_key(path: Path) -> Path:
    """A private key file as `traceability keys generate` writes it."""
    save_signing_key(SigningKey.generate(), path)
    return path


def log_signer() -> tuple[str, NoteSigner]:
    """A log signing key for a test portal (TRACE_LOG_SIGNING_KEY) and its note signer."""
    private = Ed25519PrivateKey.generate()
    return base64.b64encode(private_key_raw(private)).decode(), NoteSigner(LOG_NAME, private)


def _wait_listening(port: int, process: subprocess.Popen[str], deadline: float) -> None:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the witness did not start within 30 s"
            time.sleep(0.05)


def _start(key_path: Path, log_vkey: str, name: str, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "traceability.cli",
            "witness",
            "serve",
            "--port",
            str(port),
            "--key",
            str(key_path),
            "--log",
            log_vkey,
            "--name",
            name,
            "--quiet",
        ],
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def witness_processes(
    specs: Sequence[tuple[Path, str, str]],
) -> Iterator[list[RunningWitness]]:
    """`traceability witness serve` for each (key file, log key, name), started side by side,
    until the context ends."""
    ports = [free_port() for _ in specs]
    processes = [_start(*spec, port) for spec, port in zip(specs, ports, strict=True)]
    try:
        running = []
        deadline = time.monotonic() + 30
        for spec, port, process in zip(specs, ports, processes, strict=True):
            assert process.stdout is not None
            vkey = process.stdout.readline().strip()
            _wait_listening(port, process, deadline)
            running.append(RunningWitness(f"http://127.0.0.1:{port}", vkey, spec[0], process.pid))
        yield running
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=10)
            for stream in (process.stdout, process.stderr):
                if stream:
                    stream.close()


@contextmanager
def witness_process(key_path: Path, log_vkey: str, name: str) -> Iterator[RunningWitness]:
    """One `traceability witness serve` for the log key, until the context ends."""
    with witness_processes([(key_path, log_vkey, name)]) as [running]:
        yield running
