#!/usr/bin/env python3
"""The project's two commands, needing only Python 3.11+ and pip.

    python3 dev.py run    install, create the SQLite database, seed the demo, serve
    python3 dev.py test   install the test tools and run the whole suite

Both keep their own virtual environment in .venv and reinstall only when
pyproject.toml changes.
"""

from __future__ import annotations

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


def run(*args: str) -> int:
    return subprocess.run([str(a) for a in args], cwd=ROOT).returncode


def command_run() -> int:
    ensure_environment("")
    traceability = BIN / "traceability"
    code = run(traceability, "demo")
    if code:
        return code
    host = os.environ.get("TRACE_HOST", "127.0.0.1")
    port = os.environ.get("TRACE_PORT", "8000")
    print(
        f"\nServing http://{host}:{port} (try /healthz, /log/checkpoint, /docs). Ctrl-C stops.",
        flush=True,
    )
    return run(traceability, "serve", "--host", host, "--port", port)


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
        return command_run()
    if command == "test":
        return command_test(rest)
    print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
