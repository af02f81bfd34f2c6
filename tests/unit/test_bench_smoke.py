"""The ledger benchmark's pure parts at toy size, so the script cannot rot (no timing asserts)."""

from __future__ import annotations

import argparse
import io
import random

from rich.console import Console

from bench.ledger import (
    AppendRun,
    LogFill,
    MemoryProver,
    build_chain,
    measure_proofs,
    measure_verification,
    memory_store,
    parse_args,
    report,
    synthetic_leaf,
    verification_breakdown,
)
from traceability.log.memory_tree import MemoryTree


def test_verification_part_on_a_50_event_chain() -> None:
    fixture = build_chain(50, stride=4, seed=7)
    assert fixture.root.size == 200
    # Raises if the chain does not audit clean or a signature does not verify.
    first = measure_verification(fixture, audit_first=True)
    second = measure_verification(fixture, audit_first=False)
    assert min(first.audit_per_s, first.raw_per_s, second.ratio) > 0
    steps = verification_breakdown(fixture)
    assert "audit_chain, all of it" in steps
    assert all(v > 0 for v in steps.values())


async def test_proof_part_on_a_1000_leaf_memory_store() -> None:
    size = 1_000
    rng = random.Random(3)
    firsts = sorted(rng.randint(1, size) for _ in range(25))
    fill = LogFill()
    store = memory_store(fill, size, {*firsts, size}, chunk=300)
    oracle = MemoryTree(synthetic_leaf(i) for i in range(size))
    assert fill.roots[size] == oracle.root() == store.root()
    assert all(fill.roots[f] == oracle.root(f) for f in firsts)

    # Checks every proof it timed against the root; raises on the first that fails.
    run = await measure_proofs(MemoryProver(store), size, fill.roots, firsts, calls=50, rng=rng)
    assert run.verified == 100


def test_cli_defaults_and_report() -> None:
    args = parse_args([])
    assert (args.runs, args.events, args.leaves, args.writers, args.batch) == (
        3,
        20_000,
        1_000_000,
        8,
        100,
    )
    fixture = build_chain(5, stride=2, seed=1)
    out = io.StringIO()
    summary = report(
        Console(file=out, width=200),
        argparse.Namespace(**{**vars(args), "runs": 1}),
        [AppendRun(2_500.0, 25_000.0, 400.0, 40.0)],
        [measure_verification(fixture)],
        None,
    )
    assert "append 2,500 ev/s" in summary
    assert "audit_chain" in out.getvalue()


def test_xml_capture_benchmark_front_part_at_toy_size() -> None:
    import orjson

    from bench.epcis_xml import documents, front
    from traceability.epcis.xml import jsonld_to_xml, xml_to_jsonld

    source = documents("8930001", 2, 5)
    xml_bodies = [jsonld_to_xml(d) for d in source]
    # The XML side reads the very events the JSON side does.
    assert [xml_to_jsonld(b, 1 << 20)["epcisBody"] for b in xml_bodies] == [
        d["epcisBody"] for d in source
    ]
    json_rate, xml_rate = front([orjson.dumps(d) for d in source], xml_bodies, 10)
    assert json_rate > 0 and xml_rate > 0
