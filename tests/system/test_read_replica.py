"""A read replica (TRACE_DATABASE_READ_URL): public reads go there, a writer reads its own
writes at once, and a replica that lags or dies is skipped without one error to a client.

The module runs one private PostgreSQL primary and a hot standby made from it with
``pg_basebackup -R`` (streaming replication, each on a free loopback port), and a real
`traceability serve` on them with the public cache off, so every page read meets a database.
Which database answered is told by what it holds: with the standby's replay paused, a lot
registered a moment ago exists on the primary only.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

import httpx
import pytest

from tests.system.live import (
    PrivatePostgres,
    Producer,
    Registered,
    ServeProcess,
    StandbyPostgres,
    portal_env,
    primary_with_standby,
    private_postgres_bindir,
    register,
)
from traceability.chain.record import LotKey

# Small, so a lagging replica is noticed within the test's patience; large enough that a
# read made right after a write is still served by the (paused) replica.
MAX_LAG_SECONDS = "2"
CHECK_INTERVAL_SECONDS = "0.1"
WAIT_SECONDS = 20.0
READERS = 4
# The answer to a lot the portal does not know: the product's page.
UNKNOWN_LOT = 307


@dataclass
class Cluster:
    primary: PrivatePostgres
    standby: StandbyPostgres

    def pause_replay(self) -> None:
        self.standby.sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.standby.sql("SELECT pg_wal_replay_resume()")


@dataclass
class Deployment:
    server: ServeProcess
    registered: Registered
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.server.url, timeout=30)

    @property
    def producer(self) -> Producer:
        return self.registered.producers[0]

    def new_lot(self) -> LotKey:
        lot = LotKey(self.producer.lots[0].gtin, f"R{uuid.uuid4().hex[:8]}")
        response = self.http.post(
            "/api/v1/lots",
            json={"gtin": lot.gtin, "lot": lot.lot, "quantity": 10, "unit": "KGM"},
            headers=self.producer.headers,
        )
        assert response.status_code == 201, response.text
        return lot

    def public_page(self, lot: LotKey) -> httpx.Response:
        return self.http.get(f"/01/{lot.gtin}/10/{lot.lot}", headers={"accept": "application/json"})

    def replica(self) -> dict[str, Any]:
        response = self.http.get("/healthz")
        assert response.status_code == 200, response.text
        replica: dict[str, Any] = response.json()["replica"]
        return replica

    def wait_for_replica(self, state: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_SECONDS
        while (replica := self.replica())["state"] != state:
            assert time.monotonic() < deadline, f"the replica never became {state}: {replica}"
            time.sleep(0.05)
        return replica

    def metric(self, name: str) -> float:
        for line in self.http.get("/metrics").text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"/metrics has no {name}")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with primary_with_standby(private_postgres_bindir("the read-replica tests")) as pair:
        yield Cluster(*pair)


@pytest.fixture(scope="module")
def portal(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("replica")
    env = portal_env(
        folder / "var",
        cluster.primary.url,
        TRACE_DATABASE_READ_URL=cluster.standby.url,
        TRACE_DATABASE_READ_MAX_LAG=MAX_LAG_SECONDS,
        TRACE_DATABASE_READ_CHECK_INTERVAL=CHECK_INTERVAL_SECONDS,
        TRACE_PUBLIC_CACHE="false",
    )
    server = ServeProcess(env, folder / "serve.log")
    server.start()
    try:
        portal = Deployment(server, register(server.url, env, producers=1, lots_per_producer=2))
        portal.wait_for_replica("up")
        yield portal
        portal.http.close()
    finally:
        server.stop()


def assert_reads_come_from_the_replica(cluster: Cluster, portal: Deployment) -> None:
    """With replay paused, a lot just registered is on the primary only: its writer reads it
    back at once, and an anonymous reader, served by the replica, does not see it yet (a lot
    the portal does not know sends its reader to the product's page instead)."""
    cluster.pause_replay()
    try:
        lot = portal.new_lot()
        own = portal.http.get(f"/api/v1/lots/{lot.gtin}/{lot.lot}", headers=portal.producer.headers)
        assert own.status_code == 200, own.text
        assert portal.public_page(lot).status_code == UNKNOWN_LOT
    finally:
        cluster.resume_replay()
    deadline = time.monotonic() + WAIT_SECONDS
    while portal.public_page(lot).status_code == UNKNOWN_LOT:
        assert time.monotonic() < deadline, "the replica never replayed the new lot"
        time.sleep(0.05)


def test_public_reads_go_to_the_replica_and_a_writer_reads_its_own_write_at_once(
    cluster: Cluster, portal: Deployment
) -> None:
    assert portal.replica() == {"state": "up", "lag_seconds": 0.0, "max_lag_seconds": 2.0}
    assert_reads_come_from_the_replica(cluster, portal)


def test_a_replica_further_behind_than_the_limit_is_skipped(
    cluster: Cluster, portal: Deployment
) -> None:
    cluster.pause_replay()
    try:
        lot = portal.new_lot()
        lagging = portal.wait_for_replica("lagging")
        assert lagging["lag_seconds"] > float(MAX_LAG_SECONDS)
        assert portal.metric("traceability_replica_lag_seconds") > float(MAX_LAG_SECONDS)
        # Not yet on the replica, so this answer is the primary's.
        assert portal.public_page(lot).status_code == 200
    finally:
        cluster.resume_replay()
    assert portal.wait_for_replica("up")["lag_seconds"] <= float(MAX_LAG_SECONDS)


async def _read_until(url: str, lots: list[LotKey], stop: asyncio.Event) -> list[int | str]:
    answers: list[int | str] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for lot in cycle(lots):
            if stop.is_set():
                return answers
            try:
                response = await http.get(
                    f"/01/{lot.gtin}/10/{lot.lot}", headers={"accept": "application/json"}
                )
                answers.append(response.status_code)
            except httpx.TransportError as exc:
                answers.append(repr(exc))
    return answers


async def _reads_while(kill: Any, url: str, lots: list[LotKey]) -> list[int | str]:
    stop = asyncio.Event()
    readers = [asyncio.create_task(_read_until(url, lots, stop)) for _ in range(READERS)]
    await asyncio.sleep(0.5)
    await asyncio.to_thread(kill)
    await asyncio.sleep(1.0)
    stop.set()
    return [answer for answers in await asyncio.gather(*readers) for answer in answers]


def test_killing_the_replica_under_reads_gives_no_error_and_it_is_used_again_when_back(
    cluster: Cluster,
    portal: Deployment,
) -> None:
    answers = asyncio.run(
        _reads_while(cluster.standby.kill, portal.server.url, portal.producer.lots)
    )

    failures = [answer for answer in answers if answer != 200]
    assert answers and not failures, f"{len(failures)} of {len(answers)} failed: {failures[:5]}"
    assert portal.replica()["state"] == "down"
    assert portal.metric("traceability_replica_up") == 0

    cluster.standby.start()
    portal.wait_for_replica("up")
    assert portal.metric("traceability_replica_up") == 1
    assert_reads_come_from_the_replica(cluster, portal)
