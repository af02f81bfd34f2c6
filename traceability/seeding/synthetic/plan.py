"""Synthetic Vietnamese supply chains at any scale, for `traceability seed`. No I/O here.

Everything is derived from a :class:`SeedSpec` (a seed name, a random seed and the
sizes), so the same spec gives the same organisations, products, lots and events
byte for byte, on any machine, and any lot can be built from its index alone: a
million lots are never held in memory at once.

The cast: ``orgs`` producing organisations (cooperatives, processors), each with
``products_per_org`` products of one product family and one production site, plus
one distributor and one retail chain per five producers. Each product is sold
through one distributor and one retail chain; its lots go to the chain's stores.

Identifiers are valid GS1 keys under 9-digit company prefixes in Vietnam's range
893: ``893`` + two digits derived from the seed name (never 69, which the demo
uses) + a four-digit organisation number, so the organisations of one seed never
share a prefix and two seeds with different names normally do not either. GTINs
have a 3-digit item reference, GLNs a 3-digit location reference; check digits
are computed. Businesses, brands and
certificate numbers are invented. The places are in :mod:`.places`, the product
families in :mod:`.families`, each lot's journey in :mod:`.events`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from traceability.seeding.gs1_keys import gln, gtin14
from traceability.seeding.records import (
    Certification,
    DemoEvent,
    DemoLot,
    DemoOrg,
    OwnedLocation,
    OwnedProduct,
)
from traceability.seeding.synthetic.events import lot_events
from traceability.seeding.synthetic.families import FAMILIES, GRADES, Family
from traceability.seeding.synthetic.places import (
    COMMUNES,
    HUBS,
    NAME_WORDS,
    PROVINCES,
    STORE_PROVINCES,
    STREETS,
    Province,
)
from traceability.seeding.synthetic.spec import (
    CENTRES_PER_DISTRIBUTOR,
    GS1_VIETNAM,
    MAX_ORGANIZATIONS,
    PRODUCERS_PER_PARTNER,
    SEASON_DAYS,
    SEASON_START,
    STORES_PER_RETAILER,
    ProductPlan,
    SeedSpec,
    SyntheticLot,
    name_block,
)


class SyntheticPlan:
    """The whole data set of one spec; lots and events are built on demand by lot index."""

    def __init__(self, spec: SeedSpec) -> None:
        self.spec = spec
        self.block = name_block(spec.name)
        producers = [self._producer(i) for i in range(spec.orgs)]
        distributors = [self._distributor(i) for i in range(spec.partners)]
        retailers = [self._retailer(i) for i in range(spec.partners)]
        self.organizations: tuple[DemoOrg, ...] = (*producers, *distributors, *retailers)
        if len(self.organizations) > MAX_ORGANIZATIONS:
            raise ValueError(f"at most {MAX_ORGANIZATIONS:,} organisations in one seed")

        sites = [self._site(i, org) for i, org in enumerate(producers)]
        centres = [
            [self._centre(i, org, c) for c in range(CENTRES_PER_DISTRIBUTOR)]
            for i, org in enumerate(distributors)
        ]
        stores = [
            tuple(self._store(i, org, s) for s in range(STORES_PER_RETAILER))
            for i, org in enumerate(retailers)
        ]
        self.locations: tuple[OwnedLocation, ...] = (
            *sites,
            *(c for cs in centres for c in cs),
            *(s for ss in stores for s in ss),
        )

        base, extra = divmod(spec.lots, spec.products)
        self._base, self._extra = base, extra
        plans: list[ProductPlan] = []
        for o, producer in enumerate(producers):
            family = self._family(o)
            certification = self._certification(o, family)
            partner = o // PRODUCERS_PER_PARTNER
            for j in range(spec.products_per_org):
                p = len(plans)
                count = base + (1 if p < extra else 0)
                plans.append(
                    ProductPlan(
                        product=self._product(o, producer, family, j),
                        family=family,
                        producer=producer,
                        site=sites[o],
                        certification=certification,
                        distributor=distributors[partner],
                        centre=centres[partner][(o + j) % CENTRES_PER_DISTRIBUTOR],
                        retailer=retailers[partner],
                        stores=stores[partner],
                        first_lot=p * base + min(p, extra),
                        lot_count=count,
                    )
                )
        self._plans = tuple(plans)
        self.products: tuple[OwnedProduct, ...] = tuple(p.product for p in plans)

    # --- organisations and places

    def prefix(self, org_number: int) -> str:
        return f"{GS1_VIETNAM}{self.block:02d}{org_number:04d}"

    def _org(self, number: int, key: str, name: str, province: Province, address: str) -> DemoOrg:
        return DemoOrg(
            key=key,
            name=name,
            role="producer",
            tax_code=f"{self.block:02d}{number + 1:08d}",
            gs1_prefix=self.prefix(number),
            address=address,
            province=province.name,
        )

    def _rng(self, *parts: object) -> random.Random:
        # A str seed is hashed with SHA-512: the same on every machine and Python run.
        return random.Random("/".join(str(p) for p in (self.spec.name, self.spec.seed, *parts)))

    def _family(self, producer: int) -> Family:
        return FAMILIES[(producer + self.spec.seed) % len(FAMILIES)]

    def _brand(self, i: int) -> str:
        return NAME_WORDS[(i // len(FAMILIES)) % len(NAME_WORDS)]

    def _trading_name(self, i: int) -> str:
        """A producer's name without its legal form and trade, e.g. "Hưng Thịnh Đắk Lắk"."""
        family = self._family(i)
        province = family.provinces[i % len(family.provinces)]
        word = self._brand(i)
        # Past one round of names, a commune keeps them apart, as real registrations do.
        rounds = i // (len(FAMILIES) * len(NAME_WORDS))
        commune = f" {COMMUNES[rounds % len(COMMUNES)]}" if rounds else ""
        series = f" {rounds // len(COMMUNES) + 1}" if rounds >= len(COMMUNES) else ""
        return f"{word}{commune}{series} {province}"

    def _producer(self, i: int) -> DemoOrg:
        family = self._family(i)
        rng = self._rng("producer", i)
        province = PROVINCES[family.provinces[i % len(family.provinces)]]
        form = family.forms[i % len(family.forms)]
        address = (
            f"Ấp {rng.randint(1, 12)}, xã {rng.choice(COMMUNES)}, {province.in_address}"
            if form.startswith(("Hợp tác xã", "Tổ hợp tác"))
            else f"Lô {rng.choice('ABCDE')}{rng.randint(1, 30)}, khu công nghiệp "
            f"{rng.choice(COMMUNES)}, {province.in_address}"
        )
        name = f"{form} {family.trade} {self._trading_name(i)}"
        return self._org(i, f"p{i}", name, province, address)

    def _distributor(self, i: int) -> DemoOrg:
        province = PROVINCES[HUBS[i % len(HUBS)]]
        word = NAME_WORDS[(i * 7 + 3) % len(NAME_WORDS)]
        suffix = f" {i // len(NAME_WORDS) + 1}" if i >= len(NAME_WORDS) else ""
        address = f"Kho số {i % 9 + 1}, khu công nghiệp {COMMUNES[i % len(COMMUNES)]}, "
        return self._org(
            self.spec.orgs + i,
            f"d{i}",
            f"Công ty Cổ phần Phân phối Nông sản {word}{suffix}",
            province,
            address + province.in_address,
        )

    def _retailer(self, i: int) -> DemoOrg:
        province = PROVINCES[HUBS[(i + 1) % len(HUBS)]]
        word = NAME_WORDS[(i * 11 + 5) % len(NAME_WORDS)]
        suffix = f" {i // len(NAME_WORDS) + 1}" if i >= len(NAME_WORDS) else ""
        street = STREETS[i % len(STREETS)]
        return self._org(
            self.spec.orgs + self.spec.partners + i,
            f"r{i}",
            f"Công ty TNHH Thương mại {word} Mart{suffix}",
            province,
            f"{i % 300 + 1} {street}, phường {COMMUNES[i % len(COMMUNES)]}, {province.in_address}",
        )

    def _location(
        self, org: DemoOrg, reference: int, name: str, address: str, province: Province
    ) -> OwnedLocation:
        rng = self._rng("location", org.key, reference)
        return OwnedLocation(
            org=org.key,
            gln=gln(org.prefix, f"{reference:03d}"),
            name=name,
            address=address,
            province=province.name,
            latitude=round(province.latitude + rng.uniform(-0.15, 0.15), 4),
            longitude=round(province.longitude + rng.uniform(-0.15, 0.15), 4),
        )

    def _site(self, i: int, org: DemoOrg) -> OwnedLocation:
        family = self._family(i)
        province = PROVINCES[org.province]
        return self._location(
            org, 901, f"{family.site} {self._trading_name(i)}", org.address, province
        )

    def _centre(self, i: int, org: DemoOrg, c: int) -> OwnedLocation:
        province = PROVINCES[HUBS[(i + c) % len(HUBS)]]
        commune = COMMUNES[(i + c) % len(COMMUNES)]
        return self._location(
            org,
            901 + c,
            f"Trung tâm phân phối {org.name.rsplit('Nông sản ', 1)[-1]} – {province.name}",
            f"Kho {c + 1}, khu công nghiệp {commune}, {province.in_address}",
            province,
        )

    def _store(self, i: int, org: DemoOrg, s: int) -> OwnedLocation:
        province = PROVINCES[STORE_PROVINCES[(i + s * 3) % len(STORE_PROVINCES)]]
        street = STREETS[(i + s) % len(STREETS)]
        number = (i * 17 + s * 29) % 400 + 1
        brand = org.name.removeprefix("Công ty TNHH Thương mại ")
        return self._location(
            org,
            901 + s,
            f"Cửa hàng {brand} {street}",
            f"{number} {street}, phường {COMMUNES[(i + s) % len(COMMUNES)]}, {province.in_address}",
            province,
        )

    def _certification(self, producer: int, family: Family) -> Certification:
        scheme, issuer = family.certificate
        code = "".join(c for c in scheme if c.isalnum()).upper()
        return Certification(
            scheme=scheme,
            number=f"{code}-{self.block:02d}-{producer + 1:05d}",
            issuer=issuer,
            valid_until=date(2028, 6, 30),
        )

    def _product(self, o: int, producer: DemoOrg, family: Family, j: int) -> OwnedProduct:
        pack_vi, pack_en = family.variants[j % len(family.variants)]
        grade_vi, grade_en = GRADES[(j // len(family.variants)) % len(GRADES)]
        series = j // (len(family.variants) * len(GRADES))
        name = f"{family.name} {grade_vi} {pack_vi}".replace("  ", " ")
        name_en = f"{family.name_en}, {grade_en + ', ' if grade_en else ''}{pack_en}"
        if series:
            name, name_en = f"{name} (mẫu {series + 1})", f"{name_en} (line {series + 1})"
        return OwnedProduct(
            org=producer.key,
            gtin=gtin14(producer.prefix, f"{j + 1:03d}"),
            name=name,
            name_en=name_en,
            brand=f"{family.trade} {self._brand(o)}",
            category=family.category,
            category_en=family.category_en,
            description=family.description,
            description_en=family.description_en,
            image_url=f"/static/demo/{family.key}.jpg",
            applied_standards=family.standards,
            shelf_life_days=family.shelf_life_days,
        )

    # --- lots

    @property
    def lot_count(self) -> int:
        return self.spec.lots

    def product_index(self, lot_index: int) -> int:
        """Which product lot ``lot_index`` is of (lots are numbered product by product)."""
        if not 0 <= lot_index < self.spec.lots:
            raise IndexError(f"lot index {lot_index} out of range")
        big = self._extra * (self._base + 1)
        if lot_index < big:
            return lot_index // (self._base + 1)
        return self._extra + (lot_index - big) // self._base

    def lot(self, index: int) -> SyntheticLot:
        plan = self._plans[self.product_index(index)]
        k = index - plan.first_lot
        family = plan.family
        rng = self._rng("lot", index)
        produced = SEASON_START + timedelta(days=k * SEASON_DAYS // plan.lot_count)
        code = f"{family.tag}{produced:%y%m%d}-{k + 1:04d}"
        return SyntheticLot(
            index,
            DemoLot(
                org=plan.producer.key,
                gtin=plan.product.gtin,
                lot_code=code,
                production_date=produced,
                expiry_date=produced + timedelta(days=family.shelf_life_days),
                quantity=float(rng.randint(*family.lot_size)),
                unit=family.unit,
                origin_gln=plan.site.gln,
                certifications=(plan.certification,),
            ),
        )

    def lots(self, start: int = 0, stop: int | None = None) -> Iterator[SyntheticLot]:
        for index in range(start, self.spec.lots if stop is None else stop):
            yield self.lot(index)

    # --- events

    def events(self, lot: SyntheticLot) -> tuple[DemoEvent, ...]:
        """The lot's events in the order they happened (and must be appended)."""
        plan = self._plans[self.product_index(lot.index)]
        return lot_events(self.spec, plan, lot, self._rng("events", lot.index))
