"""Data for a load run, made through the portal's own HTTP API, and the seed file naming it.

The hot lots are the demo's (``traceability demo`` seeds them; the QR codes on its sample
packages come first, the rice bag that a televised story makes famous at the head). The
long tail is registered here with an admin API key: a few producer organisations (each with
its own GS1 company prefix and a location), their products, a bounded number of lots, and
one commissioning event per lot (captured as one EPCIS document per producer). An
inspector organisation audits. Nothing needs database access, so the same command seeds a
local server, a multi-worker ``serve`` or the docker-compose deployment:

    traceability demo
    traceability org create --name "Load test" --role admin --json    # its api_key
    python -m loadtests.seed --api http://127.0.0.1:8000 --admin-key trc_... --out seed.json

Every run uses fresh organisations (random tax codes and prefixes), so seeding twice into
one database adds a second, independent tail rather than failing.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import httpx

from loadtests.scenarios.common import Inspector, Lot, Producer, Seed
from traceability.identifiers.gs1 import gs1_check_digit
from traceability.seeding.demo_data import load_demo

VIETNAM: Final = timezone(timedelta(hours=7))
EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
PRODUCT_NAMES: Final = (
    ("Gạo ST25", "ST25 rice"),
    ("Cà phê Robusta rang xay", "Ground Robusta coffee"),
    ("Thanh long ruột đỏ", "Red dragon fruit"),
    ("Nước mắm Phú Quốc", "Phú Quốc fish sauce"),
    ("Hạt điều rang muối", "Salted roasted cashews"),
    ("Xoài cát Hòa Lộc", "Hòa Lộc mango"),
    ("Vải thiều Lục Ngạn", "Lục Ngạn lychee"),
    ("Chè Thái Nguyên", "Thái Nguyên tea"),
    ("Tiêu đen Phú Quốc", "Phú Quốc black pepper"),
    ("Bưởi da xanh", "Green-skin pomelo"),
)
PROVINCES: Final = ("Cần Thơ", "Đắk Lắk", "Đồng Tháp", "Lâm Đồng", "Hà Nội", "Sơn La", "An Giang")
ATTEMPTS: Final = 20
RETRIES: Final = 40

Progress = Callable[[str, int], None]
"""Called with what is being done and how many steps it advanced."""


class SeedError(RuntimeError):
    """Seeding could not finish; the message says which request failed and how."""


@dataclass(frozen=True)
class Plan:
    """How much long-tail data to make (bounded: this runs before every load run)."""

    lots: int = 300
    producers: int = 3
    lots_per_product: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.producers <= 50:
            raise ValueError("producers must be between 1 and 50")
        if not 1 <= self.lots <= 20_000:
            raise ValueError("lots must be between 1 and 20000")
        if not 1 <= self.lots_per_product <= 1000:
            raise ValueError("lots per product must be between 1 and 1000")

    def lots_of(self, producer: int) -> int:
        share, extra = divmod(self.lots, self.producers)
        return share + (1 if producer < extra else 0)

    @property
    def steps(self) -> int:
        """Progress steps: organisations and locations, products, lots, captures, checks."""
        products = sum(-(-self.lots_of(p) // self.lots_per_product) for p in range(self.producers))
        return (
            2 * self.producers + products + self.lots + self.producers + 2 + len(load_demo().lots)
        )


def _check(response: httpx.Response, *expected: int) -> Any:
    if response.status_code not in expected:
        try:
            detail = response.json().get("detail") or response.text
        except ValueError:
            detail = response.text
        raise SeedError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {str(detail)[:300]}"
        )
    return response.json() if response.content else None


def _send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; retried for a moment while it is refused as unknown (401, 403, 404).

    Seeding uses what it has just created at once, and the server commits a write only after
    its answer has been sent (a FastAPI dependency's default scope), so the very next request
    can miss it. A server that commits first never gets here twice.
    """
    response = client.request(method, url, **kwargs)
    for _ in range(RETRIES):
        if response.status_code not in (401, 403, 404):
            break
        time.sleep(0.05)
        response = client.request(method, url, **kwargs)
    return response


def _with_check_digit(body: str) -> str:
    return body + gs1_check_digit(body)


def _now() -> str:
    return datetime.now(VIETNAM).isoformat(timespec="milliseconds")


def _organization(
    client: httpx.Client, admin: dict[str, str], name: str, role: str, province: str
) -> tuple[dict[str, Any], str | None]:
    """Creates an organisation under a fresh random tax code (and prefix, for producers)."""
    for _ in range(ATTEMPTS):
        prefix = "893" + f"{secrets.randbelow(10**6):06d}" if role == "producer" else None
        body = {
            "name": name,
            "role": role,
            "tax_code": f"{secrets.randbelow(10**10):010d}",
            "gs1_prefixes": [prefix] if prefix else [],
            "province": province,
        }
        response = _send(client, "POST", "/api/v1/organizations", json=body, headers=admin)
        if response.status_code == 409:  # a taken tax code or prefix: draw again
            continue
        return _check(response, 201), prefix
    raise SeedError(f"no free tax code or GS1 prefix found for {name!r} in {ATTEMPTS} tries")


def _wait_for_job(client: httpx.Client, headers: dict[str, str], location: str) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = _check(_send(client, "GET", location, headers=headers), 200)
        if not job["running"]:
            if job["status"] != "success":
                raise SeedError(f"capture job {location} {job['status']}: {job['errors']}")
            return
        time.sleep(0.1)
    raise SeedError(f"capture job {location} did not finish within 300 s")


def _commissioning(lot: Lot, gln: str, when: str) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": when,
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [
            {
                "epcClass": f"https://id.gs1.org/01/{lot.gtin}/10/{lot.lot}",
                "quantity": 1000,
                "uom": "KGM",
            }
        ],
        "readPoint": {"id": f"https://id.gs1.org/414/{gln}"},
        "bizLocation": {"id": f"https://id.gs1.org/414/{gln}"},
    }


def _producer(
    client: httpx.Client, admin: dict[str, str], plan: Plan, index: int, tag: str, step: Progress
) -> Producer:
    province = PROVINCES[index % len(PROVINCES)]
    created, prefix = _organization(
        client, admin, f"Hợp tác xã Thử tải {tag} số {index + 1}", "producer", province
    )
    assert prefix is not None
    headers = {"Authorization": f"Bearer {created['api_key']}"}
    step(f"Producer {index + 1}: organisation", 1)
    gln = _with_check_digit(prefix + "001")
    _check(
        _send(
            client,
            "POST",
            "/api/v1/locations",
            json={"gln": gln, "name": f"Kho {tag} số {index + 1}", "province": province},
            headers=headers,
        ),
        201,
    )
    step(f"Producer {index + 1}: location", 1)

    count = plan.lots_of(index)
    gtins: list[str] = []
    lots: list[Lot] = []
    for number in range(count):
        product, position = divmod(number, plan.lots_per_product)
        if position == 0:
            gtin = _with_check_digit("0" + prefix + f"{product + 1:03d}")
            name, name_en = PRODUCT_NAMES[(index + product) % len(PRODUCT_NAMES)]
            _check(
                _send(
                    client,
                    "POST",
                    "/api/v1/products",
                    json={"gtin": gtin, "name": name, "name_en": name_en, "brand": tag},
                    headers=headers,
                ),
                201,
            )
            gtins.append(gtin)
            step(f"Producer {index + 1}: products", 1)
        lot = Lot(gtins[-1], f"{tag}-P{product + 1:03d}-L{position + 1:03d}")
        _check(
            _send(
                client,
                "POST",
                "/api/v1/lots",
                json={"gtin": lot.gtin, "lot": lot.lot, "quantity": 1000, "unit": "KGM"},
                headers=headers,
            ),
            201,
        )
        lots.append(lot)
        step(f"Producer {index + 1}: lots", 1)

    when = _now()
    document = {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": when,
        "epcisBody": {"eventList": [_commissioning(lot, gln, when) for lot in lots]},
    }
    response = _send(client, "POST", "/api/v1/epcis/capture", json=document, headers=headers)
    _check(response, 202)
    _wait_for_job(client, headers, response.headers["location"])
    step(f"Producer {index + 1}: {len(lots)} commissioning events", 1)
    return Producer(
        organization_id=created["organization"]["id"],
        api_key=created["api_key"],
        gtins=tuple(gtins),
        lots=tuple(lots),
        location_gln=gln,
    )


def round_robin(groups: Sequence[Sequence[Lot]]) -> list[Lot]:
    longest = max((len(g) for g in groups), default=0)
    return [g[i] for i in range(longest) for g in groups if i < len(g)]


def demo_lots() -> list[Lot]:
    """The demo's lots, the ones on its sample packages first (the rice bag at the head)."""
    demo = load_demo()
    sample = [Lot(s.gtin, s.lot) for s in demo.sample_links]
    rest = [Lot(lot.gtin, lot.lot_code) for lot in demo.lots.values()]
    return sample + [lot for lot in rest if lot not in sample]


def seed_over_http(
    client: httpx.Client, admin_key: str, plan: Plan, step: Progress | None = None
) -> tuple[Seed, list[str]]:
    """Seeds through the API at ``client.base_url``; the seed and any warnings."""
    advance: Progress = step or (lambda _what, _n: None)
    admin = {"Authorization": f"Bearer {admin_key}"}
    _check(client.get("/api/v1/me", headers=admin), 200)
    tag = secrets.token_hex(2).upper()
    producers = [_producer(client, admin, plan, i, tag, advance) for i in range(plan.producers)]
    inspector, _ = _organization(
        client, admin, f"Đoàn kiểm tra thử tải {tag}", "inspector", "Hà Nội"
    )
    advance("Inspector", 2)

    inspector_headers = {"Authorization": f"Bearer {inspector['api_key']}"}
    _check(_send(client, "GET", "/api/v1/me", headers=inspector_headers), 200)
    hot: list[Lot] = []
    for lot in demo_lots():
        response = client.get(
            f"/api/v1/lots/{lot.gtin}/{quote(lot.lot, safe='')}", headers=inspector_headers
        )
        if response.status_code == 200:
            hot.append(lot)
        else:
            _check(response, 200, 404)
        advance("Demo lots", 1)
    warnings = []
    if not hot:
        warnings.append(
            "the demo's lots are not there (run `traceability demo` first): "
            "the long tail's first lots stand in for the hot ones"
        )
    # Interleaved, so popularity does not follow one organisation's lots.
    lots = hot + round_robin([p.lots for p in producers])
    seed = Seed(
        lots=tuple(lots),
        hot=len(hot),
        storm_lot=lots[0],
        producers=tuple(producers),
        inspectors=(Inspector(inspector["organization"]["id"], inspector["api_key"]),),
    )
    return seed, warnings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.seed",
        description="Seed the long tail of a load run through the portal's API and write the "
        "seed file the Locust scenarios read (TRACE_LOADTEST_SEED). Run `traceability demo` "
        "first for the hot lots.",
    )
    parser.add_argument(
        "--api",
        default=os.environ.get("TRACE_API_URL", "http://127.0.0.1:8000"),
        help="the portal's base URL (default: $TRACE_API_URL or http://127.0.0.1:8000)",
    )
    parser.add_argument(
        "--admin-key",
        default=os.environ.get("TRACE_API_KEY"),
        help="an admin API key (`traceability org create --role admin --json`); "
        "default: $TRACE_API_KEY",
    )
    parser.add_argument("--out", type=Path, required=True, help="where to write the seed file")
    parser.add_argument("--lots", type=int, default=Plan.lots, help="long-tail lots (300)")
    parser.add_argument("--producers", type=int, default=Plan.producers, help="producers (3)")
    args = parser.parse_args(argv)
    if not args.admin_key:
        parser.error("an admin API key is needed: --admin-key or TRACE_API_KEY")
    try:
        plan = Plan(lots=args.lots, producers=args.producers)
    except ValueError as exc:
        parser.error(str(exc))

    from rich.progress import Progress as Bar

    try:
        with httpx.Client(base_url=args.api, timeout=60) as client, Bar(transient=True) as bar:
            task = bar.add_task("Seeding", total=plan.steps)
            seed, warnings = seed_over_http(
                client,
                args.admin_key,
                plan,
                lambda what, n: bar.update(task, advance=n, description=what),
            )
    except (SeedError, httpx.HTTPError) as exc:
        print(f"error: seeding failed: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    seed.save(args.out)
    print(
        f"Seeded {len(seed.producers)} producers, {len(seed.lots) - seed.hot} long-tail lots "
        f"and 1 inspector; {seed.hot} demo lots are hot. Seed file: {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
