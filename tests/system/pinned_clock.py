"""Run a `traceability` command whose wall clock starts at a fixed instant and ticks on.

    python -m tests.system.pinned_clock 2026-11-20T10:00:00+07:00 serve --port 8000

For the screenshot tests: a page that says which certificates have expired, or when an item
was first scanned, then says the same thing on every day the tests run. Only the wall clock
moves (time.time, datetime.now); the monotonic clocks that timeouts use are left alone.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine

from traceability.cli import main


def run(instant: str, command: list[str]) -> None:
    with time_machine.travel(datetime.fromisoformat(instant), tick=True):
        sys.argv = ["traceability", *command]
        main()


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
