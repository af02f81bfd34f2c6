"""Real processes for fault tests: `traceability serve`, a database of its own, a private
PostgreSQL server, and a portal's organisations made the way an operator makes them.

Every process listens on 127.0.0.1 only, is bounded in time and is stopped by its PID (or,
for PostgreSQL, by ``pg_ctl`` on its own data directory) when the test ends, failed or not.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.factories.organizations import gtin_for
from traceability.chain.record import LotKey
from traceability.db.models import CaptureJob, Chain, ChainLinkRow, Event, LogLeaf, LogState

ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
LOG_SIGNING_KEY = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def portal_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a portal process: this machine's, without any TRACE_ setting of
    the person running the tests (a Redis URL there would change what is being tested)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(
        {
            "TRACE_DATA_DIR": str(data_dir),
            "TRACE_DATABASE_URL": database_url,
            "TRACE_MASTER_KEY": MASTER_KEY,
            "TRACE_LOG_SIGNING_KEY": LOG_SIGNING_KEY,
            "TRACE_BASE_URL": "https://truyxuat.example.vn",
            # Load comes from one address; the rate limit is not what these tests measure.
            "TRACE_PUBLIC_RATE_LIMIT": "0",
            "TRACE_LOG_LEVEL": "warning",
            **extra,
        }
    )
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    """Run the `traceability` console script; its standard output, or a failure with both."""
    result = subprocess.run(
        [sys.executable, "-m", "traceability.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"traceability {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


class ServeProcess:
    """`traceability serve` on a free loopback port, its output appended to a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start it and return its URL once /healthz answers."""
        assert self.process is None, "already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "traceability.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                self.process = None
                raise AssertionError(f"serve exited at start:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"serve did not answer within {START_TIMEOUT} s")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine or the kernel ends it."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# --------------------------------------------------------------------------- databases


def asyncpg_url(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql+asyncpg")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def new_postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A uniquely named, empty database on a PostgreSQL server, dropped afterwards."""
    admin = asyncpg_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield asyncpg_url(server_url, name)
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_bindir() -> Path | None:
    """The newest PostgreSQL server binaries on this machine (Debian's layout, then PATH)."""
    candidates = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file()
    ]
    if candidates:
        return max(candidates, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def private_postgres_bindir(purpose: str) -> Path:
    """The PostgreSQL server programs for a test that runs its own server; without them, a
    skip saying why (a failure in CI, which runs ``purpose``)."""
    missing = private_postgres_missing()
    bindir = postgres_bindir()
    if missing is not None or bindir is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI runs {purpose}: {missing}")
        pytest.skip(missing or "")
    return bindir


def private_postgres_missing() -> str | None:
    """Why a private PostgreSQL server cannot run here, or None when it can."""
    if postgres_bindir() is None:
        return "the PostgreSQL server programs (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "runuser is needed to run PostgreSQL as the postgres user"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "initdb refuses root, and there is no postgres user to run it as"
    return None


class PrivatePostgres:
    """A throwaway PostgreSQL server this test alone uses: stopping it disturbs no one.

    initdb refuses to run as root, so when the tests run as root the server runs as the
    ``postgres`` OS user, in a temporary directory that user owns.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="trace-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._owner: str | None = None
        if os.geteuid() == 0:
            self._owner = "postgres"
            account = pwd.getpwnam(self._owner)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> str:
        command = [str(self.bindir / program), *args]
        if self._owner is not None:
            command = ["runuser", "-u", self._owner, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise AssertionError(
                f"{program} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}\n{self.server_log()}"
            )
        return result.stdout

    def sql(self, statement: str) -> str:
        """Run one statement with psql as the superuser; its unaligned output."""
        return self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-At",
            "-c",
            statement,
        ).strip()

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            # Durability against a power cut is not under test; a restart loses nothing.
            "fsync": "off",
            "full_page_writes": "off",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", *args)

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "restart")

    def server_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        with suppress(OSError, ValueError, IndexError):
            return int(pid_file.read_text().splitlines()[0])
        return None

    def destroy(self) -> None:
        """Stop the server however it is (running or not) and remove its directory."""
        if self.server_pid() is not None:
            try:
                self._pg_ctl("-m", "immediate", "stop")
            except AssertionError:
                pid = self.server_pid()
                if pid is not None:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def server_log(self) -> str:
        with suppress(OSError):
            return self.log.read_text(errors="replace")[-3000:]
        return ""


class StandbyPostgres(PrivatePostgres):
    """A streaming replica of a running :class:`PrivatePostgres` (``pg_basebackup -R``), on
    its own port: a hot standby that answers reads while it replays the primary's WAL."""

    def __init__(self, primary: PrivatePostgres) -> None:
        super().__init__(primary.bindir)
        self.primary = primary

    def init(self) -> None:
        self._run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
            *("-D", str(self.data), "-R", "-X", "stream", "-c", "fast"),
        )
        settings = {"port": str(self.port), "unix_socket_directories": f"'{self.root}'"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def kill(self) -> None:
        """Stopped at once, as when its machine dies (no shutdown checkpoint)."""
        self._pg_ctl("-m", "immediate", "stop")


@contextmanager
def primary_with_standby(bindir: Path) -> Iterator[tuple[PrivatePostgres, StandbyPostgres]]:
    """A private primary and its streaming standby, both running; both destroyed after."""
    primary = PrivatePostgres(bindir)
    standby = StandbyPostgres(primary)
    try:
        primary.init()
        primary.start()
        standby.init()
        standby.start()
        yield primary, standby
    finally:
        standby.destroy()
        primary.destroy()


# --------------------------------------------------------------------------- organisations


@dataclass
class Producer:
    name: str
    key: str
    prefix: str
    lots: list[LotKey] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Registered:
    url: str
    admin_key: str
    inspector_key: str
    producers: list[Producer]

    @property
    def inspector(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.inspector_key}"}


def _created(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 201, f"{response.request.url.path}: {response.text}"
    body: dict[str, object] = response.json()
    return body


def register(
    url: str, env: dict[str, str], *, producers: int, lots_per_producer: int
) -> Registered:
    """An admin made with `traceability org create`, then through the HTTP API: an inspector
    and producers, each with its own GS1 company prefix, one product and its lots."""
    admin = json.loads(
        run_cli(env, "org", "create", "--name", "Cục Tiêu chuẩn", "--role", "admin", "--json")
    )["api_key"]
    admin_headers = {"Authorization": f"Bearer {admin}"}
    made: list[Producer] = []
    with httpx.Client(base_url=url, timeout=30) as http:
        inspector = _created(
            http.post(
                "/api/v1/organizations",
                json={"name": "Chi cục Quản lý chất lượng", "role": "inspector"},
                headers=admin_headers,
            )
        )["api_key"]
        for n in range(producers):
            prefix = f"8936{n + 1:03d}"
            created = _created(
                http.post(
                    "/api/v1/organizations",
                    json={
                        "name": f"Hợp tác xã số {n + 1}",
                        "role": "producer",
                        "tax_code": f"{n + 1:010d}",
                        "gs1_prefixes": [prefix],
                        "province": "Sóc Trăng",
                    },
                    headers=admin_headers,
                )
            )
            producer = Producer(f"producer-{n + 1}", str(created["api_key"]), prefix)
            gtin = gtin_for(prefix, 1)
            _created(
                http.post(
                    "/api/v1/products",
                    json={"gtin": gtin, "name": "Gạo ST25"},
                    headers=producer.headers,
                )
            )
            for i in range(lots_per_producer):
                lot = LotKey(gtin, f"L{i + 1:03d}")
                _created(
                    http.post(
                        "/api/v1/lots",
                        json={"gtin": gtin, "lot": lot.lot, "quantity": 1000, "unit": "KGM"},
                        headers=producer.headers,
                    )
                )
                producer.lots.append(lot)
            made.append(producer)
    return Registered(url, admin, str(inspector), made)


# --------------------------------------------------------------------------- what was kept


def document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-10-30T08:00:00.000+07:00",
        "epcisBody": {"eventList": events},
    }


@dataclass(frozen=True)
class AcceptedJob:
    """A capture job the portal accepted (202): its events must all be captured."""

    location: str
    producer: Producer
    event_ids: list[str]
    behaviour: str


def finished_jobs(url: str, jobs: list[AcceptedJob], timeout: float) -> list[dict[str, Any]]:
    """Each job as the portal reports it once it stops running (or when time is up)."""
    deadline = time.monotonic() + timeout
    reports = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for job in jobs:
            while True:
                response = http.get(job.location, headers=job.producer.headers)
                assert response.status_code == 200, response.text
                report: dict[str, Any] = response.json()
                if not report["running"] or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            reports.append(report)
    return reports


def audits(registered: Registered) -> dict[LotKey, dict[str, Any]]:
    """The inspector's audit of every registered lot that has a chain."""
    found: dict[LotKey, dict[str, Any]] = {}
    with httpx.Client(base_url=registered.url, timeout=60) as http:
        for producer in registered.producers:
            for lot in producer.lots:
                response = http.get(
                    f"/api/v1/audit/lots/{lot.gtin}/{lot.lot}", headers=registered.inspector
                )
                if response.status_code == 404:
                    continue  # no event named it
                assert response.status_code == 200, response.text
                found[lot] = response.json()
    return found


def queried_event_ids(url: str, producer: Producer) -> set[str]:
    """Every event a producer reads back through the EPCIS query interface, page by page."""
    ids: set[str] = set()
    with httpx.Client(base_url=url, timeout=60) as http:
        response = http.get(
            "/api/v1/epcis/events", params={"perPage": "1000"}, headers=producer.headers
        )
        while True:
            assert response.status_code == 200, response.text
            body = response.json()
            ids.update(
                e["eventID"] for e in body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            )
            following = response.links.get("next")
            if not following:
                return ids
            response = http.get(following["url"], headers=producer.headers)


@dataclass(frozen=True)
class Ledger:
    """What the database holds, read directly: the test trusts no API to count it."""

    events: int
    log_size: int
    log_leaves: int
    chain_links: int
    running_jobs: int
    problems: list[str]


async def _ledger(url: str) -> Ledger:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as db:
            events = {
                pk: (event_hash, log_index)
                for pk, event_hash, log_index in await db.execute(
                    select(Event.id, Event.event_hash, Event.log_index)
                )
            }
            log_size = await db.scalar(select(LogState.size).where(LogState.id == 1))
            leaves = dict((await db.execute(select(LogLeaf.index, LogLeaf.event_hash))).all())
            links = (
                await db.execute(
                    select(
                        ChainLinkRow.chain_id,
                        ChainLinkRow.seq,
                        ChainLinkRow.event_pk,
                        ChainLinkRow.prev_hash,
                    ).order_by(ChainLinkRow.chain_id, ChainLinkRow.seq)
                )
            ).all()
            chains = (await db.execute(select(Chain.id, Chain.head_seq, Chain.head_hash))).all()
            running = await db.scalar(
                select(func.count()).select_from(CaptureJob).where(CaptureJob.status == "running")
            )
    finally:
        await engine.dispose()

    problems: list[str] = []
    by_chain: dict[int, list[tuple[int, int, bytes | None]]] = {}
    for chain_id, seq, event_pk, prev_hash in links:
        by_chain.setdefault(chain_id, []).append((seq, event_pk, prev_hash))
    linked = {event_pk for _, _, event_pk, _ in links}
    for chain_id, head_seq, head_hash in chains:
        chain = by_chain.get(chain_id, [])
        seqs = [seq for seq, _, _ in chain]
        if seqs != list(range(1, head_seq + 1)):
            problems.append(f"chain {chain_id}: head {head_seq}, sequence numbers {seqs}")
            continue
        previous: bytes | None = None
        for seq, event_pk, prev_hash in chain:
            if prev_hash != previous:
                problems.append(f"chain {chain_id}: link {seq} does not name its predecessor")
            previous = events[event_pk][0]
        if head_hash != previous:
            problems.append(f"chain {chain_id}: the head hash is not its last event's")
    for pk, (event_hash, log_index) in events.items():
        if pk not in linked:
            problems.append(f"event {pk} is in no chain")
        if leaves.get(log_index) != event_hash:
            problems.append(f"event {pk}: log leaf {log_index} is not its hash")
    if sorted(index for _, index in events.values()) != list(range(log_size or 0)):
        problems.append("the events' log indexes are not exactly 0 .. log size - 1")
    return Ledger(len(events), log_size or 0, len(leaves), len(links), running or 0, problems)


def ledger(url: str) -> Ledger:
    return asyncio.run(_ledger(url))
