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
from collections.abc import Iterator
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
            assert time.monotonic() < deadline, "the witness did not start within 20 s"
            time.sleep(0.05)


@contextmanager
def witness_process(
    key_path: Path, log_vkey: str, name: str, port: int | None = None
) -> Iterator[RunningWitness]:
    """`traceability witness serve` for the log key, until the context ends."""
    port = port or free_port()
    process = subprocess.Popen(
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
    try:
        assert process.stdout is not None
        vkey = process.stdout.readline().strip()
        _wait_listening(port, process, time.monotonic() + 20)
        yield RunningWitness(f"http://127.0.0.1:{port}", vkey, key_path, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
