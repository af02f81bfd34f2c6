#!/usr/bin/env python3
"""The project's two commands, needing only Python 3.11+ and pip.

    python3 dev.py run [--host HOST] [--port PORT]
                          install, create the SQLite database (in TRACE_DATA_DIR, else
                          the user's data directory, as every command), seed the demo and serve
                          (default 127.0.0.1:8000; the QR codes point at that address
                          unless TRACE_BASE_URL says otherwise)
    python3 dev.py test [PYTEST ARGS]
                          install the test tools and run the whole suite

Both keep their own virtual environment in .venv and reinstall only when
pyproject.toml changes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment(extras: str) -> None:
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{digest[:16]}"
    if stamp.exists():
        return
    print(f"Installing the project{' with ' + extras if extras else ''} ...", flush=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            target,
        ],
        cwd=ROOT,
        check=True,
    )
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def run(*args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(a) for a in args], cwd=ROOT, env=env).returncode


def run_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python3 dev.py run",
        description="Install, create the SQLite database, seed the demo and serve it.",
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("TRACE_HOST", "127.0.0.1"),
        help="interface to listen on (default 127.0.0.1, or TRACE_HOST)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("TRACE_PORT", "8000")),
        help="TCP port (default 8000, or TRACE_PORT)",
    )
    return parser.parse_args(argv)


def command_run(argv: list[str]) -> int:
    arguments = run_arguments(argv)
    ensure_environment("")
    traceability = BIN / "traceability"
    host, port = arguments.host, str(arguments.port)
    # The demo prints its QR codes' links and the server answers them: both at this address.
    wildcard = host in {"0.0.0.0", "::"}
    shown = "127.0.0.1" if wildcard else (f"[{host}]" if ":" in host else host)
    env = {"TRACE_BASE_URL": f"http://{shown}:{port}", **os.environ}
    code = run(traceability, "demo", env=env)
    if code:
        return code
    print(
        f"\nServing http://{shown}:{port}: the home page; also /docs, /log/checkpoint, "
        "/healthz. Ctrl-C stops.",
        flush=True,
    )
    return run(traceability, "serve", "--host", host, "--port", port, env=env)


def command_test(extra: list[str]) -> int:
    ensure_environment("test,load")
    steps: list[tuple[str, list[str]]] = [
        ("ruff", [str(BIN / "ruff"), "check", "."]),
        ("mypy", [str(BIN / "mypy"), "traceability", "gateway"]),
        ("import-linter", [str(BIN / "lint-imports")]),
        ("pytest", [str(BIN / "pytest"), *extra]),
    ]
    for name, argv in steps:
        print(f"== {name}", flush=True)
        code = run(*argv)
        if code:
            print(f"== {name} failed (exit {code})", flush=True)
            return code
    return 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] in {"-h", "--help"}:
        print(__doc__)
        return 0 if len(sys.argv) >= 2 else 2
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "run":
        return command_run(rest)
    if command == "test":
        return command_test(rest)
    print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
