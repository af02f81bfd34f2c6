"""``python -m bench.browser_verify``: how long a phone's browser takes to verify a lot page.

The demo is seeded (``traceability demo``, SQLite in a temporary folder) and served
(``traceability serve`` on 127.0.0.1). The rice lot with the longest history (most events in
its chain) is opened in headless Chromium over the DevTools protocol with the browser cache
off, so every load fetches the page, the script, the log key and the evidence again. Timed:
from the start of the navigation to ``data-verification="verified"`` on the page, as the page
itself measures it (``performance.now()`` when the check ends, written to
``data-verification-ms``); and the check alone (``data-verification-check-ms``). Goal: under
1 s. Baseline in the same run: the time to the page's ``load`` event (HTML, style and script
fetched and run, before any evidence).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.system.devtools import devtools
from traceability.seeding.demo_data import load_demo

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def environment(data_dir: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    return clean | {"TRACE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}


@contextmanager
def served_demo(data_dir: Path) -> Iterator[str]:
    env = environment(data_dir)
    seeded = subprocess.run(
        [sys.executable, "-m", "traceability.cli", "demo"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if seeded.returncode != 0:
        raise SystemExit(seeded.stdout[-2000:] + seeded.stderr[-2000:])
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "traceability.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the portal did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def longest_rice_lot(url: str) -> tuple[str, int]:
    """The Digital Link path of the demo's rice lot with the most events, and that count."""
    demo = load_demo()
    found: list[tuple[int, str]] = []
    for name, lot in demo.lots.items():
        if "rice" not in name and "paddy" not in name and "milled" not in name:
            continue
        answer = httpx.get(f"{url}/api/v1/evidence/lots/{lot.gtin}/{lot.lot_code}", timeout=60)
        if answer.status_code == 200:
            found.append((len(answer.json()["events"]), f"/01/{lot.gtin}/10/{lot.lot_code}"))
    events, path = max(found)
    return path, events


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=30, help="page loads timed (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="loads not timed (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, served_demo(Path(folder) / "var") as url:
        path, events = longest_rice_lot(url)
        print(f"lot {path}: {events} events; Chromium {CHROMIUM}")
        total: list[float] = []
        check: list[float] = []
        loaded: list[float] = []
        with devtools(CHROMIUM, Path(folder) / "profile") as tab:
            tab.send("Network.enable")
            tab.send("Network.setCacheDisabled", cacheDisabled=True)
            for run in range(args.warmup + args.loads):
                tab.open("about:blank")
                tab.wait_for("location.href === 'about:blank'")
                tab.open(url + path)
                state = tab.wait_for(
                    "(document.getElementById('verification') || {getAttribute: () => null})"
                    ".getAttribute('data-verification')"
                )
                if state != "verified":
                    raise SystemExit(f"load {run}: {state}")
                element = "document.getElementById('verification')"
                ms = float(tab.evaluate(f"{element}.getAttribute('data-verification-ms')"))
                own = float(tab.evaluate(f"{element}.getAttribute('data-verification-check-ms')"))
                load = float(
                    tab.wait_for("performance.getEntriesByType('navigation')[0].loadEventEnd || 0")
                )
                if run >= args.warmup:
                    total.append(ms)
                    check.append(own)
                    loaded.append(load)
    for name, values in (
        ("page load to verified", total),
        ("the check alone", check),
        ("baseline: page load event", loaded),
    ):
        print(
            f"{name:28s} p50 {statistics.median(values):7.1f} ms  "
            f"p90 {percentile(values, 0.9):7.1f} ms  max {max(values):7.1f} ms  (n={len(values)})"
        )
    verdict = "met" if statistics.median(total) < 1000 else "NOT met"
    print(f"goal: under 1 s from page load to verified: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
