"""`traceability loadtest`: the load-test runner (``python -m loadtests.run``), as a command.

The runner and its scenarios live outside the package (the load extra: Locust); the
command starts them in a child process with this interpreter and answers with its status,
so nothing here imports them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import typer

from traceability.cli._common import fail

RUNNER = "loadtests.run"


def loadtest(ctx: typer.Context) -> None:
    """Seed, serve and run the Locust scenarios headless; fail when a threshold is missed.

    Every option goes to the runner: `traceability loadtest --help` lists them.
    """
    missing = _missing_module()
    if missing is not None:
        raise fail(
            f"the load-test tools are not installed (No module named '{missing}'); "
            "pip install -e '.[load]'"
        )
    with subprocess.Popen([sys.executable, "-m", RUNNER, *ctx.args]) as runner:
        raise typer.Exit(code=_wait(runner))


def _wait(runner: subprocess.Popen[bytes]) -> int:
    while True:
        try:
            return runner.wait()
        except KeyboardInterrupt:
            # The runner got the same interrupt: it stops its servers and Locust, and says so.
            continue


def _missing_module() -> str | None:
    """The first module the runner needs that cannot be found, without importing it."""
    try:
        if importlib.util.find_spec(RUNNER) is None:
            return RUNNER
    except ModuleNotFoundError as exc:  # its package is missing
        return exc.name or RUNNER
    return None
