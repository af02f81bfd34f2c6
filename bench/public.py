"""Public-page benchmark: a cached lot page against a bare FastAPI route and against PostgreSQL.

Everything is measured with wrk over 127.0.0.1, one server at a time, every server with
the same worker count and started the same way (uvicorn with uvloop and httptools,
access log off). Four targets:

1. ``baseline``: ``bench/baseline_app.py``, one FastAPI route returning a small dict
   through orjson. The yardstick: a cached page should be served at least as fast.
2. ``cached``: the product (``traceability serve``), ``GET /01/{gtin14}/10/{lot}`` with
   ``Accept: text/html``, public cache on (Redis), 10,000 lots in the database.
3. ``uncached``: the same page with ``TRACE_PUBLIC_CACHE=false``, i.e. built per request
   from PostgreSQL, same database. The cached page should be >= 10x its rate.
4. ``cached-large``: the cached page with 1,000,000 lots in the database. Its p99 should
   be within 1.2x of the cached page's p99 at 10,000 lots.

Each run starts every target's server in turn (forward order on even runs, reversed on
odd runs, so slow drift of the machine does not favour one side), waits until it
answers, checks the page answers 200, warms up with an unmeasured wrk run (which also
fills the cache), runs ``wrk --latency`` and stops the server. Reported: the median
over ``--runs`` runs of requests/s, p50 and p99 of each target, and the medians of the
per-run ratios cached/baseline, cached/uncached and p99(large)/p99(small).

The public rate limit counts every request but never refuses one
(``TRACE_PUBLIC_RATE_LIMIT`` of a billion: wrk is one client). The Redis database named
by ``--redis-url`` belongs to the benchmark: it is flushed before each product server
starts, so no page is served from a previous server's cache before its warm-up.

Data: one database per size (``bench_public_10k``, ``bench_public_1m`` on the server of
``--database-url``), migrated and seeded with the demo supply chains by ``traceability
demo``, then topped up with filler lots of one filler product (synthetic codes, bulk
``INSERT ... SELECT generate_series``, see ``traceability/repositories/bulk.py``) until
the lots table holds exactly the wanted count, then ``ANALYZE``. The databases are
dropped at the end unless ``--keep``; a kept database with the right count is reused.

    python -m bench.public [--runs 3] [--duration 10] [--workers 1] [--path /01/.../10/...]
                           [--targets baseline,cached,uncached,cached-large] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.ledger import asyncpg_dsn, sqlalchemy_url
from traceability.identifiers.digital_link import DigitalLink, digital_link_path
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.seeding.demo_data import load_demo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
# The packed ST25 rice lot of the demo (5 kg bags): the lot page a consumer's scan opens.
RICE_BAG_LOT = load_demo().lots["rice_bag_lot"]
DEFAULT_PATH = digital_link_path(DigitalLink(gtin=RICE_BAG_LOT.gtin, lot=RICE_BAG_LOT.lot_code))
HOST = "127.0.0.1"

GOAL_VS_BASELINE = 1.0
GOAL_VS_UNCACHED = 10.0
GOAL_P99_GROWTH = 1.2

TARGETS = (
    "baseline",
    "cached",
    "uncached",
    "cached-large",
    "cached-redirect",
    "cached-linkset",
    "cached-business-link",
)
LABELS = {
    "baseline": "baseline: FastAPI route, small orjson dict",
    "cached": "lot page, cached",
    "uncached": "lot page, built per request from PostgreSQL",
    "cached-large": "lot page, cached",
    "cached-redirect": "lot's ?linkType=gs1:traceability redirect (307), cached",
    "cached-linkset": "lot's linkset (?linkType=linkset), cached",
    "cached-business-link": "lot's ?linkType=gs1:faqs redirect to the business's link, cached",
}
# The resolver's other cached answers, asked of the same lot: (query, status expected).
RESOLUTIONS = {
    "cached-redirect": ("?linkType=gs1:traceability", 307),
    "cached-linkset": ("?linkType=linkset", 200),
    "cached-business-link": ("?linkType=gs1:faqs", 307),
}
# The business's own link the cached-business-link target follows (added to every dataset).
BUSINESS_FAQ = "https://gao-st25.example.vn/hoi-dap"

# Throwaway keys for the bench databases, the same on every run so a kept database
# (whose portal-held keys are sealed under the master key) stays usable.
BENCH_MASTER_KEY = base64.b64encode(hashlib.sha256(b"bench.public master key").digest()).decode()
BENCH_LOG_KEY = base64.b64encode(hashlib.sha256(b"bench.public log key").digest()).decode()
BENCH_BASE_URL = "https://truyxuat.example.vn"
FILLER_PREFIX = "893999999"
FILLER_GTIN_ITEM = "001"


# --------------------------------------------------------------------------- wrk output


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_DURATION = re.compile(r"^([0-9]*\.?[0-9]+)(us|ms|s|m|h)$")
_PERCENTILE = re.compile(r"^\s*([0-9.]+)%\s+([0-9.]+(?:us|ms|s|m|h))\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([0-9.]+)\s*$", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([0-9.]+(?:us|ms|s|m|h)),", re.MULTILINE)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)\s*$", re.MULTILINE)
_SOCKET = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$", re.MULTILINE
)


def duration_ms(value: str) -> float:
    """A wrk time (``812.00us``, ``9.12ms``, ``1.02s``, ``1.50m``) in milliseconds."""
    match = _DURATION.match(value.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    percentiles_ms: dict[float, float] = field(default_factory=dict)


def parse_wrk(output: str) -> WrkResult:
    """Requests/s and the latency distribution of ``wrk --latency`` output."""
    rps = _RPS.search(output)
    if rps is None:
        raise ValueError("no 'Requests/sec:' line in wrk output")
    percentiles = {float(p): duration_ms(v) for p, v in _PERCENTILE.findall(output)}
    if 50.0 not in percentiles or 99.0 not in percentiles:
        raise ValueError("no latency distribution in wrk output (run wrk with --latency)")
    total = _TOTAL.search(output)
    non_2xx = _NON_2XX.search(output)
    socket_errors = _SOCKET.search(output)
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=percentiles[50.0],
        p99_ms=percentiles[99.0],
        requests=int(total.group(1)) if total else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        percentiles_ms=percentiles,
    )


def wrk_command(
    url: str,
    threads: int,
    connections: int,
    seconds: float,
    html: bool,
    latency: bool = True,
    timeout: int = 10,
) -> list[str]:
    """wrk's command line. A request slower than ``timeout`` seconds counts as a socket
    error and drops out of the latency figures, so it is set well above wrk's 2 s default."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s"]
    command += ["--timeout", f"{timeout}s"]
    if latency:
        command.append("--latency")
    if html:
        command += ["-H", "Accept: text/html"]
    return [*command, url]


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


Run = dict[str, WrkResult]  # one run: target -> its wrk result


@dataclass(frozen=True)
class Figure:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int = 0  # non-2xx/3xx responses and socket errors (timeouts), summed over runs


@dataclass(frozen=True)
class Summary:
    """Medians over the runs of each target's figures and of the per-run ratios."""

    figures: dict[str, Figure]
    vs_baseline: float | None  # cached req/s / baseline req/s
    vs_uncached: float | None  # cached req/s / uncached req/s
    p99_growth: float | None  # p99 cached-large / p99 cached
    runs: int
    redirect_vs_baseline: float | None = None  # cached-redirect req/s / baseline req/s
    linkset_vs_baseline: float | None = None  # cached-linkset req/s / baseline req/s
    business_vs_baseline: float | None = None  # cached-business-link req/s / baseline req/s


def _ratios(runs: Sequence[Run], top: str, bottom: str, attr: str) -> float | None:
    pairs = [
        getattr(r[top], attr) / getattr(r[bottom], attr)
        for r in runs
        if top in r and bottom in r and getattr(r[bottom], attr) > 0
    ]
    return median(pairs) if pairs else None


def summarize(runs: Sequence[Run]) -> Summary:
    figures = {}
    for target in TARGETS:
        results = [r[target] for r in runs if target in r]
        if results:
            figures[target] = Figure(
                median([w.requests_per_s for w in results]),
                median([w.p50_ms for w in results]),
                median([w.p99_ms for w in results]),
                sum(w.non_2xx + w.socket_errors for w in results),
            )
    return Summary(
        figures=figures,
        vs_baseline=_ratios(runs, "cached", "baseline", "requests_per_s"),
        vs_uncached=_ratios(runs, "cached", "uncached", "requests_per_s"),
        p99_growth=_ratios(runs, "cached-large", "cached", "p99_ms"),
        runs=len(runs),
        redirect_vs_baseline=_ratios(runs, "cached-redirect", "baseline", "requests_per_s"),
        linkset_vs_baseline=_ratios(runs, "cached-linkset", "baseline", "requests_per_s"),
        business_vs_baseline=_ratios(runs, "cached-business-link", "baseline", "requests_per_s"),
    )


def verdict_at_least(value: float | None, goal: float) -> str:
    if value is None:
        return ""
    if value >= goal:
        return f"met ({value:.2f}x)"
    return f"**NOT met** ({value:.2f}x, goal {goal:g}x)"


def verdict_at_most(value: float | None, goal: float) -> str:
    if value is None:
        return ""
    if value <= goal:
        return f"met ({value:.2f}x)"
    return f"**NOT met** ({value:.2f}x, limit {goal:g}x)"


def _ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def markdown_table(
    summary: Summary, lots: dict[str, int | None], bodies: dict[str, int] | None = None
) -> str:
    """The results as a markdown table, one row per target, ratios beside their target."""
    bodies = bodies or {}
    header = (
        f"| target | lots in DB | req/s | p50 | p99 | errors | body | ratio "
        f"(median of {summary.runs} runs) | goal | verdict |"
    )
    lines = [header, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    ratio_cells = {
        "baseline": ("", "", ""),
        "cached": (
            f"{summary.vs_baseline:.2f}x baseline req/s" if summary.vs_baseline else "",
            f">= {GOAL_VS_BASELINE:g}x baseline",
            verdict_at_least(summary.vs_baseline, GOAL_VS_BASELINE),
        ),
        "uncached": (
            f"cached is {summary.vs_uncached:.1f}x this" if summary.vs_uncached else "",
            f"cached >= {GOAL_VS_UNCACHED:g}x",
            verdict_at_least(summary.vs_uncached, GOAL_VS_UNCACHED),
        ),
        "cached-large": (
            f"p99 {summary.p99_growth:.2f}x that at the small size" if summary.p99_growth else "",
            f"p99 <= {GOAL_P99_GROWTH:g}x",
            verdict_at_most(summary.p99_growth, GOAL_P99_GROWTH),
        ),
        **{
            target: (
                f"{ratio:.2f}x baseline req/s" if ratio else "",
                f">= {GOAL_VS_BASELINE:g}x baseline",
                verdict_at_least(ratio, GOAL_VS_BASELINE),
            )
            for target, ratio in (
                ("cached-redirect", summary.redirect_vs_baseline),
                ("cached-linkset", summary.linkset_vs_baseline),
                ("cached-business-link", summary.business_vs_baseline),
            )
        },
    }
    for target, fig in summary.figures.items():
        count = lots.get(target)
        body = bodies.get(target)
        ratio, goal, verdict = ratio_cells[target]
        lines.append(
            f"| {LABELS[target]} | {f'{count:,}' if count else '-'} | "
            f"{fig.requests_per_s:,.0f} | {_ms(fig.p50_ms)} | {_ms(fig.p99_ms)} | {fig.errors:,} | "
            f"{f'{body:,} B' if body is not None else '-'} | {ratio} | {goal} | {verdict} |"
        )
    return "\n".join(lines)


def per_run_table(runs: Sequence[Run]) -> str:
    targets = [t for t in TARGETS if any(t in r for r in runs)]
    lines = [
        "| run | " + " | ".join(f"{t} req/s (p99)" for t in targets) + " |",
        "| --- |" + " ---: |" * len(targets),
    ]
    for n, run in enumerate(runs, 1):
        cells = [
            f"{run[t].requests_per_s:,.0f} ({_ms(run[t].p99_ms)})" if t in run else "-"
            for t in targets
        ]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- servers


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def redirect_target(port: int, path: str, timeout: float = 5.0) -> str | None:
    """Where a GET of ``path`` is sent (its Location header)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.getheader("location")
    finally:
        connection.close()


def http_get(port: int, path: str, html: bool, timeout: float = 5.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Accept": "text/html"} if html else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server and its workers: it leads its own process group, made for it."""
        if self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the server's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout)
        except ProcessLookupError:
            pass


@contextmanager
def running_server(
    command: Sequence[str],
    env: dict[str, str],
    port: int,
    ready_path: str,
    log_path: Path,
    timeout: float,
    cwd: Path = ROOT,
) -> Iterator[Server]:
    """Start a server (in the folder ``cwd``, whose code Python's ``-m`` runs), wait until
    ``ready_path`` answers 200, and always stop it at the end."""
    with log_path.open("ab") as output:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {process.returncode}: {' '.join(command)}\n"
                    + server.tail()
                )
            try:
                status, _ = http_get(port, ready_path, html=False, timeout=2.0)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"server not ready after {timeout:g} s: {' '.join(command)}\n" + server.tail()
                )
            time.sleep(0.2)
        yield server
    finally:
        server.stop()


def run_wrk(command: Sequence[str], seconds: float) -> str:
    done = subprocess.run(
        list(command), capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


# --------------------------------------------------------------------------- data


def size_label(count: int) -> str:
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}m"
    if count % 1_000 == 0:
        return f"{count // 1_000}k"
    return str(count)


def traceability_script() -> str:
    beside = Path(sys.executable).parent / "traceability"
    found = str(beside) if beside.exists() else shutil.which("traceability")
    if found is None:
        raise RuntimeError("the `traceability` console script is not installed")
    return found


@dataclass
class Dataset:
    lots: int
    database: str
    url: str
    data_dir: Path
    reused: bool = False
    demo_seconds: float = 0.0
    filler_lots: int = 0
    filler_seconds: float = 0.0

    @property
    def seeding(self) -> str:
        if self.reused:
            return f"{self.lots:,} lots: database {self.database} reused"
        rate = self.filler_lots / self.filler_seconds if self.filler_seconds else 0.0
        return (
            f"{self.lots:,} lots: demo seeded in {self.demo_seconds:.1f} s, "
            f"{self.filler_lots:,} filler lots in {self.filler_seconds:.1f} s "
            f"({rate:,.0f} lots/s, then ANALYZE)"
        )


def product_env(dataset: Dataset, redis_url: str, cache: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(
        TRACE_DATABASE_URL=dataset.url,
        TRACE_DATA_DIR=str(dataset.data_dir),
        TRACE_REDIS_URL=redis_url,
        TRACE_PUBLIC_RATE_LIMIT="1000000000",
        TRACE_PUBLIC_CACHE="true" if cache else "false",
        TRACE_MASTER_KEY=BENCH_MASTER_KEY,
        TRACE_LOG_SIGNING_KEY=BENCH_LOG_KEY,
        # The demo's checkpoint is signed under the log origin, which defaults to the base
        # URL's host: the seeding command and every server must name the same one.
        TRACE_BASE_URL=BENCH_BASE_URL,
    )
    return env


async def _database_exists(server_url: str, name: str) -> bool:
    import asyncpg

    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await admin.close()


async def _admin(server_url: str, statement: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


async def _count_lots(url: str) -> tuple[int, bool]:
    """Rows in lots, and whether the demo's packed rice lot is among them."""
    from traceability.db.session import Database
    from traceability.repositories.bulk import BulkRegistryRepository
    from traceability.repositories.registry import LotRepository

    database = Database.connect(url)
    try:
        async with database.read() as session:
            count = await BulkRegistryRepository(session).count_lots()
            demo = await LotRepository(session).get(RICE_BAG_LOT.gtin, RICE_BAG_LOT.lot_code)
        return count, demo is not None
    finally:
        await database.dispose()


async def _ensure_business_link(url: str) -> None:
    """The rice's FAQ page of the business's own, a link the portal does not serve itself."""
    from traceability.db.session import Database
    from traceability.errors import Conflict
    from traceability.repositories.registry import ProductRepository
    from traceability.resolver.anchors import parse_anchor
    from traceability.resolver.links import LinkSpec
    from traceability.services.registry import Principal
    from traceability.services.resolver_links import ResolverLinkService

    database = Database.connect(url)
    try:
        async with database.write() as session:
            product = await ProductRepository(session).by_gtin(RICE_BAG_LOT.gtin)
            assert product is not None, "the demo's rice is not in the dataset"
            acting = Principal(product.organization_id, "producer", "bench")
            link = LinkSpec(
                anchor=parse_anchor(f"/01/{RICE_BAG_LOT.gtin}"),
                link_type="faqs",
                href=BUSINESS_FAQ,
                title="Hỏi đáp",
                hreflang=("vi",),
            )
            with contextlib.suppress(Conflict):  # a kept dataset has it already
                await ResolverLinkService().add(session, acting, link)
    finally:
        await database.dispose()


async def _add_fillers(url: str, wanted: int, batch: int) -> tuple[int, float]:
    """Top the lots table up to ``wanted`` rows with lots of one filler product."""
    from traceability.db.session import Database
    from traceability.repositories.bulk import BulkRegistryRepository
    from traceability.repositories.registry import ProductRepository
    from traceability.services.registry import NewOrganization, NewProduct, RegistryService

    master = base64.b64decode(BENCH_MASTER_KEY)
    registry = RegistryService(master)
    gtin_body = FILLER_PREFIX + FILLER_GTIN_ITEM
    gtin = "0" + gtin_body + gs1_check_digit(gtin_body)
    database = Database.connect(url)
    try:
        async with database.write() as session:
            product = await ProductRepository(session).by_gtin(gtin)
            if product is None:
                created = await registry.create_organization(
                    session,
                    NewOrganization(
                        name="Bench filler organisation",
                        role="producer",
                        gs1_prefixes=[FILLER_PREFIX],
                        province="Cần Thơ",
                    ),
                )
                await registry.create_product(
                    session,
                    created.organization.id,
                    NewProduct(gtin=gtin, name="Bench filler product", brand="bench"),
                )
                product = await ProductRepository(session).by_gtin(gtin)
                assert product is not None
            product_id, organization_id = product.id, product.organization_id
            bulk = BulkRegistryRepository(session)
            missing = wanted - await bulk.count_lots()
            start = await bulk.count_filler_lots(product_id)
        if missing < 0:
            raise RuntimeError(f"the database already holds more than {wanted:,} lots")
        added = 0
        began = time.perf_counter()
        while added < missing:
            count = min(batch, missing - added)
            async with database.write() as session:
                await BulkRegistryRepository(session).add_filler_lots(
                    product_id, organization_id, count, start + added
                )
            added += count
            if missing > batch:
                log(f"  filler lots: {added:,}/{missing:,}")
        async with database.write() as session:
            await BulkRegistryRepository(session).analyze_lots()
        seconds = time.perf_counter() - began
        async with database.read() as session:
            total = await BulkRegistryRepository(session).count_lots()
        if total != wanted:
            raise RuntimeError(f"lots table holds {total:,} rows, not {wanted:,}")
        return added, seconds
    finally:
        await database.dispose()


def _seed(dataset: Dataset, redis_url: str, batch: int) -> None:
    """Migrate and seed the demo (``traceability demo``), then top up with filler lots."""
    name, lots = dataset.database, dataset.lots
    log(f"{name}: created; seeding the demo (traceability demo)")
    began = time.perf_counter()
    done = subprocess.run(
        [traceability_script(), "demo"],
        cwd=ROOT,
        env=product_env(dataset, redis_url),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"traceability demo failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    dataset.demo_seconds = time.perf_counter() - began
    log(f"{name}: demo seeded in {dataset.demo_seconds:.1f} s; adding filler lots")
    dataset.filler_lots, dataset.filler_seconds = asyncio.run(
        _add_fillers(dataset.url, lots, batch)
    )
    count, has_demo = asyncio.run(_count_lots(dataset.url))
    if count != lots or not has_demo:
        raise RuntimeError(f"{name}: {count:,} lots, demo lot present: {has_demo}")


def prepare_dataset(
    server_url: str, lots: int, work_dir: Path, redis_url: str, batch: int
) -> Dataset:
    """The database of one size: reused when kept with the right count, else built afresh."""
    name = f"bench_public_{size_label(lots)}"
    data_dir = work_dir / name
    data_dir.mkdir(parents=True, exist_ok=True)
    dataset = Dataset(lots, name, sqlalchemy_url(server_url, name), data_dir)
    if asyncio.run(_database_exists(server_url, name)):
        count, has_demo = asyncio.run(_count_lots(dataset.url))
        if count == lots and has_demo:
            dataset.reused = True
            log(f"{name}: reusing ({count:,} lots)")
            asyncio.run(_ensure_business_link(dataset.url))
            return dataset
        log(f"{name}: holds {count:,} lots (demo lot: {has_demo}); rebuilding")
        asyncio.run(_admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        _seed(dataset, redis_url, batch)
    except BaseException:
        # Half seeded is of no use to a later run: drop it, --keep or not.
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        raise
    asyncio.run(_ensure_business_link(dataset.url))
    log(dataset.seeding)
    return dataset


def drop_datasets(server_url: str, datasets: Sequence[Dataset]) -> None:
    for dataset in datasets:
        asyncio.run(
            _admin(server_url, f'DROP DATABASE IF EXISTS "{dataset.database}" WITH (FORCE)')
        )
        log(f"dropped {dataset.database}")


def flush_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


# --------------------------------------------------------------------------- one measurement


@dataclass(frozen=True)
class Measurement:
    result: WrkResult
    body_bytes: int


def measure(
    target: str,
    args: argparse.Namespace,
    datasets: dict[str, Dataset],
    work_dir: Path,
) -> Measurement:
    """Start the target's server, check the page, warm up, run wrk, stop the server."""
    port = free_port()
    if target == "baseline":
        from bench.baseline_app import PATH

        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline_app:app",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "info",
        ]
        env = dict(os.environ)
        ready, path, html = PATH, PATH, False
    else:
        dataset = datasets["large" if target == "cached-large" else "small"]
        command = [
            traceability_script(),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ]
        env = product_env(dataset, args.redis_url, cache=target != "uncached")
        ready, path, html = "/healthz", args.path, True
        if target in RESOLUTIONS:
            path, html = args.path + RESOLUTIONS[target][0], False
        flush_redis(args.redis_url)
    url = f"http://{HOST}:{port}{path}"
    with running_server(
        command, env, port, ready, work_dir / f"server-{target}.log", args.start_timeout
    ):
        status, body = http_get(port, path, html=html)
        expected = RESOLUTIONS[target][1] if target in RESOLUTIONS else 200
        if status != expected:
            raise RuntimeError(
                f"{target}: GET {path} answered {status}, not {expected} "
                "(is the route there? --path measures another one): "
                + body[:300].decode(errors="replace")
            )
        if target == "cached-business-link" and redirect_target(port, path) != BUSINESS_FAQ:
            raise RuntimeError(f"{target}: GET {path} is not sent to the business's link")
        if args.warmup > 0:
            run_wrk(
                wrk_command(
                    url,
                    args.threads,
                    args.connections,
                    args.warmup,
                    html,
                    latency=False,
                    timeout=args.timeout,
                ),
                args.warmup,
            )
        output = run_wrk(
            wrk_command(
                url, args.threads, args.connections, args.duration, html, timeout=args.timeout
            ),
            args.duration + args.timeout,
        )
    result = parse_wrk(output)
    if result.non_2xx or result.socket_errors:
        log(
            f"  warning: {target}: {result.non_2xx} non-2xx responses, "
            f"{result.socket_errors} socket errors"
        )
    return Measurement(result, len(body))


# --------------------------------------------------------------------------- main


def parse_targets(value: str) -> list[str]:
    chosen = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in TARGETS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"targets are a comma list of {', '.join(TARGETS)}")
    return [t for t in TARGETS if t in chosen]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.public",
        description=(
            "Benchmark the public lot page with wrk: cached against a minimal FastAPI orjson "
            "route, against the page built per request from PostgreSQL, and cached with "
            "10,000 against 1,000,000 lots in the database. Prints a markdown table."
        ),
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_SERVER,
        help="PostgreSQL server; bench_public_* databases are made on it "
        f"(default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS,
        help=f"Redis database for the product's cache, flushed before each server starts "
        f"(default {DEFAULT_REDIS})",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs; medians reported")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured warm-up")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (-t)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (-c)")
    parser.add_argument(
        "--timeout", type=int, default=10, help="wrk --timeout, seconds (default 10; wrk's is 2)"
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes of every server")
    parser.add_argument(
        "--path",
        default=DEFAULT_PATH,
        help=f"page measured on the product (default {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--targets",
        type=parse_targets,
        default=list(TARGETS),
        help=f"comma list of targets to measure (default {','.join(TARGETS)})",
    )
    parser.add_argument("--small-lots", type=int, default=10_000, help="lots in the small database")
    parser.add_argument(
        "--large-lots", type=int, default=1_000_000, help="lots in the large database"
    )
    parser.add_argument("--batch", type=int, default=100_000, help="filler lots per transaction")
    parser.add_argument(
        "--keep", action="store_true", help="keep the bench databases (reused by the next run)"
    )
    parser.add_argument(
        "--start-timeout", type=float, default=60.0, help="seconds a server may take to answer"
    )
    args = parser.parse_args(argv)
    if args.small_lots >= args.large_lots:
        parser.error("--small-lots must be below --large-lots")
    return args


def environment_line(args: argparse.Namespace) -> str:
    return (
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s "
        f"--timeout {args.timeout}s --latency "
        f"(warm-up {args.warmup:g} s), {args.workers} worker(s) per server, "
        f"{args.runs} run(s), page {args.path}, nproc {os.cpu_count()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench.public: wrk is not installed", file=sys.stderr)
        return 2
    started = time.perf_counter()
    datasets: dict[str, Dataset] = {}
    runs: list[Run] = []
    bodies: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-public-") as tmp:
        work_dir = Path(tmp)
        try:
            if {"cached", "uncached", *RESOLUTIONS} & set(args.targets):
                datasets["small"] = prepare_dataset(
                    args.database_url, args.small_lots, work_dir, args.redis_url, args.batch
                )
            if "cached-large" in args.targets:
                datasets["large"] = prepare_dataset(
                    args.database_url, args.large_lots, work_dir, args.redis_url, args.batch
                )
            for n in range(args.runs):
                order = args.targets if n % 2 == 0 else list(reversed(args.targets))
                run: Run = {}
                for target in order:
                    log(f"run {n + 1}/{args.runs}: {target}")
                    measured = measure(target, args, datasets, work_dir)
                    run[target] = measured.result
                    bodies[target] = measured.body_bytes
                    log(
                        f"  {measured.result.requests_per_s:,.0f} req/s, "
                        f"p50 {_ms(measured.result.p50_ms)}, p99 {_ms(measured.result.p99_ms)}"
                    )
                runs.append(run)
        finally:
            if not args.keep:
                drop_datasets(args.database_url, list(datasets.values()))
    lots: dict[str, int | None] = {
        "baseline": None,
        "cached": args.small_lots,
        "uncached": args.small_lots,
        "cached-large": args.large_lots,
        "cached-redirect": args.small_lots,
        "cached-linkset": args.small_lots,
        "cached-business-link": args.small_lots,
    }
    summary = summarize(runs)
    print(f"Public pages: {environment_line(args)}\n")
    print(markdown_table(summary, lots, bodies))
    print()
    print(per_run_table(runs))
    print()
    for dataset in datasets.values():
        print(f"- seeding: {dataset.seeding}")
    print(f"\nbench.public: done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
