"""The load test's moving parts without a server: popularity, the storm, weights, thresholds.

Nothing here imports Locust into the test process (it monkey-patches the standard library
with gevent on import); the one check that needs it runs in a subprocess.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from loadtests.run import (
    AGGREGATED,
    Limits,
    Thresholds,
    evaluate,
    parse_threshold,
    read_stats,
    summary_line,
    user_split,
)
from loadtests.scenarios.common import (
    DEFAULT_WEIGHTS,
    ConfigurationError,
    Inspector,
    Lot,
    Popularity,
    Producer,
    ScanChooser,
    Seed,
    load_seed,
    parse_profile,
    parse_weights,
    read_configuration,
)
from loadtests.seed import Plan, demo_lots, round_robin

ROOT = Path(__file__).resolve().parents[2]


def lots(count: int) -> list[Lot]:
    return [Lot("08936901020057", f"L{i:04d}") for i in range(count)]


def a_seed(count: int = 300) -> Seed:
    everything = lots(count)
    return Seed(
        lots=tuple(everything),
        hot=4,
        storm_lot=everything[0],
        producers=(Producer("org-1", "trc_p", ("08936901020057",), tuple(everything[4:10]), None),),
        inspectors=(Inspector("org-2", "trc_i"),),
    )


# --- popularity and the storm -------------------------------------------------------------------


def test_popularity_is_really_skewed_a_few_hot_lots_and_a_long_tail() -> None:
    popularity = Popularity(300)
    rng = random.Random(7)
    picks = Counter(popularity.pick(rng) for _ in range(30_000))

    def share(ranks: range) -> float:
        return sum(picks[r] for r in ranks) / 30_000

    top_1_percent = share(range(3))
    assert top_1_percent > 0.25, "the 3 hottest of 300 lots take over a quarter of the scans"
    assert abs(top_1_percent - popularity.share_of_top(0.01)) < 0.02
    assert share(range(30)) > 0.55  # the top 10% take most of the traffic
    assert share(range(150, 300)) > 0.05, "the long tail is still scanned"
    assert len(picks) > 250, "almost every lot is scanned at least once"
    assert picks[0] > picks[9] > picks[99]


def test_a_flat_exponent_spreads_scans_evenly() -> None:
    assert Popularity(100, exponent=0).share_of_top(0.01) == pytest.approx(0.01)


def test_the_storm_sends_most_scans_to_one_lot_once_it_has_started() -> None:
    seed = a_seed()
    chooser = ScanChooser(
        seed.lots, Popularity(len(seed.lots)), storm_lot=seed.lots[5], storm_after=10
    )
    rng = random.Random(3)
    before = Counter(chooser.choose(rng, elapsed=2) for _ in range(10_000))
    during = Counter(chooser.choose(rng, elapsed=12) for _ in range(10_000))
    assert before[seed.lots[5]] / 10_000 < 0.1
    assert during[seed.lots[5]] / 10_000 > 0.78
    assert during.most_common(1)[0][0] == seed.lots[5]
    assert len(during) > 50, "other lots are still scanned during the storm"


def test_the_storm_profile_is_off_in_the_normal_profile(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    a_seed().save(path)
    normal = read_configuration({"TRACE_LOADTEST_SEED": str(path)})
    storm = read_configuration(
        {"TRACE_LOADTEST_SEED": str(path), "TRACE_LOADTEST_PROFILE": "storm"}
    )
    assert normal.chooser().storm_lot is None
    assert storm.chooser().storm_lot == a_seed().storm_lot
    assert storm.chooser().storm_share == 0.8


# --- configuration ------------------------------------------------------------------------------


def test_weights_parse_and_a_kind_left_out_gets_no_users() -> None:
    assert parse_weights(DEFAULT_WEIGHTS) == {"consumer": 90, "producer": 8, "inspector": 2}
    assert parse_weights(" Consumer = 1 ") == {"consumer": 1, "producer": 0, "inspector": 0}
    assert parse_weights("inspector=0.5,producer=2,") == {
        "consumer": 0,
        "producer": 2,
        "inspector": 0.5,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shopper=3", "unknown user kind 'shopper'"),
        ("consumer", "not NAME=NUMBER"),
        ("consumer=many", "not a number"),
        ("consumer=-1", "0 or more"),
        ("consumer=0,producer=0", "no user kind has a weight above 0"),
        ("consumer=1,consumer=2", "weighted twice"),
        ("", "no user kind"),
    ],
)
def test_bad_weights_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_weights(text)


def test_profiles() -> None:
    assert parse_profile("STORM") == "storm"
    with pytest.raises(ConfigurationError, match="normal, storm"):
        parse_profile("tornado")


def test_the_seed_file_round_trips_and_its_absence_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    a_seed().save(path)
    assert load_seed(path) == a_seed()
    with pytest.raises(ConfigurationError, match="TRACE_LOADTEST_SEED is not set"):
        read_configuration({})
    with pytest.raises(ConfigurationError, match="cannot read the seed file"):
        load_seed(tmp_path / "missing.json")
    path.write_text(json.dumps({"version": 1, "lots": []}))
    with pytest.raises(ConfigurationError, match="malformed"):
        load_seed(path)


@pytest.mark.parametrize(
    ("name", "value"),
    [("TRACE_LOADTEST_STORM_SHARE", "1.5"), ("TRACE_LOADTEST_THINK", "slow")],
)
def test_bad_numbers_in_the_environment_are_refused(tmp_path: Path, name: str, value: str) -> None:
    path = tmp_path / "seed.json"
    a_seed().save(path)
    with pytest.raises(ConfigurationError, match=name):
        read_configuration({"TRACE_LOADTEST_SEED": str(path), name: value})


def test_user_split_is_locusts_dispatch() -> None:
    weights = parse_weights(DEFAULT_WEIGHTS)
    assert user_split(50, weights) == {"consumer": 45, "producer": 4, "inspector": 1}
    assert user_split(10, weights)["inspector"] == 0
    # The same answer as Locust's own dispatcher (run apart: importing Locust patches gevent).
    code = (
        "import itertools, json; from locust.dispatch import _kl_generator; "
        "g = _kl_generator([('consumer', 90.0), ('producer', 8.0), ('inspector', 2.0)]); "
        "print(json.dumps([next(g) for _ in range(200)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    names = json.loads(out.stdout)
    for users in (10, 25, 50, 200):
        assert user_split(users, weights) == {kind: names[:users].count(kind) for kind in weights}


def test_the_locustfile_exposes_the_three_user_kinds_with_the_weights_given(
    tmp_path: Path,
) -> None:
    path = tmp_path / "seed.json"
    a_seed().save(path)
    code = (
        "import json, loadtests.locustfile as f; "
        "print(json.dumps({n: [c.weight, c.abstract] for n, c in vars(f).items() "
        "if n in f.__all__}))"
    )
    env = {
        **os.environ,
        "TRACE_LOADTEST_SEED": str(path),
        "TRACE_LOADTEST_WEIGHTS": "consumer=5,inspector=1",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert json.loads(out.stdout.splitlines()[-1]) == {
        "ConsumerScan": [5.0, False],
        "InspectorAudit": [1.0, False],
        "ProducerCapture": [0.0, True],
    }
    env["TRACE_LOADTEST_WEIGHTS"] = "robots=1"
    failed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert failed.returncode != 0
    assert "loadtests: unknown user kind 'robots'" in failed.stderr
    assert "Traceback" not in failed.stderr


# --- seeding plan -------------------------------------------------------------------------------


def test_the_plan_spreads_the_lots_over_the_producers() -> None:
    plan = Plan(lots=301, producers=3)
    assert [plan.lots_of(p) for p in range(3)] == [101, 100, 100]
    with pytest.raises(ValueError, match="producers"):
        Plan(producers=0)


def test_the_demo_rice_bag_heads_the_hot_lots_and_the_tail_is_interleaved() -> None:
    assert demo_lots()[0] == Lot("08936901020057", "ST25-260812")
    assert len(set(demo_lots())) == len(demo_lots()) == 14
    a, b = lots(3), lots(5)[3:]
    assert round_robin([a, b]) == [a[0], b[0], a[1], b[1], a[2]]


# --- thresholds ---------------------------------------------------------------------------------

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def row(method: str, name: str, requests: int, failures: int, p50: int, p95: int, p99: int) -> str:
    return (
        f"{method},{name},{requests},{failures},{p50},{p50},1,{p99},100,10.0,0.0,"
        f"{p50},{p50},{p50},{p95},{p95},{p95},{p99},{p99},{p99},{p99},{p99}"
    )


@pytest.fixture
def stats_csv(tmp_path: Path) -> Path:
    path = tmp_path / "locust_stats.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                row("GET", "/01/[gtin]/10/[lot] html", 1000, 2, 3, 250, 900),
                row("GET", "/01/[gtin]/10/[lot] json", 500, 0, 2, 120, 400),
                row("POST", "/api/v1/epcis/events", 50, 0, 200, 1200, 2900),
                row("GET", "/api/v1/audit/lots/[gtin]/[lot]", 20, 1, 300, 900, 1100),
                row("GET", "/healthz", 5, 0, 1, 2, 3),
                ",Aggregated,1575,3,3,40.1,0.5,2900,9000,175.0,0.3,"
                "3,5,10,60,200,300,900,1200,2900,2900,2900",
                "GET,/never,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
            ]
        )
        + "\n"
    )
    return path


def test_locust_stats_are_read_with_the_aggregate_last(stats_csv: Path) -> None:
    stats = read_stats(stats_csv)
    assert [s.key for s in stats][-1] == AGGREGATED
    html = stats[0]
    assert (html.key, html.requests, html.failures, html.p95, html.p99) == (
        "GET /01/[gtin]/10/[lot] html",
        1000,
        2,
        250,
        900,
    )
    never = next(s for s in stats if s.key == "GET /never")
    assert never.p95 is None and never.failure_ratio == 0


def test_the_sample_passes_the_default_thresholds(stats_csv: Path) -> None:
    verdicts = evaluate(read_stats(stats_csv), Thresholds())
    assert [v.stats.key for v in verdicts if not v.ok] == ["GET /api/v1/audit/lots/[gtin]/[lot]"]
    audit = next(v for v in verdicts if not v.ok)
    assert audit.problems == ("failures 5.00% (1 of 20) > 1.00%",)
    assert summary_line(verdicts).startswith("FAILED: 1 threshold(s) missed: GET /api/v1/audit")


def test_kind_defaults_then_blanket_limits_then_overrides_later_winning() -> None:
    thresholds = Thresholds(
        max_failure_ratio=0.05,
        p99=2000,
        overrides=(
            parse_threshold("GET /01/*:p95=100"),
            parse_threshold("/01/[gtin]/10/[lot] html:p95=200,failures=0"),
        ),
    )
    assert thresholds.limits_for("GET /01/[gtin]/10/[lot] html") == Limits(200, 2000, 0)
    assert thresholds.limits_for("GET /01/[gtin]/10/[lot] json") == Limits(100, 2000, 0.05)
    assert thresholds.limits_for("POST /api/v1/epcis/events") == Limits(1500, 2000, 0.05)
    assert thresholds.limits_for("GET /healthz") == Limits(1000, 2000, 0.05)
    assert thresholds.limits_for(AGGREGATED) == Limits(None, None, 0.05)


def test_an_impossible_threshold_names_the_endpoint(stats_csv: Path) -> None:
    thresholds = Thresholds(
        max_failure_ratio=0.1,
        overrides=(parse_threshold("GET /01/[gtin]/10/[lot] json:p99=0.001"),),
    )
    verdicts = evaluate(read_stats(stats_csv), thresholds)
    [missed] = [v for v in verdicts if not v.ok]
    assert missed.stats.key == "GET /01/[gtin]/10/[lot] json"
    assert missed.problems == ("p99 400 ms > 0.001 ms",)
    assert "GET /01/[gtin]/10/[lot] json: p99 400 ms > 0.001 ms" in summary_line(verdicts)


def test_no_request_at_all_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats.csv"
    path.write_text(HEADER + "\n,Aggregated,0,0,0,0,0,0,0,0,0" + ",N/A" * 11 + "\n")
    verdicts = evaluate(read_stats(path), Thresholds())
    assert not all(v.ok for v in verdicts)
    assert "no request was made" in summary_line(verdicts)


def test_threshold_specs() -> None:
    rule = parse_threshold("GET /01/[gtin]/10/[lot] html:p99=500")
    assert (rule.pattern, rule.limits) == ("GET /01/[gtin]/10/[lot] html", Limits(p99=500))
    assert parse_threshold("*:failures=2%").limits == Limits(failures=0.02)
    assert parse_threshold("JOB *:p95=1e4, p99=2e4").limits == Limits(10_000, 20_000)
    assert rule.matches("GET /01/[gtin]/10/[lot] html")
    assert not rule.matches("GET /01/[gtin]/10/[lot] html revisit")
    assert parse_threshold("GET /01/*:p95=1").matches("GET /01/[gtin]/10/[lot] html revisit")
    assert not parse_threshold("GET /01/*:p95=1").matches("GET /qr/01/[gtin]/10/[lot].png")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("GET /01/[gtin]", "not ENDPOINT:"),
        ("GET /x:p90=5", "not p95=MS"),
        ("GET /x:p95=fast", "p95=fast"),
        ("GET /x:p95=-3", "0 or more"),
        ("GET /x:failures=3", "between 0 and 1"),
        (":p95=5", "not ENDPOINT:"),
    ],
)
def test_bad_threshold_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_threshold(spec)
