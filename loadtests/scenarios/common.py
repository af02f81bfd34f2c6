"""What every scenario shares: the seed file, lot popularity, user weights and the profile.

No Locust here (importing it patches the standard library with gevent), so the runner and
the unit tests can use these functions in an ordinary process.

Configuration, from the environment (the runner sets it; set it yourself to run ``locust``
directly, on the master and on every worker):

- ``TRACE_LOADTEST_SEED``: the seed file written by ``python -m loadtests.seed`` (required).
- ``TRACE_LOADTEST_WEIGHTS``: ``consumer=90,producer=8,inspector=2`` (the default); a kind
  left out gets no users.
- ``TRACE_LOADTEST_PROFILE``: ``normal`` or ``storm`` (a televised product: one lot suddenly
  takes most of the scans).
- ``TRACE_LOADTEST_STORM_SHARE`` (0.8): share of the scans that go to the storm lot.
- ``TRACE_LOADTEST_STORM_AFTER`` (0): seconds of normal traffic before the storm starts.
- ``TRACE_LOADTEST_THINK`` (1.0): multiplies every user's think time; 0 for no pauses.
- ``TRACE_LOADTEST_ZIPF`` (1.1): exponent of the lots' Zipf-like popularity.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import os
import random
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

KINDS: Final = ("consumer", "producer", "inspector")
DEFAULT_WEIGHTS: Final = "consumer=90,producer=8,inspector=2"
PROFILES: Final = ("normal", "storm")
SEED_VERSION: Final = 1


class ConfigurationError(ValueError):
    """The load test's environment or seed file is wrong; the message says what to do."""


# --- the seed file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lot:
    gtin: str
    lot: str

    @property
    def path(self) -> str:
        """The lot's GS1 Digital Link path (what its QR code encodes, without the host)."""
        return f"/01/{self.gtin}/10/{quote(self.lot, safe='')}"

    @property
    def api_path(self) -> str:
        """``{gtin}/{lot}`` as the business API's lot routes take it."""
        return f"{self.gtin}/{quote(self.lot, safe='')}"

    def to_json(self) -> dict[str, str]:
        return {"gtin": self.gtin, "lot": self.lot}


@dataclass(frozen=True)
class Producer:
    organization_id: str
    api_key: str
    gtins: tuple[str, ...]
    lots: tuple[Lot, ...]
    location_gln: str | None = None


@dataclass(frozen=True)
class Inspector:
    organization_id: str
    api_key: str


@dataclass(frozen=True)
class Seed:
    """Everything the scenarios need to know about the data they run against."""

    # Every lot consumers scan, most popular first: the demo's lots, then the long tail.
    lots: tuple[Lot, ...]
    # How many of the first lots are the demo's (rich chains, what inspectors mostly audit).
    hot: int
    storm_lot: Lot
    producers: tuple[Producer, ...]
    inspectors: tuple[Inspector, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SEED_VERSION,
            "lots": [lot.to_json() for lot in self.lots],
            "hot": self.hot,
            "storm_lot": self.storm_lot.to_json(),
            "producers": [
                {
                    "organization_id": p.organization_id,
                    "api_key": p.api_key,
                    "gtins": list(p.gtins),
                    "lots": [lot.to_json() for lot in p.lots],
                    "location_gln": p.location_gln,
                }
                for p in self.producers
            ],
            "inspectors": [
                {"organization_id": i.organization_id, "api_key": i.api_key}
                for i in self.inspectors
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Seed:
        if data.get("version") != SEED_VERSION:
            raise ConfigurationError(
                f"seed file version {data.get('version')!r} is not {SEED_VERSION}; "
                "write it again with python -m loadtests.seed"
            )
        try:
            lots = tuple(Lot(str(d["gtin"]), str(d["lot"])) for d in data["lots"])
            seed = cls(
                lots=lots,
                hot=int(data["hot"]),
                storm_lot=Lot(str(data["storm_lot"]["gtin"]), str(data["storm_lot"]["lot"])),
                producers=tuple(
                    Producer(
                        organization_id=str(p["organization_id"]),
                        api_key=str(p["api_key"]),
                        gtins=tuple(str(g) for g in p["gtins"]),
                        lots=tuple(Lot(str(d["gtin"]), str(d["lot"])) for d in p["lots"]),
                        location_gln=p.get("location_gln"),
                    )
                    for p in data["producers"]
                ),
                inspectors=tuple(
                    Inspector(str(i["organization_id"]), str(i["api_key"]))
                    for i in data["inspectors"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"the seed file is malformed ({exc!r})") from exc
        if not seed.lots:
            raise ConfigurationError("the seed file names no lots")
        return seed

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n")


def load_seed(path: str | os.PathLike[str] | None = None) -> Seed:
    """The seed file at ``path``, or at ``$TRACE_LOADTEST_SEED``."""
    where = path if path is not None else os.environ.get("TRACE_LOADTEST_SEED")
    if not where:
        raise ConfigurationError(
            "TRACE_LOADTEST_SEED is not set: point it at a seed file written by "
            "`python -m loadtests.seed` (or use `python -m loadtests.run`, which does both)"
        )
    try:
        data = json.loads(Path(where).read_text())
    except OSError as exc:
        raise ConfigurationError(f"cannot read the seed file {where}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigurationError(f"the seed file {where} is not JSON: {exc}") from exc
    return Seed.from_json(data)


# --- popularity ---------------------------------------------------------------------------------


class Popularity:
    """Zipf-like popularity over ``count`` ranked items: rank ``r`` (0-based) has weight
    ``1 / (r + 1) ** exponent``. Real products behave so: a few hot lots, a long tail."""

    def __init__(self, count: int, exponent: float = 1.1) -> None:
        if count < 1:
            raise ValueError("popularity needs at least one item")
        if exponent < 0:
            raise ValueError("the Zipf exponent must not be negative")
        weights = [1.0 / (rank + 1) ** exponent for rank in range(count)]
        self.count = count
        self.exponent = exponent
        self._cumulative: list[float] = list(itertools.accumulate(weights))
        self._total: float = self._cumulative[-1]

    def pick(self, rng: random.Random) -> int:
        """A rank, drawn by popularity."""
        index = bisect.bisect_right(self._cumulative, rng.random() * self._total)
        return min(index, self.count - 1)

    def share_of_top(self, fraction: float) -> float:
        """The expected share of picks that land on the top ``fraction`` of items (≥ 1 item)."""
        top = max(1, round(self.count * fraction))
        return self._cumulative[top - 1] / self._total


class ScanChooser:
    """Which lot a consumer scans: by popularity, or, once a storm has started, mostly one."""

    def __init__(
        self,
        lots: Sequence[Lot],
        popularity: Popularity,
        *,
        storm_lot: Lot | None = None,
        storm_share: float = 0.8,
        storm_after: float = 0.0,
    ) -> None:
        if popularity.count != len(lots):
            raise ValueError("popularity must rank exactly the lots given")
        self.lots = tuple(lots)
        self.popularity = popularity
        self.storm_lot = storm_lot
        self.storm_share = storm_share
        self.storm_after = storm_after

    def choose(self, rng: random.Random, elapsed: float) -> Lot:
        """A lot for a scan ``elapsed`` seconds into the run."""
        if (
            self.storm_lot is not None
            and elapsed >= self.storm_after
            and rng.random() < self.storm_share
        ):
            return self.storm_lot
        return self.lots[self.popularity.pick(rng)]


# --- weights, profile, configuration ------------------------------------------------------------


def parse_weights(text: str) -> dict[str, float]:
    """``consumer=90,producer=8,inspector=2`` → weights by kind; a kind left out weighs 0."""
    weights = dict.fromkeys(KINDS, 0.0)
    seen: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep:
            raise ConfigurationError(f"weight {part!r} is not NAME=NUMBER (e.g. consumer=90)")
        if name not in weights:
            raise ConfigurationError(
                f"unknown user kind {name!r} in weights; known: {', '.join(KINDS)}"
            )
        if name in seen:
            raise ConfigurationError(f"user kind {name!r} is weighted twice")
        try:
            number = float(value)
        except ValueError:
            raise ConfigurationError(f"weight of {name} is not a number: {value!r}") from None
        if number < 0 or number != number:
            raise ConfigurationError(f"weight of {name} must be 0 or more, not {value}")
        weights[name] = number
        seen.add(name)
    if not any(weights.values()):
        raise ConfigurationError(
            f"no user kind has a weight above 0 in {text!r}; e.g. {DEFAULT_WEIGHTS}"
        )
    return weights


def parse_profile(text: str) -> str:
    profile = text.strip().lower()
    if profile not in PROFILES:
        raise ConfigurationError(f"profile {text!r} is not one of: {', '.join(PROFILES)}")
    return profile


def _float_env(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name}={raw} must be between {low:g} and {high:g}")
    return value


@dataclass(frozen=True)
class Configuration:
    seed: Seed
    weights: dict[str, float]
    profile: str
    storm_share: float
    storm_after: float
    think: float
    zipf: float

    def chooser(self) -> ScanChooser:
        return ScanChooser(
            self.seed.lots,
            Popularity(len(self.seed.lots), self.zipf),
            storm_lot=self.seed.storm_lot if self.profile == "storm" else None,
            storm_share=self.storm_share,
            storm_after=self.storm_after,
        )


def read_configuration(env: Mapping[str, str] | None = None) -> Configuration:
    env = os.environ if env is None else env
    return Configuration(
        seed=load_seed(env.get("TRACE_LOADTEST_SEED") or None),
        weights=parse_weights(env.get("TRACE_LOADTEST_WEIGHTS") or DEFAULT_WEIGHTS),
        profile=parse_profile(env.get("TRACE_LOADTEST_PROFILE") or "normal"),
        storm_share=_float_env(env, "TRACE_LOADTEST_STORM_SHARE", 0.8, 0.0, 1.0),
        storm_after=_float_env(env, "TRACE_LOADTEST_STORM_AFTER", 0.0, 0.0, 86400.0),
        think=_float_env(env, "TRACE_LOADTEST_THINK", 1.0, 0.0, 100.0),
        zipf=_float_env(env, "TRACE_LOADTEST_ZIPF", 1.1, 0.0, 5.0),
    )


@functools.cache
def configuration() -> Configuration:
    """The configuration of this process, read once; a mistake ends Locust with its message
    instead of a stack trace (it is read while Locust imports the locustfile)."""
    try:
        return read_configuration()
    except ConfigurationError as exc:
        sys.exit(f"loadtests: {exc}")


class RunClock:
    """Seconds since this process's first user started (the storm profile counts from there:
    Locust imports the scenarios a while before any user runs)."""

    def __init__(self) -> None:
        self._started: float | None = None

    def start(self) -> None:
        if self._started is None:
            self._started = time.monotonic()

    def elapsed(self) -> float:
        return 0.0 if self._started is None else time.monotonic() - self._started


RUN_CLOCK: Final = RunClock()


def think_time(rng: random.Random, low: float, high: float) -> float:
    """A pause between ``low`` and ``high`` seconds, scaled by ``TRACE_LOADTEST_THINK``."""
    return rng.uniform(low, high) * configuration().think


def bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}
