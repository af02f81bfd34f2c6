"""The demo portal the screenshots are taken of: the same pages on every run and machine.

What could change a page between two runs is pinned: the wall clock of the seeding and of
the server starts at :data:`PINNED_AT` (certificates expire, items are first scanned, on the
same day every time); the portal's public address is :data:`BASE_URL`, never the random
port it listens on; no TRACE_ setting of the shell reaches it; the demo's events and their
IDs are fixed. Its random keys sign the events but appear on no page.

A page opened as an organisation goes through :func:`forwarding`, a loopback proxy that
adds the organisation's API key: Chromium's command line cannot send a header.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from tests.demo_dataset import DEMO
from tests.servers import serving
from tests.system.screenshots import ROOT, Page

PINNED_AT: Final = "2026-11-20T10:00:00+07:00"
PINNED_COMMAND: Final = ("-m", "tests.system.pinned_clock", PINNED_AT)
BASE_URL: Final = "https://truyxuat.example.vn"
# "  Name (role): trc_…", one line per organisation, as `traceability demo` shows its keys.
_KEY_LINE = re.compile(r"^\s+(?P<name>.+) \((?:\w+)\): (?P<key>trc_[\w-]+)\s*$", re.MULTILINE)
# Headers the proxy does not pass on: they describe one connection or hop, or a body it
# re-encodes.
_HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "host", "transfer-encoding", "content-encoding", "content-length"}
)


@dataclass(frozen=True)
class DemoPortal:
    """A served demo portal: its address, and the API keys of the demo organisations by
    their key in the demo data ("inspector", "rice_mill", ...)."""

    url: str
    api_keys: Mapping[str, str]

    def headers(self, page: Page) -> dict[str, str]:
        if page.auth is None:
            return {}
        return {"Authorization": f"Bearer {self.api_keys[page.auth]}"}

    @contextmanager
    def opened(self, page: Page, path: str) -> Iterator[str]:
        """The URL a browser opens ``path`` of ``page`` at: straight, or through a proxy
        that sends the API key of the page's organisation."""
        if page.auth is None:
            yield self.url + path
            return
        with forwarding(self.url, self.headers(page)) as proxy:
            yield proxy + path


def environment(data_dir: Path) -> dict[str, str]:
    """The variables the demo's commands run with (over an environment without TRACE_)."""
    return {
        "TRACE_DATA_DIR": str(data_dir),
        "TRACE_BASE_URL": BASE_URL,
        "TZ": "UTC",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        # Keys are printed on one line each however narrow the terminal would be.
        "COLUMNS": "300",
    }


def seed_demo(data_dir: Path) -> dict[str, str]:
    """Seed the demo into ``data_dir`` at the pinned time; its API keys by organisation."""
    result = subprocess.run(
        [sys.executable, *PINNED_COMMAND, "demo"],
        env={**os.environ, **environment(data_dir)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    by_name = {m["name"]: m["key"] for m in _KEY_LINE.finditer(result.stdout)}
    return {org.key: by_name[org.name] for org in DEMO.organizations}


@contextmanager
def demo_portal(data_dir: Path) -> Iterator[DemoPortal]:
    """The demo seeded into ``data_dir`` and served at the pinned time, with nothing of
    the shell's TRACE_ settings."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("TRACE_")]:
            patch.delenv(name)
        api_keys = seed_demo(data_dir)
        with serving(environment(data_dir), PINNED_COMMAND) as url:
            yield DemoPortal(url, api_keys)


def record(portal: DemoPortal, organization: str, event: dict[str, Any]) -> None:
    """Record ``event`` as ``organization`` through the EPCIS API."""
    response = httpx.post(
        f"{portal.url}/api/v1/epcis/events",
        json=event,
        headers={"Authorization": f"Bearer {portal.api_keys[organization]}"},
        timeout=60,
    )
    assert response.status_code == 201, response.text


def print_labels(
    portal: DemoPortal, organization: str, gtin: str, lot: str, serials: Sequence[str]
) -> None:
    """``organization`` prints a label sheet of these serials of its lot, which issues them
    (an item page of a serial nobody issued says the code is unknown to the producer)."""
    response = httpx.get(
        f"{portal.url}/api/v1/lots/{gtin}/{lot}/labels.pdf",
        params={"serials": ",".join(serials)},
        headers={"Authorization": f"Bearer {portal.api_keys[organization]}"},
        timeout=120,
    )
    assert response.status_code == 200, response.text


@contextmanager
def forwarding(target: str, headers: Mapping[str, str]) -> Iterator[str]:
    """A proxy on a free loopback port that passes GET requests on to ``target`` with
    ``headers`` added; its URL, the proxy stopped afterwards."""
    client = httpx.Client(base_url=target, timeout=60, follow_redirects=False)

    class Forward(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sent = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            answer = client.get(self.path, headers={**sent, **headers})
            self.send_response(answer.status_code)
            for name, value in answer.headers.multi_items():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def log_message(self, format: str, *args: object) -> None:
            return None  # quiet: the test's output is for its failures

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        client.close()
