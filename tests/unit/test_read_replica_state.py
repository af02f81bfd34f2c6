"""The read replica's settings and how its lag is measured (no database: the figures a
check would bring are given by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import create_async_engine

from traceability.config import Settings
from traceability.db.replica import Replica, ReplicaState


def replica(max_lag: float = 2.0) -> Replica:
    # Never connected: create_async_engine opens nothing until it is used.
    return Replica(create_async_engine("postgresql+asyncpg://replica.invalid/db"), max_lag)


def test_a_replica_is_refused_with_sqlite_saying_why(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SQLite has no replicas"):
        Settings(data_dir=tmp_path, database_read_url="postgresql+asyncpg://replica/db")


def test_a_replica_is_accepted_beside_postgresql(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://primary/db",
        database_read_url="postgresql+asyncpg://replica/db",
    )
    assert settings.database_read_max_lag == 5.0


def test_a_replica_is_down_until_its_first_check_answers() -> None:
    standby = replica()
    assert standby.state is ReplicaState.DOWN and not standby.usable
    standby.observe(primary_position=100, replayed=100, now=10.0)
    assert standby.state is ReplicaState.UP and standby.usable


def test_an_idle_primary_never_makes_an_idle_replica_look_behind() -> None:
    standby = replica()
    for second in range(60):
        standby.observe(primary_position=100, replayed=100, now=float(second))
    assert standby.lag_seconds == 0.0


def test_lag_is_how_long_the_oldest_unreplayed_write_has_waited() -> None:
    standby = replica(max_lag=2.0)
    standby.observe(primary_position=100, replayed=100, now=0.0)
    standby.observe(primary_position=150, replayed=100, now=1.0)  # a write, not yet replayed
    standby.observe(primary_position=180, replayed=120, now=2.5)  # more, and part replayed
    assert standby.lag_seconds == 1.5 and standby.usable
    standby.observe(primary_position=180, replayed=160, now=3.5)  # the first write is in
    assert standby.lag_seconds == 1.0
    standby.observe(primary_position=180, replayed=170, now=5.0)
    assert standby.lag_seconds == 2.5 and standby.state is ReplicaState.LAGGING
    standby.observe(primary_position=180, replayed=180, now=5.1)
    assert standby.lag_seconds == 0.0 and standby.usable


def test_a_failed_read_marks_it_down_and_the_next_answering_check_brings_it_back() -> None:
    standby = replica()
    standby.observe(primary_position=100, replayed=100, now=0.0)
    standby.mark_down("a read failed: OperationalError")
    assert standby.state is ReplicaState.DOWN and standby.reason
    standby.observe(primary_position=100, replayed=100, now=1.0)
    assert standby.usable and standby.reason == ""
