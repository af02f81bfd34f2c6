"""Ledger benchmark: append throughput, chain verification rate and log proof latency.

Three parts, each measured beside a bare baseline in the same run (the machines are
shared and noisy, so only ratios taken side by side are comparable across runs):

1. ``append``: LedgerService.append on PostgreSQL, 8 concurrent writers (asyncio tasks,
   one Database.write() transaction per call), batches of 100 events over ~100 lots.
   Baseline: a bare executemany INSERT of the same rows into a scratch copy of the
   events table (same columns, defaults, indexes and unique constraints; no foreign
   keys), same engine, same writers, same batches. A warm-up load (unmeasured) comes
   first and statistics are refreshed after every load, as autovacuum would on a live
   ledger; each run adds to what is already stored.
2. ``verify``: audit_chain (pure) over one lot's chain of realistic ~1 KB EPCIS
   ObjectEvents with log inclusion proofs against one root, built up front. Baseline:
   bare Ed25519 verification (cryptography, key loaded once) of the same signatures
   over the same hashes. A per-step breakdown is printed, and a cProfile when the
   goal is missed. The same runs are also timed by thread CPU time, printed beside
   the wall-clock figures (which carry the verdict).
3. ``proofs``: TransparencyService.inclusion_proof / consistency_proof latency, each in
   its own read session, on a log bulk-loaded with synthetic leaves (Frontier appends
   in Python, COPY into log_leaves/log_nodes; not through the append path). Yardstick:
   one primary-key SELECT of a leaf in a read session. Every proof timed is verified.

Every figure is the median of ``--runs`` runs. The benchmark creates its own databases
(bench_*) on the server named by ``--database-url`` and drops them at the end.

    python -m bench.ledger [--database-url URL] [--runs 3] [--events N]
                           [--leaves 1000000] [--only append|verify|proofs]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import functools
import hashlib
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol, cast

import asyncpg
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url

from traceability.chain.audit import ChainEntry, KeyInfo, LogEvidence, TrustedRoot, audit_chain
from traceability.chain.record import ChainLink, EventRecord, LotKey
from traceability.crypto.canonical import canonical_bytes
from traceability.crypto.signing import SignatureVerifier, SigningKey
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.log.frontier import Frontier
from traceability.log.memory_tree import MemoryNodeStore
from traceability.log.merkle import NodeId, leaf_hash
from traceability.log.proof_verification import (
    InclusionVerifier,
    verify_consistency,
    verify_inclusion,
)

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
GOAL_APPEND_PER_S = 2_000.0
GOAL_VERIFY_RATIO = 0.8
GOAL_PROOF_MS = 5.0
PROOF_STAGES = (10_000, 100_000, 1_000_000)

VN = timezone(timedelta(hours=7))
BASE_TIME = datetime(2026, 11, 24, 7, 0, tzinfo=VN)
BIZ_STEPS = ("commissioning", "inspecting", "packing", "storing", "shipping", "receiving")
LEDGER_TABLES = (
    "events",
    "event_identifiers",
    "chain_links",
    "chains",
    "log_leaves",
    "log_nodes",
    "log_checkpoints",
)
BARE_TABLE = "bench_bare_events"


# --------------------------------------------------------------------------- data


def gtin_under(prefix: str, item: int) -> str:
    """A valid GTIN-14 under a GS1 company prefix (indicator digit 0)."""
    body = "0" + prefix + str(item).zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


def gln_under(prefix: str, location: int) -> str:
    body = prefix + str(location).zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


def make_event(rng: random.Random, lot: LotKey, prefix: str, n: int) -> dict[str, Any]:
    """A realistic EPCIS 2.0 ObjectEvent naming one lot, about 1 KB canonicalised."""
    location_digits = 12 - len(prefix)
    farm = rng.randrange(1, 10**location_digits)
    warehouse = rng.randrange(1, 10**location_digits)
    moment = BASE_TIME + timedelta(minutes=n, milliseconds=rng.randrange(60_000))
    harvest = (BASE_TIME - timedelta(days=rng.randrange(5, 40))).date()
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "eventTime": moment.isoformat(timespec="milliseconds"),
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": f"https://ref.gs1.org/cbv/BizStep-{BIZ_STEPS[n % len(BIZ_STEPS)]}",
        "disposition": "https://ref.gs1.org/cbv/Disp-active",
        "readPoint": {"id": f"urn:epc:id:sgln:{prefix}.{farm:0{location_digits}d}.0"},
        "bizLocation": {"id": f"urn:epc:id:sgln:{prefix}.{warehouse:0{location_digits}d}.0"},
        "quantityList": [
            {
                "epcClass": f"https://id.gs1.org/01/{lot.gtin}/10/{lot.lot}",
                "quantity": round(rng.uniform(50, 5_000), 1),
                "uom": "KGM",
            }
        ],
        "bizTransactionList": [
            {
                "type": "https://ref.gs1.org/cbv/BTT-po",
                "bizTransaction": f"urn:epcglobal:cbv:bt:{gln_under(prefix, 1)}:PO-{n:08d}",
            }
        ],
        "ilmd": {
            "cbvmda:countryOfOrigin": "VN",
            "cbvmda:harvestStartDate": harvest.isoformat(),
            "cbvmda:harvestEndDate": (harvest + timedelta(days=3)).isoformat(),
            "cbvmda:bestBeforeDate": (harvest + timedelta(days=365)).isoformat(),
            "cbvmda:farmList": [
                {
                    "cbvmda:farmIdentification": f"VN-ST-{farm:06d}",
                    "cbvmda:farmIdentificationType": "VietGAP",
                }
            ],
            "cbvmda:variety": "ST25",
            "cbvmda:lotNumber": lot.lot,
            "vn:vungTrong": "Xã Phú Tân, huyện Châu Thành, tỉnh Sóc Trăng",
            "vn:chungNhan": ["VietGAP", "TCVN 11041-2:2017 (hữu cơ)"],
            "vn:doAmPhanTram": round(rng.uniform(13.0, 15.0), 1),
        },
    }


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --------------------------------------------------------------------------- 2. verification


@dataclass(frozen=True)
class ChainFixture:
    lot: LotKey
    entries: list[ChainEntry]
    keys: dict[str, KeyInfo]
    root: TrustedRoot
    head: tuple[int, bytes]
    public_key: bytes
    mean_event_bytes: float


def build_chain(events: int, stride: int = 16, seed: int = 1) -> ChainFixture:
    """One lot's chain of ``events`` signed events, each logged among ``stride - 1`` others.

    The log is a MemoryNodeStore (the stored-node functions), so each proof has the
    length it would have in a log of ``events * stride`` leaves.
    """
    rng = random.Random(seed)
    signer = SigningKey.from_raw(rng.randbytes(32))
    organization_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    prefix = "89300001"
    lot = LotKey(gtin_under(prefix, 25), "ST25-261124")
    store = MemoryNodeStore()
    built: list[tuple[EventRecord, bytes, bytes, int]] = []
    sizes = 0
    prev: bytes | None = None
    for seq in range(1, events + 1):
        for _ in range(stride - 1):
            store.append(rng.randbytes(32))  # other lots' events
        event = make_event(rng, lot, prefix, seq)
        sizes += len(canonical_bytes(event))
        record = EventRecord(
            event,
            organization_id,
            signer.key_id,
            (ChainLink(lot, seq, prev),),
            BASE_TIME.astimezone(UTC) + timedelta(milliseconds=seq),
        )
        event_hash = record.hash()
        built.append((record, event_hash, signer.sign(event_hash), store.size))
        store.append(event_hash)
        prev = event_hash
    size = store.size
    root = TrustedRoot(size, store.root())
    entries = [
        ChainEntry(record, h, sig, LogEvidence(index, h, store.inclusion_proof(index, size)))
        for record, h, sig, index in built
    ]
    key = KeyInfo(
        key_id=signer.key_id,
        organization_id=organization_id,
        public_key=signer.public_raw,
        valid_from=BASE_TIME - timedelta(days=1),
    )
    assert prev is not None
    return ChainFixture(
        lot=lot,
        entries=entries,
        keys={key.key_id: key},
        root=root,
        head=(events, prev),
        public_key=signer.public_raw,
        mean_event_bytes=sizes / events,
    )


@dataclass(frozen=True)
class VerifyRun:
    audit_per_s: float  # audit_chain with the log checks: the inspector's audit
    raw_per_s: float
    # The same runs timed by this thread's CPU time, which leaves out the time other
    # processes on a busy machine hold the CPU (both sides are pure single-threaded
    # computation). Reported beside the wall-clock figures, which carry the verdict.
    audit_cpu_per_s: float | None = None
    raw_cpu_per_s: float | None = None
    # audit_chain without a log root: hashes, links, signatures and key validity only.
    chain_per_s: float | None = None

    @property
    def ratio(self) -> float:
        return self.audit_per_s / self.raw_per_s

    @property
    def chain_ratio(self) -> float | None:
        return None if self.chain_per_s is None else self.chain_per_s / self.raw_per_s

    @property
    def cpu_ratio(self) -> float | None:
        if self.audit_cpu_per_s is None or self.raw_cpu_per_s is None:
            return None
        return self.audit_cpu_per_s / self.raw_cpu_per_s


def run_audit(fx: ChainFixture) -> None:
    result = audit_chain(fx.lot, fx.entries, fx.keys, fx.root, head=fx.head)
    if not result.intact or result.checked != len(fx.entries):
        raise RuntimeError(f"benchmark chain does not audit clean: {result.first_bad}")


def run_chain_only(fx: ChainFixture) -> None:
    result = audit_chain(fx.lot, fx.entries, fx.keys, None, head=fx.head)
    if not result.intact or result.checked != len(fx.entries):
        raise RuntimeError(f"benchmark chain does not verify clean: {result.first_bad}")


def run_raw_verify(fx: ChainFixture) -> None:
    public = Ed25519PublicKey.from_public_bytes(fx.public_key)
    for entry in fx.entries:
        public.verify(entry.signature, entry.stored_hash)  # raises if bad


VERIFY_PASSES = 3


def measure_verification(fx: ChainFixture, audit_first: bool = True) -> VerifyRun:
    """One side-by-side run: the audit, the chain alone and raw verify, passes interleaved.

    Each of the three runs over the whole chain ``VERIFY_PASSES`` times, one pass of each
    in turn, so a change in the machine's speed during the run falls on all three alike.
    """
    n = len(fx.entries) * VERIFY_PASSES
    order = [("audit", run_audit), ("chain", run_chain_only), ("raw", run_raw_verify)]
    if not audit_first:
        order.reverse()
    wall = dict.fromkeys(("audit", "chain", "raw"), 0.0)
    cpu = dict(wall)
    for _ in range(VERIFY_PASSES):
        for name, fn in order:
            start, start_cpu = time.perf_counter(), time.thread_time()
            fn(fx)
            cpu[name] += time.thread_time() - start_cpu
            wall[name] += time.perf_counter() - start
    return VerifyRun(
        n / wall["audit"],
        n / wall["raw"],
        n / cpu["audit"],
        n / cpu["raw"],
        chain_per_s=n / wall["chain"],
    )


def verification_breakdown(fx: ChainFixture) -> dict[str, float]:
    """Microseconds per event of each step audit_chain takes, timed one step at a time."""
    n = len(fx.entries)
    key = next(iter(fx.keys.values()))

    def hashes() -> None:
        for e in fx.entries:
            e.record.hash()

    def signatures() -> None:
        verifier = SignatureVerifier(key.public_key)
        for e in fx.entries:
            verifier.verify(e.signature, e.stored_hash)

    def inclusions() -> None:
        verifier = InclusionVerifier(fx.root.size, fx.root.root_hash)
        for e in fx.entries:
            if e.log is not None:
                verifier.verify(leaf_hash(e.stored_hash), e.log.index, e.log.proof)

    def inclusions_one_by_one() -> None:
        size, root = fx.root.size, fx.root.root_hash
        for e in fx.entries:
            if e.log is not None:
                verify_inclusion(leaf_hash(e.stored_hash), e.log.index, size, e.log.proof, root)

    steps: dict[str, Callable[[], None]] = {
        "record hash (JCS + SHA-256)": hashes,
        "signature (key loaded once per audit)": signatures,
        "inclusion proofs (one InclusionVerifier per audit)": inclusions,
        "  each proof alone (verify_inclusion)": inclusions_one_by_one,
        "raw Ed25519 verify (key loaded once)": lambda: run_raw_verify(fx),
        "audit_chain, all of it": lambda: run_audit(fx),
    }
    out: dict[str, float] = {}
    for name, fn in steps.items():
        start = time.perf_counter()
        fn()
        out[name] = (time.perf_counter() - start) / n * 1e6
    return out


def profile_audit(fx: ChainFixture, top: int = 12) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run_audit(fx)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    return buffer.getvalue()


# --------------------------------------------------------------------------- 3. proofs (pure)


def synthetic_leaf(index: int) -> bytes:
    """Leaf data of a synthetic log: reproducible from the index, so any proof can be checked."""
    return hashlib.sha256(b"bench-leaf:" + index.to_bytes(8, "big")).digest()


LeafRow = tuple[int, bytes, str]
NodeRow = tuple[int, int, bytes]


@dataclass
class LogFill:
    """Grows a synthetic log with Frontier appends, in chunks ready for bulk loading.

    Records the root at every size in ``wanted`` on the way, so consistency proofs
    from those sizes can be checked against roots computed independently of the store.
    """

    frontier: Frontier = field(default_factory=Frontier.empty)
    roots: dict[int, bytes] = field(default_factory=dict)

    def grow(
        self, stop: int, wanted: set[int], chunk: int = 50_000
    ) -> Iterator[tuple[list[LeafRow], list[NodeRow]]]:
        f = self.frontier
        while f.size < stop:
            end = min(stop, f.size + chunk)
            leaves: list[LeafRow] = []
            nodes: list[NodeRow] = []
            for i in range(f.size, end):
                data = synthetic_leaf(i)
                f, created = f.append(data)
                leaves.append((i, data, f"urn:bench:leaf:{i}"))
                nodes.extend((node.level, node.index, h) for node, h in created)
                if f.size in wanted:
                    self.roots[f.size] = f.root()
            self.frontier = f
            yield leaves, nodes


class Prover(Protocol):
    async def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]]: ...

    async def consistency(self, first: int, second: int) -> list[bytes]: ...

    async def baseline(self, index: int) -> object: ...


class MemoryProver:
    """Proofs from an in-memory node store (the smoke test's stand-in for PostgreSQL)."""

    def __init__(self, store: MemoryNodeStore) -> None:
        self.store = store

    async def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        return leaf_hash(synthetic_leaf(index)), self.store.inclusion_proof(index, size)

    async def consistency(self, first: int, second: int) -> list[bytes]:
        return self.store.consistency_proof(first, second)

    async def baseline(self, index: int) -> object:
        return self.store.nodes.get(NodeId(0, index))


def memory_store(
    fill: LogFill, size: int, wanted: set[int], chunk: int = 50_000
) -> MemoryNodeStore:
    """A MemoryNodeStore holding exactly the node rows the bulk load would COPY."""
    store = MemoryNodeStore()
    for _leaves, nodes in fill.grow(size, wanted, chunk):
        for level, index, h in nodes:
            store.nodes[NodeId(level, index)] = h
    store.frontier = fill.frontier
    return store


@dataclass(frozen=True)
class ProofRun:
    inclusion_p50_ms: float
    inclusion_p99_ms: float
    consistency_p50_ms: float
    consistency_p99_ms: float
    baseline_p50_ms: float
    verified: int


async def measure_proofs(
    prover: Prover,
    size: int,
    roots: dict[int, bytes],
    firsts: Sequence[int],
    calls: int,
    rng: random.Random,
    tick: Callable[[], None] = lambda: None,
    warmup: int = 20,
) -> ProofRun:
    """Time ``calls`` inclusion and consistency proofs against the tree of ``size`` leaves.

    Then as many primary-key reads of one leaf, the yardstick (one round trip in a read
    session). Every proof returned is then checked (untimed) against the root of ``size``: inclusion
    with verify_inclusion, consistency from each size in ``firsts`` (whose roots are known).
    """
    root = roots[size]
    indexes = [rng.randrange(size) for _ in range(calls)]
    for i in range(warmup):
        await prover.inclusion(indexes[i % calls], size)
        await prover.consistency(firsts[i % len(firsts)], size)
    inclusion_ms: list[float] = []
    inclusion_proofs: list[tuple[bytes, list[bytes]]] = []
    for index in indexes:
        start = time.perf_counter()
        proof = await prover.inclusion(index, size)
        inclusion_ms.append((time.perf_counter() - start) * 1e3)
        inclusion_proofs.append(proof)
        tick()
    consistency_ms: list[float] = []
    consistency_proofs: list[list[bytes]] = []
    chosen = [firsts[i % len(firsts)] for i in range(calls)]
    for first in chosen:
        start = time.perf_counter()
        hashes = await prover.consistency(first, size)
        consistency_ms.append((time.perf_counter() - start) * 1e3)
        consistency_proofs.append(hashes)
        tick()
    baseline_ms: list[float] = []
    for index in indexes:
        start = time.perf_counter()
        await prover.baseline(index)
        baseline_ms.append((time.perf_counter() - start) * 1e3)
        tick()
    verified = 0
    for index, (leaf, hashes) in zip(indexes, inclusion_proofs, strict=True):
        if leaf != leaf_hash(synthetic_leaf(index)) or not verify_inclusion(
            leaf, index, size, hashes, root
        ):
            raise RuntimeError(f"inclusion proof of leaf {index} in {size} does not verify")
        verified += 1
    for first, hashes in zip(chosen, consistency_proofs, strict=True):
        if not verify_consistency(first, size, roots[first], root, hashes):
            raise RuntimeError(f"consistency proof {first} -> {size} does not verify")
        verified += 1
    return ProofRun(
        percentile(inclusion_ms, 50),
        percentile(inclusion_ms, 99),
        percentile(consistency_ms, 50),
        percentile(consistency_ms, 99),
        percentile(baseline_ms, 50),
        verified,
    )


# --------------------------------------------------------------------------- databases


def sqlalchemy_url(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql+asyncpg")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


class ScratchDatabases:
    """bench_* databases created on the server, migrated, and dropped at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    async def create(self, purpose: str) -> str:
        from traceability.db.migrate import upgrade

        name = f"bench_{purpose}_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(asyncpg_dsn(self.server_url))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        self.created.append(name)
        url = sqlalchemy_url(self.server_url, name)
        await asyncio.to_thread(upgrade, url)
        return url

    async def drop_all(self) -> None:
        if not self.created:
            return
        admin = await asyncpg.connect(asyncpg_dsn(self.server_url))
        try:
            for name in self.created:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
        self.created.clear()


# --------------------------------------------------------------------------- 1. append


@dataclass(frozen=True)
class AppendRun:
    append_per_s: float
    bare_per_s: float
    append_batch_p99_ms: float
    bare_batch_p99_ms: float

    @property
    def ratio(self) -> float:
        return self.append_per_s / self.bare_per_s


@dataclass(frozen=True)
class Org:
    id: str
    key_id: str
    prefix: str
    lots: list[LotKey]
    api_key: str = ""  # its first API key, for benchmarks that call the HTTP API


Batch = tuple[Org, list[tuple[LotKey, dict[str, Any]]]]
Job = Callable[[], Awaitable[None]]


async def _setup_portal(url: str, data_dir: Path, orgs: int, lots: int) -> tuple[Any, list[Org]]:
    from traceability.config import Settings
    from traceability.portal import Portal
    from traceability.services.registry import NewLot, NewOrganization, NewProduct

    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        master_key=base64.b64encode(os.urandom(32)).decode(),
        log_signing_key=base64.b64encode(os.urandom(32)).decode(),
        base_url="https://truyxuat.example.vn",
    )
    portal = Portal.build(settings)
    made: list[Org] = []
    per_org = max(1, lots // orgs)
    for n in range(orgs):
        prefix = f"8930{n + 1:04d}"
        gtin = gtin_under(prefix, 25)
        async with portal.database.write() as session:
            created = await portal.registry.create_organization(
                session,
                NewOrganization(
                    name=f"Hợp tác xã lúa gạo số {n + 1}",
                    role="producer",
                    tax_code=f"{1_800_000_000 + n:010d}",
                    gs1_prefixes=[prefix],
                    province="Sóc Trăng",
                ),
            )
            org_id = created.organization.id
            await portal.registry.create_product(
                session, org_id, NewProduct(gtin=gtin, name="Gạo ST25", brand="ST25")
            )
            codes = [f"ST25-{i + 1:04d}" for i in range(per_org)]
            for code in codes:
                await portal.registry.create_lot(
                    session, org_id, NewLot(gtin=gtin, lot_code=code, quantity=10_000, unit="KGM")
                )
        lot_keys = [LotKey(gtin, c) for c in codes]
        made.append(Org(org_id, created.signing_key_id, prefix, lot_keys, created.api_key))
    async with portal.database.writer.begin() as connection:
        await connection.execute(text(f"DROP TABLE IF EXISTS {BARE_TABLE}"))
        await connection.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {BARE_TABLE}_id_seq"))
        # Same columns, defaults, indexes and unique constraints as events (LIKE copies no FKs).
        await connection.execute(text(f"CREATE TABLE {BARE_TABLE} (LIKE events INCLUDING ALL)"))
        await connection.execute(
            text(
                f"ALTER TABLE {BARE_TABLE} ALTER COLUMN id "
                f"SET DEFAULT nextval('{BARE_TABLE}_id_seq')"
            )
        )
    return portal, made


def make_batches(rng: random.Random, orgs: Sequence[Org], events: int, batch: int) -> list[Batch]:
    """Capture requests: one organisation each, 1-5 of its lots, each event naming one lot."""
    batches = []
    made = 0
    while made < events:
        org = rng.choice(orgs)
        lots = rng.sample(org.lots, rng.randint(1, min(5, len(org.lots))))
        count = min(batch, events - made)
        items = []
        for _ in range(count):
            lot = rng.choice(lots)
            items.append((lot, make_event(rng, lot, org.prefix, made)))
            made += 1
        batches.append((org, items))
    return batches


def append_jobs(portal: Any, batches: Sequence[Batch]) -> list[Job]:
    """One LedgerService.append call per batch, each in its own write transaction."""
    from traceability.services.ledger import Submission

    def job_for(submissions: list[Submission]) -> Job:
        async def job() -> None:
            async with portal.database.write() as session:
                await portal.ledger.append(session, submissions)

        return job

    return [
        job_for([Submission(event, [lot], org.id) for lot, event in items])
        for org, items in batches
    ]


def bare_jobs(
    portal: Any, batches: Sequence[Batch], rng: random.Random, first_index: int
) -> list[Job]:
    """The same rows of the events table, built up front, each batch in one INSERT.

    The INSERT is the append's own (one array per column, unnested), so the pair differs
    only by what an append adds: chains, signatures, the log and its indexes.
    """
    from traceability.db.models import Event
    from traceability.epcis.index import query_columns
    from traceability.repositories import unnest
    from traceability.services.ledger import parse_event_time

    table = cast(sa.Table, Event.__table__).to_metadata(MetaData(), name=BARE_TABLE)
    now = datetime.now(UTC)
    log_index = first_index

    def job_for(rows: list[dict[str, Any]]) -> Job:
        async def job() -> None:
            columns = tuple(sorted(rows[0]))
            async with portal.database.write() as session:
                await session.execute(
                    unnest.insert_statement(table, columns),
                    unnest.parameters(table, columns, rows),
                )

        return job

    jobs = []
    for org, items in batches:
        rows = []
        for _lot, event in items:
            rows.append(
                {
                    "event_id": event["eventID"],
                    "organization_id": org.id,
                    "key_id": org.key_id,
                    "event": event,
                    "event_type": event["type"],
                    "event_time": parse_event_time(event, 0),
                    **query_columns(event),
                    "recorded_at": now,
                    "event_hash": rng.randbytes(32),
                    "signature": rng.randbytes(64),
                    "signed_by": "portal",
                    "log_index": log_index,
                }
            )
            log_index += 1
        jobs.append(job_for(rows))
    return jobs


async def _analyze(portal: Any) -> None:
    """What autovacuum does on a live ledger: fresh planner statistics after a load."""
    async with portal.database.writer.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f"ANALYZE {', '.join(LEDGER_TABLES)}, {BARE_TABLE}"))


async def _writers(
    jobs: Sequence[Callable[[], Awaitable[None]]], writers: int, tick: Callable[[], None]
) -> tuple[float, list[float]]:
    queue = iter(jobs)
    latencies: list[float] = []

    async def writer() -> None:
        for job in queue:  # one shared iterator: each job is taken by exactly one writer
            start = time.perf_counter()
            await job()
            latencies.append((time.perf_counter() - start) * 1e3)
            tick()

    start = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return time.perf_counter() - start, latencies


async def _check_appended(portal: Any, expected: int, lot: LotKey) -> None:
    async with portal.database.read() as session:
        size = (await session.execute(text("SELECT size FROM log_state"))).scalar_one()
        count = (await session.execute(text("SELECT count(*) FROM events"))).scalar_one()
    if size != expected or count != expected:
        raise RuntimeError(f"append run stored {count} events, log size {size}, not {expected}")
    async with portal.database.read(snapshot=True) as session:
        audit = await portal.audit.audit_lot(session, lot.gtin, lot.lot)
    if not audit.intact:
        raise RuntimeError(f"lot {lot} does not audit clean after the append run")


async def run_append(
    scratch: ScratchDatabases,
    progress: Progress,
    runs: int,
    events: int,
    writers: int,
    batch: int,
    lots: int,
    seed: int,
    warmup: int,
) -> list[AppendRun]:
    """Warm-up load (unmeasured), then ``runs`` side-by-side runs, each adding ``events``.

    The runs add to what is there, like a live ledger; statistics are refreshed between
    loads as autovacuum would, so no run is planned against an empty-table estimate.
    """
    url = await scratch.create("ledger")
    rng = random.Random(seed)
    results: list[AppendRun] = []
    stored = 0
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as data_dir:
        portal, orgs = await _setup_portal(url, Path(data_dir), orgs=4, lots=lots)
        try:
            for run in range(-1 if warmup else 0, runs):
                count = warmup if run < 0 else events
                batches = make_batches(rng, orgs, count, batch)
                jobs = {
                    "append": append_jobs(portal, batches),
                    "bare": bare_jobs(portal, batches, rng, stored),
                }
                measured: dict[str, tuple[float, list[float]]] = {}
                for name in ("bare", "append") if run % 2 == 0 else ("append", "bare"):
                    label = "warm-up" if run < 0 else f"run {run + 1}/{runs}"
                    task = progress.add_task(f"append {label}: {name}", total=len(jobs[name]))
                    measured[name] = await _writers(
                        jobs[name], writers, functools.partial(progress.advance, task)
                    )
                    progress.update(task, visible=False)
                stored += count
                await _check_appended(portal, stored, batches[0][1][0][0])
                await _analyze(portal)
                if run < 0:
                    continue
                (a_s, a_lat), (b_s, b_lat) = measured["append"], measured["bare"]
                results.append(
                    AppendRun(
                        count / a_s, count / b_s, percentile(a_lat, 99), percentile(b_lat, 99)
                    )
                )
        finally:
            await portal.database.dispose()
    return results


# --------------------------------------------------------------------------- 3. proofs (db)


class PostgresProver:
    """TransparencyService proofs, each in its own read session, as an API request makes them."""

    def __init__(self, database: Any, service: Any) -> None:
        self.database = database
        self.service = service

    async def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        async with self.database.read() as session:
            proof = await self.service.inclusion_proof(session, index, size)
        return proof.leaf_hash, proof.hashes

    async def consistency(self, first: int, second: int) -> list[bytes]:
        async with self.database.read() as session:
            hashes: list[bytes] = await self.service.consistency_proof(session, first, second)
        return hashes

    async def baseline(self, index: int) -> object:
        """The yardstick: one primary-key SELECT of a leaf row in a read session."""
        from traceability.db.models import LogLeaf

        async with self.database.read() as session:
            return await session.get(LogLeaf, index)


def proof_stages(leaves: int) -> list[int]:
    return [s for s in PROOF_STAGES if s < leaves] + [leaves]


async def run_proofs(
    scratch: ScratchDatabases,
    progress: Progress,
    runs: int,
    leaves: int,
    calls: int,
    seed: int,
) -> dict[int, list[ProofRun]]:
    from traceability.db.session import Database
    from traceability.keyring import LogKeySettings
    from traceability.services.transparency import TransparencyService

    url = await scratch.create("proofs")
    rng = random.Random(seed)
    stages = proof_stages(leaves)
    firsts = {size: sorted(rng.randint(1, size) for _ in range(calls)) for size in stages}
    wanted = {f for fs in firsts.values() for f in fs} | set(stages)
    fill = LogFill()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    database = Database.connect(url)
    service = TransparencyService(
        LogKeySettings(Ed25519PrivateKey.generate(), "bench/log", "bench", False, False)
    )
    prover = PostgresProver(database, service)
    results: dict[int, list[ProofRun]] = {}
    try:
        for size in stages:
            task = progress.add_task(f"bulk-load log to {size:,} leaves", total=size)
            progress.update(task, completed=fill.frontier.size)
            for leaf_rows, node_rows in fill.grow(size, wanted):
                await connection.copy_records_to_table(
                    "log_leaves", records=leaf_rows, columns=["index", "event_hash", "event_id"]
                )
                await connection.copy_records_to_table(
                    "log_nodes", records=node_rows, columns=["level", "index", "hash"]
                )
                progress.update(task, completed=fill.frontier.size)
            await connection.execute(
                "UPDATE log_state SET size = $1, frontier = $2, root = $3 WHERE id = 1",
                fill.frontier.size,
                fill.frontier.to_bytes(),
                fill.frontier.root(),
            )
            await connection.execute("ANALYZE log_leaves; ANALYZE log_nodes; ANALYZE log_state")
            progress.update(task, visible=False)
            results[size] = []
            for run in range(runs):
                timing = progress.add_task(
                    f"proofs at {size:,} leaves, run {run + 1}/{runs}", total=3 * calls
                )
                results[size].append(
                    await measure_proofs(
                        prover,
                        size,
                        fill.roots,
                        firsts[size],
                        calls,
                        rng,
                        functools.partial(progress.advance, timing),
                    )
                )
                progress.update(timing, visible=False)
    finally:
        await connection.close()
        await database.dispose()
    return results


# --------------------------------------------------------------------------- report


def verdict_at_least(value: float, goal: float, unit: str) -> str:
    if value >= goal:
        return f"met ({value / goal:.2f}x the goal)"
    return f"NOT met: {value:,.2f}{unit} is {(1 - value / goal) * 100:.0f}% below {goal:,g}{unit}"


def verdict_below(value: float, goal: float, unit: str) -> str:
    if value < goal:
        return f"met ({goal / value:.1f}x under the limit)"
    return f"NOT met: {value:.2f}{unit} is {value / goal:.2f}x the {goal:g}{unit} limit"


def report(
    console: Console,
    args: argparse.Namespace,
    append: list[AppendRun] | None,
    verify: list[VerifyRun] | None,
    proofs: dict[int, list[ProofRun]] | None,
) -> str:
    table = Table(title=f"Ledger benchmark, medians of {args.runs} runs")
    for column in ("measure", "result", "baseline (same run)", "ratio", "goal", "verdict"):
        table.add_column(column)
    summary: list[str] = []
    if append:
        rate = median([r.append_per_s for r in append])
        bare = median([r.bare_per_s for r in append])
        ratio = median([r.ratio for r in append])
        append_p99 = median([r.append_batch_p99_ms for r in append])
        bare_p99 = median([r.bare_batch_p99_ms for r in append])
        table.add_row(
            f"append, {args.writers} writers x batches of {args.batch}, {args.events:,} events",
            f"{rate:,.0f} events/s (batch p99 {append_p99:.0f} ms)",
            f"bare INSERT {bare:,.0f} rows/s (batch p99 {bare_p99:.0f} ms)",
            f"{ratio:.3f}",
            f">= {GOAL_APPEND_PER_S:,.0f} events/s",
            verdict_at_least(rate, GOAL_APPEND_PER_S, " events/s"),
        )
        summary.append(f"append {rate:,.0f} ev/s ({ratio:.2f}x bare insert)")
    if verify:
        rate = median([r.audit_per_s for r in verify])
        raw = median([r.raw_per_s for r in verify])
        ratio = median([r.ratio for r in verify])
        chain = [r for r in verify if r.chain_per_s is not None and r.chain_ratio is not None]
        if chain:
            chain_ratio = median([r.chain_ratio for r in chain if r.chain_ratio is not None])
            table.add_row(
                f"chain verification (hashes, links, signatures, keys), {args.chain:,} events",
                f"{median([r.chain_per_s for r in chain if r.chain_per_s]):,.0f} events/s",
                f"raw Ed25519 verify {raw:,.0f}/s",
                f"{chain_ratio:.3f}",
                f">= {GOAL_VERIFY_RATIO}x raw verify",
                verdict_at_least(chain_ratio, GOAL_VERIFY_RATIO, "x"),
            )
        table.add_row(
            f"full audit_chain (also each event's log inclusion proof), {args.chain:,} events",
            f"{rate:,.0f} events/s",
            f"raw Ed25519 verify {raw:,.0f}/s",
            f"{ratio:.3f}",
            f">= {GOAL_VERIFY_RATIO}x raw verify",
            verdict_at_least(ratio, GOAL_VERIFY_RATIO, "x"),
        )
        summary.append(f"verify {rate:,.0f} ev/s ({ratio:.2f}x raw Ed25519)")
    if proofs:
        largest = max(proofs)
        for size, rows in proofs.items():
            inc50 = median([r.inclusion_p50_ms for r in rows])
            inc99 = median([r.inclusion_p99_ms for r in rows])
            con50 = median([r.consistency_p50_ms for r in rows])
            con99 = median([r.consistency_p99_ms for r in rows])
            base = median([r.baseline_p50_ms for r in rows])
            ratio = median([r.inclusion_p50_ms / r.baseline_p50_ms for r in rows])
            checked = sum(r.verified for r in rows)
            goal = f"< {GOAL_PROOF_MS:g} ms" if size == largest == 1_000_000 else ""
            verdict = verdict_below(inc50, GOAL_PROOF_MS, " ms") if goal else ""
            table.add_row(
                f"inclusion proof at {size:,} leaves ({args.proof_calls} calls/run)",
                f"p50 {inc50:.2f} ms, p99 {inc99:.2f} ms",
                f"1 PK SELECT p50 {base:.2f} ms",
                f"{ratio:.2f}",
                goal,
                verdict,
            )
            table.add_row(
                f"consistency proof at {size:,} leaves",
                f"p50 {con50:.2f} ms, p99 {con99:.2f} ms",
                "",
                "",
                "",
                f"{checked:,} proofs verified",
            )
        rows = proofs[largest]
        summary.append(
            f"inclusion proof p50 {median([r.inclusion_p50_ms for r in rows]):.2f} ms "
            f"at {largest:,} leaves"
        )
    console.print(table)
    if append:
        console.print(
            "append runs (events/s, bare rows/s): "
            + ", ".join(f"{r.append_per_s:,.0f} / {r.bare_per_s:,.0f}" for r in append)
        )
    if verify:
        console.print(
            "verify runs (events/s, raw verify/s): "
            + ", ".join(f"{r.audit_per_s:,.0f} / {r.raw_per_s:,.0f}" for r in verify)
        )
        cpu = [r for r in verify if r.cpu_ratio is not None]
        if cpu:
            console.print(
                "same runs by thread CPU time (events/s, raw verify/s): "
                + ", ".join(f"{r.audit_cpu_per_s:,.0f} / {r.raw_cpu_per_s:,.0f}" for r in cpu)
                + f"; ratio median {median([r.cpu_ratio for r in cpu if r.cpu_ratio]):.3f}"
            )
    return " | ".join(summary)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ledger",
        description=(
            "Benchmark the ledger: append throughput on PostgreSQL, chain verification rate "
            "and log proof latency, each beside a bare baseline measured in the same run."
        ),
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_SERVER,
        help="PostgreSQL server URL; scratch bench_* databases are created and dropped on it "
        f"(default {DEFAULT_SERVER})",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; median reported")
    parser.add_argument("--events", type=int, default=20_000, help="events appended per append run")
    parser.add_argument(
        "--leaves",
        type=int,
        default=1_000_000,
        help="largest log size for proof timing (also measured at 10,000 and 100,000 below it)",
    )
    parser.add_argument("--only", choices=("append", "verify", "proofs"), help="run one part")
    parser.add_argument(
        "--warmup",
        type=int,
        help="events appended, unmeasured, before the append runs (default: --events)",
    )
    parser.add_argument("--writers", type=int, default=8, help="concurrent append writers")
    parser.add_argument("--batch", type=int, default=100, help="events per append call")
    parser.add_argument("--lots", type=int, default=100, help="lots the appended events name")
    parser.add_argument("--chain", type=int, default=5_000, help="events in the audited chain")
    parser.add_argument(
        "--stride",
        type=int,
        default=16,
        help="log leaves per chain event in the verification log (proof length)",
    )
    parser.add_argument("--proof-calls", type=int, default=500, help="proof calls per size/run")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of audit_chain even if met"
    )
    return parser.parse_args(argv)


@dataclass
class LedgerResults:
    """What one invocation measured: each part's per-run figures (None: part not run)."""

    append: list[AppendRun] | None = None
    verify: list[VerifyRun] | None = None
    proofs: dict[int, list[ProofRun]] | None = None
    fixture: ChainFixture | None = None
    breakdown: dict[str, float] | None = None
    profile: str | None = None


async def collect(args: argparse.Namespace, progress: Progress) -> LedgerResults:
    """Run the parts ``args`` selects (``--only``), each beside its baseline; also used by
    ``python -m bench``. The scratch databases are dropped before this returns."""
    parts = [args.only] if args.only else ["append", "verify", "proofs"]
    scratch = ScratchDatabases(args.database_url)
    results = LedgerResults()
    try:
        if "append" in parts:
            results.append = await run_append(
                scratch,
                progress,
                args.runs,
                args.events,
                args.writers,
                args.batch,
                args.lots,
                args.seed,
                args.events if args.warmup is None else args.warmup,
            )
        if "verify" in parts:
            task = progress.add_task(f"build and sign a {args.chain:,}-event chain", total=1)
            fixture = results.fixture = build_chain(args.chain, args.stride, args.seed)
            progress.update(task, completed=1, visible=False)
            task = progress.add_task("verification runs", total=args.runs)
            verify = results.verify = []
            for run in range(args.runs):
                verify.append(measure_verification(fixture, audit_first=run % 2 == 0))
                progress.advance(task)
            progress.update(task, visible=False)
            results.breakdown = verification_breakdown(fixture)
            if args.profile or median([r.ratio for r in verify]) < GOAL_VERIFY_RATIO:
                results.profile = profile_audit(fixture)
        if "proofs" in parts:
            results.proofs = await run_proofs(
                scratch, progress, args.runs, args.leaves, args.proof_calls, args.seed
            )
    finally:
        await scratch.drop_all()
    return results


def progress_bar() -> Progress:
    """Progress on stderr, so stdout keeps only the results."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


async def amain(args: argparse.Namespace) -> int:
    console = Console(width=None if sys.stdout.isatty() else 160)
    progress = progress_bar()
    started = time.perf_counter()
    with progress:
        results = await collect(args, progress)
    fixture, breakdown = results.fixture, results.breakdown
    if breakdown is not None and fixture is not None:
        evidence = fixture.entries[0].log
        console.print(
            f"verification: chain of {args.chain:,} events, mean event body "
            f"{fixture.mean_event_bytes:,.0f} bytes canonical, log of {fixture.root.size:,} "
            f"leaves (proofs of {len(evidence.proof) if evidence else 0} hashes); "
            "per-event cost of each step, timed alone:"
        )
        for name, micros in breakdown.items():
            console.print(f"  {name:<40} {micros:8.1f} us")
    if results.profile is not None:
        console.print("cProfile of one audit_chain call (top functions by own time):")
        console.print(results.profile, markup=False, highlight=False)
    summary = report(console, args, results.append, results.verify, results.proofs)
    print(f"bench.ledger: {summary} [{time.perf_counter() - started:.0f} s]")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
