"""The query benchmark's report at toy size, so the script cannot rot (no timing asserts)."""

from __future__ import annotations

from bench.epcis_queries import SHAPES, Timings, named_definition, parse_args, table


def test_the_report_puts_each_query_beside_its_key_read_and_judges_the_p99() -> None:
    timings = Timings()
    for shape in SHAPES:
        for n in range(1, 101):
            timings.add(shape, n / 4000 if shape != "epc" else n / 1000)
            timings.add(f"{shape} key", n / 2000)
    report = table("HTTP", timings).splitlines()
    combined, epc = report[2], report[3]
    assert combined.startswith("| combined | 12.6 ms | 24.8 ms | 25.2 ms | 49.5 ms | 0.5x | 0.5x")
    assert combined.endswith("meets |")
    assert epc.endswith("misses |")


def test_a_named_query_asks_for_a_lots_history_at_one_step() -> None:
    definition = named_definition("q1", "/01/08938100040034/10/L1", "shipping")
    assert definition == {
        "name": "q1",
        "query": {
            "MATCH_anyEPCClass": ["https://id.gs1.org/01/08938100040034/10/L1"],
            "EQ_bizStep": ["shipping"],
        },
    }
    args = parse_args(["--database-url", "postgresql://x/db", "--data-dir", "keys"])
    assert (args.samples, args.explain) == (200, False)
