"""A read replica: whether it may be used now, and which reads may use it.

Two decisions, each made here only:

- The replica's health. A background check (traceability.background.replica_monitor)
  compares the primary's WAL position with what the replica has replayed, and a read that
  failed on the replica marks it down at once. It is usable while it answers and is at most
  ``max_lag`` seconds behind.
- Which reads go there. Only reads of a request the gateway routed (:func:`routed_reads`),
  in that request's own task: a background job, a command, or a task a request started
  reads the primary, which is never behind what they are about to write.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)

REPLICA_UP = Gauge("traceability_replica_up", "1 when the read replica answers, else 0")
REPLICA_LAG = Gauge(
    "traceability_replica_lag_seconds",
    "How long the oldest write the read replica has not replayed has been waiting",
)
REPLICA_FALLBACKS = Counter(
    "traceability_replica_fallbacks_total",
    "Reads a request ran on the primary after the replica failed under it",
)


class ReplicaState(StrEnum):
    UP = "up"
    LAGGING = "lagging"
    DOWN = "down"


@dataclass
class Replica:
    """The replica's engine and what the last check (or failed read) learnt of it."""

    engine: AsyncEngine
    max_lag: float
    answering: bool = False
    lag_seconds: float = 0.0
    reason: str = "not checked yet"
    # (when first seen, primary WAL position) for positions the replica has not replayed.
    _unreplayed: deque[tuple[float, int]] = field(default_factory=deque)

    @property
    def state(self) -> ReplicaState:
        if not self.answering:
            return ReplicaState.DOWN
        return ReplicaState.LAGGING if self.lag_seconds > self.max_lag else ReplicaState.UP

    @property
    def usable(self) -> bool:
        return self.state is ReplicaState.UP

    def observe(self, primary_position: int | None, replayed: int, now: float) -> None:
        """A check's figures: the lag is how long ago the oldest primary position the replica
        has not replayed was first seen (0 when it has replayed all it was shown). Measured
        so, an idle primary never makes an idle replica look behind."""
        if primary_position is not None and (
            not self._unreplayed or primary_position > self._unreplayed[-1][1]
        ):
            self._unreplayed.append((now, primary_position))
        while self._unreplayed and self._unreplayed[0][1] <= replayed:
            self._unreplayed.popleft()
        self.lag_seconds = now - self._unreplayed[0][0] if self._unreplayed else 0.0
        was = self.state
        self.answering = True
        self.reason = ""
        self._publish(was)

    def mark_down(self, reason: str) -> None:
        was = self.state
        self.answering = False
        self.reason = reason
        self._publish(was)

    def _publish(self, was: ReplicaState) -> None:
        REPLICA_UP.set(1 if self.answering else 0)
        REPLICA_LAG.set(self.lag_seconds)
        if self.state is not was:
            log.warning(
                "read_replica_state", state=str(self.state), was=str(was), reason=self.reason
            )


@dataclass
class ReadRouting:
    """One request's reads: whether they may go to the replica, and what they did."""

    may_use_replica: bool
    task: asyncio.Task[object] | None = field(default_factory=asyncio.current_task)
    used_replica: bool = False
    wrote: bool = False
    failed_on_replica: bool = False

    def replica_allowed(self) -> bool:
        return self.may_use_replica and asyncio.current_task() is self.task

    @property
    def must_run_again(self) -> bool:
        """A read failed on the replica and nothing was written: the whole request can run
        again on the primary, and gives the same answer the replica would have."""
        return self.failed_on_replica and not self.wrote


_routing: ContextVar[ReadRouting | None] = ContextVar("read_routing", default=None)


def current_routing() -> ReadRouting | None:
    return _routing.get()


@contextmanager
def routed_reads(routing: ReadRouting) -> Iterator[ReadRouting]:
    """Reads in this block follow ``routing`` (the gateway opens one per request)."""
    token = _routing.set(routing)
    try:
        yield routing
    finally:
        _routing.reset(token)
