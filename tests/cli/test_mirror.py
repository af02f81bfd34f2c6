"""`traceability mirror`: a copy of a real served portal's log through its tiles (C2SP
tlog-tiles, tlog-mirror), checked tile by tile, resumed incrementally, refused when one
byte of one tile is altered, and served again as static files."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from tests.servers import free_port, serving
from traceability.cli import app
from traceability.log.note import NoteSigner, NoteVerifier, open_checkpoint
from traceability.log.tiles import bundles_for_size, tiles_for_size
from traceability.mirror.static import mirror_server

runner = CliRunner()


def seed(name: str, lots: int, events_per_lot: int) -> None:
    result = runner.invoke(
        app,
        [
            "seed", "--name", name, "--orgs", "2", "--products-per-org", "2",
            "--lots", str(lots), "--events-per-lot", str(events_per_lot),
            "--verify-sample", "0", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def mirror(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["mirror", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@contextmanager
def tampering_proxy(upstream: str, target: str) -> Iterator[str]:
    """Forwards to ``upstream``, but flips one byte of the answer for the path ``target``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = httpx.get(upstream + self.path, headers={"accept-encoding": "identity"})
            body = answer.content
            if self.path == target:
                body = bytes([body[0] ^ 1]) + body[1:]
            self.send_response(answer.status_code)
            self.send_header("content-type", answer.headers.get("content-type", ""))
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_help_names_every_option() -> None:
    result = runner.invoke(app, ["mirror", "--help"])
    assert result.exit_code == 0
    for option in ("--from", "--to", "--log-key", "--json", "serve"):
        assert option in result.output
    served = runner.invoke(app, ["mirror", "serve", "--help"])
    assert served.exit_code == 0 and "--dir" in served.output and "--port" in served.output


def test_a_mirror_holds_the_served_log_in_the_c2sp_layout_and_resumes_where_it_stopped(
    env: dict[str, str], tmp_path: Path
) -> None:
    seed("first", lots=150, events_per_lot=4)  # 600 leaves
    copy = tmp_path / "mirror"
    with serving(env) as url:
        key = httpx.get(f"{url}/log/key").text.strip()
        status, result = mirror("--from", f"{url}/log", "--to", str(copy), "--log-key", key)
        assert status == 0, result
        assert (result["size"], result["previous_size"], result["leaves_copied"]) == (600, 0, 600)
        note = httpx.get(f"{url}/log/checkpoint").text
        assert (copy / "checkpoint").read_text() == note
        for tile in [*tiles_for_size(600), *bundles_for_size(600)]:
            served = httpx.get(f"{url}/log/{tile.path()}", headers={"accept-encoding": "identity"})
            assert (copy / tile.path()).read_bytes() == served.content, tile
        first_full = (copy / "tile/0/000").stat().st_mtime_ns

        seed("second", lots=100, events_per_lot=3)  # 300 more: 900
        status, result = mirror("--from", f"{url}/log", "--to", str(copy))
        assert status == 0, result
        assert (result["previous_size"], result["size"]) == (600, 900)
        # Only what 900 has that 600 had not: level-0 tile 2 (full now) and 3.p/132, their
        # bundles, the level-1 tile 000.p/3. Full tiles already held are not fetched again.
        assert result["tiles_fetched"] == 5
        assert (copy / "tile/0/000").stat().st_mtime_ns == first_full
        opened = open_checkpoint(NoteVerifier.from_key(key), (copy / "checkpoint").read_text())
        assert opened.size == 900
        status, result = mirror("--from", f"{url}/log", "--to", str(copy))
        assert (status, result["leaves_copied"], result["tiles_fetched"]) == (0, 0, 0)


def test_a_tampered_tile_is_refused_and_nothing_is_written(
    env: dict[str, str], tmp_path: Path
) -> None:
    seed("first", lots=150, events_per_lot=4)
    copy = tmp_path / "mirror"
    with serving(env) as url:
        key = httpx.get(f"{url}/log/key").text.strip()
        for target in ("/log/tile/0/001", "/log/tile/1/000.p/2", "/log/tile/entries/000"):
            with tampering_proxy(url, target) as proxy:
                status, result = mirror(
                    "--from", f"{proxy}/log", "--to", str(copy), "--log-key", key
                )
            assert status == 1, result
            assert result["ok"] is False and "tile" in result["problem"]
            assert files_of(copy) == {}, target

        assert mirror("--from", f"{url}/log", "--to", str(copy), "--log-key", key)[0] == 0
        held = files_of(copy)
        seed("second", lots=100, events_per_lot=3)
        with tampering_proxy(url, "/log/tile/0/002") as proxy:
            status, result = mirror("--from", f"{proxy}/log", "--to", str(copy))
        assert status == 1, result
        assert files_of(copy) == held  # the mirror keeps exactly what it had


def test_a_checkpoint_not_signed_by_the_log_key_is_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    seed("first", lots=10, events_per_lot=2)
    with serving(env) as url:
        # A key of the log's own name, but not its key: a look-alike log.
        name = httpx.get(f"{url}/log/key").text.split("+", 1)[0]
        other = NoteSigner(name, Ed25519PrivateKey.generate()).verifier_key()
        status, result = mirror(
            "--from", f"{url}/log", "--to", str(tmp_path / "m"), "--log-key", other
        )
    assert status == 1, result
    assert "does not verify with the log key" in result["problem"]
    assert files_of(tmp_path / "m") == {}


def test_a_mirror_serves_its_copy_and_a_mirror_of_the_mirror_checks_out(
    env: dict[str, str], tmp_path: Path
) -> None:
    seed("first", lots=150, events_per_lot=4)
    copy, second = tmp_path / "mirror", tmp_path / "second"
    with serving(env) as url:
        key = httpx.get(f"{url}/log/key").text.strip()
        assert mirror("--from", f"{url}/log", "--to", str(copy), "--log-key", key)[0] == 0
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "traceability.cli", "mirror", "serve", "--dir", str(copy),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                checkpoint = httpx.get(f"{base}/checkpoint")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the mirror did not start"
                time.sleep(0.2)
        assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"
        full = httpx.get(f"{base}/tile/0/000")
        assert full.headers["content-type"] == "application/octet-stream"
        assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert httpx.get(f"{base}/tile/0/002.p/88").headers["cache-control"] == "public, max-age=60"
        assert httpx.get(f"{base}/tile/0/003").status_code == 404
        assert httpx.get(f"{base}/log.vkey").status_code == 404
        status, result = mirror("--from", base, "--to", str(second), "--log-key", key)
        assert status == 0, result
        assert files_of(second) == files_of(copy)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_source_that_rolls_the_log_back_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    seed("first", lots=150, events_per_lot=4)
    old, new = tmp_path / "old", tmp_path / "new"
    with serving(env) as url:
        key = httpx.get(f"{url}/log/key").text.strip()
        assert mirror("--from", f"{url}/log", "--to", str(old), "--log-key", key)[0] == 0
        seed("second", lots=100, events_per_lot=3)
        assert mirror("--from", f"{url}/log", "--to", str(new), "--log-key", key)[0] == 0
    held = files_of(new)
    # A stale copy, genuinely signed by the log, offered to a mirror that holds a newer one.
    stale = mirror_server(old, "127.0.0.1", 0)
    thread = threading.Thread(target=stale.serve_forever, daemon=True)
    thread.start()
    try:
        status, result = mirror(
            "--from", f"http://127.0.0.1:{stale.server_address[1]}", "--to", str(new)
        )
    finally:
        stale.shutdown()
        stale.server_close()
    assert status == 1, result
    assert "rolled back" in result["problem"]
    assert files_of(new) == held
