"""Witness benchmark: what asking the witnesses to cosign adds to publishing a checkpoint.

Three real witnesses (``traceability witness serve`` processes on loopback ports) and a
portal on an SQLite file (or ``--database-url``), all on this machine. Each iteration:

1. appends one event through the ledger in its own transaction, which signs a checkpoint
   (the capture path: the witnesses are not involved, and this is not timed);
2. once that has committed, runs one witness round as the background task does it
   (traceability.background.witnessing.witness_round): read the newest checkpoint and each
   witness's size, send the three ``add-checkpoint`` requests at once with their consistency
   proofs, verify the cosignatures, store them and the statuses.

Reported: the round's time (the delay between a checkpoint's commit and its being served
with all three cosignatures) as p50, p90, p99 and max, and its three parts: the reads,
the three HTTP round trips (in parallel), the write. Goal (issue 17): p99 under 100 ms.
The baseline, timed right after each round, is the same three requests at once to three
stdlib HTTP servers that answer at once: what this machine's scheduling alone costs.

    python -m bench.witness [--rounds 300] [--warmup 20] [--witnesses 3]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from traceability.background.witnessing import witness_round
from traceability.chain.record import LotKey
from traceability.client import save_signing_key
from traceability.config import Settings
from traceability.crypto.signing import SigningKey, private_key_raw
from traceability.db.migrate import upgrade
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.log.note import NoteSigner
from traceability.portal import Portal
from traceability.services.ledger import Submission
from traceability.services.registry import NewLot, NewOrganization, NewProduct

BASE_URL = "https://truyxuat.example.vn"
LOG_NAME = "truyxuat.example.vn/log"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def witnesses(folder: Path, log_vkey: str, count: int) -> Iterator[list[tuple[str, str]]]:
    """``count`` witness processes; (verifier key, URL) of each, stopped by PID at the end."""
    processes: list[subprocess.Popen[str]] = []
    running: list[tuple[str, str]] = []
    try:
        for i in range(count):
            key = folder / f"witness{i}.key"
            save_signing_key(SigningKey.generate(), key)
            port = _free_port()
            command = [sys.executable, "-m", "traceability.cli", "witness", "serve"]
            command += ["--port", str(port), "--key", str(key), "--log", log_vkey]
            command += ["--name", f"witness{i}.example.vn/w", "--quiet"]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            processes.append(process)
            running.append(("", f"http://127.0.0.1:{port}"))
        for i, process in enumerate(processes):
            assert process.stdout is not None
            vkey = process.stdout.readline().strip()
            process.stdout.readline()  # "witnessing ... on URL": it listens from here on
            running[i] = (vkey, running[i][1])
        yield running
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=10)


# The baseline: three stdlib HTTP servers, as the witness is, that answer a POST at once (no
# signature, no state, no disk), reached the same way at the same moments.
_BASELINE_SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\\n")
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Answer)
print("ready", flush=True)
server.serve_forever()
"""


@contextmanager
def baseline_servers(count: int) -> Iterator[list[str]]:
    processes = []
    urls = []
    try:
        for _ in range(count):
            port = _free_port()
            process = subprocess.Popen(
                [sys.executable, "-c", _BASELINE_SERVER, str(port)], stdout=subprocess.PIPE
            )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}/add-checkpoint")
        for process in processes:
            assert process.stdout is not None
            process.stdout.readline()
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=10)


def _event(lot: LotKey) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": "2026-10-30T07:15:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": "commissioning",
        "quantityList": [
            {"epcClass": f"https://id.gs1.org/01/{lot.gtin}/10/{lot.lot}", "quantity": 1}
        ],
    }


async def _lot(portal: Portal) -> tuple[str, LotKey]:
    prefix = "89300001"
    body = "0" + prefix + "0001".zfill(12 - len(prefix))
    gtin = body + gs1_check_digit(body)
    async with portal.write() as session:
        created = await portal.registry.create_organization(
            session,
            NewOrganization(
                name="Hợp tác xã đo lường",
                role="producer",
                tax_code="0000000001",
                gs1_prefixes=[prefix],
                province="Sóc Trăng",
            ),
        )
        org = created.organization.id
        await portal.registry.create_product(session, org, NewProduct(gtin=gtin, name="Gạo"))
        await portal.registry.create_lot(
            session, org, NewLot(gtin=gtin, lot_code="L1", quantity=1000, unit="KGM")
        )
    return org, LotKey(gtin, "L1")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    private = Ed25519PrivateKey.generate()
    log_vkey = NoteSigner(LOG_NAME, private).verifier_key()
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    with (
        witnesses(folder, log_vkey, args.witnesses) as running,
        baseline_servers(args.witnesses) as bare,
    ):
        settings = Settings(
            data_dir=folder / "data",
            database_url=url,
            master_key=base64.b64encode(os.urandom(32)).decode(),
            base_url=BASE_URL,
            log_signing_key=base64.b64encode(private_key_raw(private)).decode(),
            witnesses=",".join(f"{vkey} {address}" for vkey, address in running),
            witness_quorum=args.witnesses,
        )
        portal = Portal.build(settings)
        await portal.open()
        org, lot = await _lot(portal)
        rounds: list[float] = []
        parts: dict[str, list[float]] = {"plan": [], "ask": [], "record": [], "bare": []}
        service = portal.witnessing
        for part in ("plan", "ask", "record"):
            setattr(service, part, _timed(getattr(service, part), parts[part]))
        try:
            async with httpx.AsyncClient() as client:
                for i in range(args.warmup + args.rounds):
                    async with portal.write() as session:
                        await portal.ledger.append(session, [Submission(_event(lot), [lot], org)])
                    started = time.perf_counter()
                    outcomes = await witness_round(portal, client)
                    elapsed = time.perf_counter() - started
                    failed = [o.error for o in outcomes if o.error is not None]
                    if failed or len(outcomes) != args.witnesses:
                        raise SystemExit(f"round {i}: not cosigned by every witness: {failed}")
                    body = b"x" * 300  # about an add-checkpoint request
                    started = time.perf_counter()
                    await asyncio.gather(*(client.post(url, content=body) for url in bare))
                    parts["bare"].append(time.perf_counter() - started)
                    if i >= args.warmup:
                        rounds.append(elapsed)
                    else:
                        for timings in parts.values():
                            timings.clear()
        finally:
            await portal.close()
    return {"rounds": rounds, **parts}


def _timed(method: Any, timings: list[float]) -> Any:
    async def timed(*method_args: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(*method_args)
        finally:
            timings.append(time.perf_counter() - started)

    return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--witnesses", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        measured = asyncio.run(run(args, Path(folder)))
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_version()}, "
        f"nproc={os.cpu_count()}, {args.witnesses} local witnesses, {args.rounds} rounds "
        f"(+{args.warmup} warm-up), {'PostgreSQL' if args.database_url else 'SQLite'}"
    )
    print("| ms | p50 | p90 | p99 | max | mean |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, values in (
        ("witness round (commit to cosignatures stored)", measured["rounds"]),
        ("of which: reading the checkpoint, sizes and proofs", measured["plan"]),
        ("of which: the add-checkpoint requests, all at once", measured["ask"]),
        ("of which: storing cosignatures and statuses (commit)", measured["record"]),
        ("baseline: one bare POST to each of 3 stdlib servers, at once", measured["bare"]),
    ):
        cells = [_percentile(values, q) for q in (0.5, 0.9, 0.99)] + [max(values)]
        cells.append(statistics.fmean(values))
        print(f"| {label} | " + " | ".join(f"{v * 1000:.1f}" for v in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
