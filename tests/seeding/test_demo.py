"""`traceability demo`: what it seeds is what it reports, chained, auditable, and seeded once."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from tests import demo_dataset as dataset
from tests.conformance import require_conformance
from traceability.chain.record import LotKey
from traceability.errors import Conflict
from traceability.identifiers.digital_link import parse_digital_link
from traceability.identifiers.gs1 import normalize_gtin, validate_gln, validate_lot
from traceability.portal import Portal
from traceability.repositories.organizations import OrganizationRepository
from traceability.repositories.registry import LotRepository
from traceability.seeding.demo import DemoSummary, seed_demo
from traceability.services.registry import NewOrganization


async def seed(state: Portal, steps: list[str] | None = None) -> DemoSummary:
    return await seed_demo(
        state.database,
        state.registry,
        state.ledger,
        state.settings.base_url,
        on_step=steps.append if steps is not None else None,
    )


async def stored_counts(state: Portal) -> tuple[int, int, int]:
    """(organisations, lots, events): events are the log's leaves, one per appended event."""
    async with state.database.read() as session:
        return (
            await OrganizationRepository(session).count(),
            await LotRepository(session).count(),
            await state.transparency.size(session),
        )


def events_naming(lot: LotKey) -> list[dataset.DemoEvent]:
    return [e for e in dataset.EVENTS if lot in e.lots]


def cbv_words(schema: str, definition: str) -> set[str]:
    schemas = require_conformance() / "schema" / "schemas"
    document = json.loads((schemas / schema).read_text())
    for alternative in document["definitions"][definition]["anyOf"]:
        if "enum" in alternative:
            return set(alternative["enum"])
    raise AssertionError(f"no enum in {schema}")


# --- seeding through the services -------------------------------------------------------------


async def test_seeding_creates_what_it_reports(state: Portal) -> None:
    steps: list[str] = []
    summary = await seed(state, steps)

    assert not summary.already_seeded
    assert summary.lots == len(dataset.LOTS)
    assert summary.events == len(dataset.EVENTS)
    assert await stored_counts(state) == (len(summary.organizations), summary.lots, summary.events)
    assert steps and all(isinstance(s, str) and s for s in steps)

    assert [o.tax_code for o in summary.organizations] == [
        o.tax_code for o in dataset.ORGANIZATIONS
    ]
    assert Counter(o.role for o in summary.organizations) == {
        "producer": 8,
        "inspector": 1,
        "admin": 1,
    }
    async with state.database.read() as session:
        for org in summary.organizations:
            assert org.api_key is not None
            principal = await state.registry.authenticate(session, org.api_key)
            assert (principal.organization_id, principal.role) == (org.organization_id, org.role)


async def test_second_run_changes_nothing(state: Portal) -> None:
    first = await seed(state)
    before = await stored_counts(state)

    second = await seed(state)

    assert second.already_seeded
    assert all(o.api_key is None for o in second.organizations)
    assert [(o.organization_id, o.name, o.role, o.tax_code) for o in second.organizations] == [
        (o.organization_id, o.name, o.role, o.tax_code) for o in first.organizations
    ]
    assert (second.lots, second.events) == (first.lots, first.events)
    assert second.sample_links == first.sample_links
    assert await stored_counts(state) == before


async def test_every_demo_lot_audits_intact(state: Portal) -> None:
    await seed(state)

    async with state.database.read() as session:
        for lot in dataset.LOTS:
            audit = await state.audit.audit_lot(session, lot.gtin, lot.lot_code)
            assert audit.result.intact, (lot.key, audit.result.first_bad)
            assert audit.checkpoint is not None
            expected = events_naming(lot.key)
            assert [e.entry.record.event_id for e in audit.events] == [e.event_id for e in expected]


async def test_transformations_link_inputs_and_outputs(state: Portal) -> None:
    """The mill's milling event extends the cooperative's paddy chains and the rice's chain."""
    summary = await seed(state)
    mill_id = next(
        o.organization_id for o in summary.organizations if o.name.startswith("Công ty TNHH Xay")
    )
    milling = next(e for e in dataset.RICE_EVENTS if e.document["type"] == "TransformationEvent")

    async with state.database.read() as session:
        audit = await state.audit.audit_lot(
            session, dataset.PADDY_T01.gtin, dataset.PADDY_T01.lot_code
        )
    record = next(
        e.entry.record for e in audit.events if e.entry.record.event_id == milling.event_id
    )
    assert record.organization_id == mill_id
    assert {link.lot for link in record.links} == {
        dataset.PADDY_T01.key,
        dataset.PADDY_T02.key,
        dataset.MILLED_LOT.key,
    }


async def test_sample_links_are_canonical_digital_links(state: Portal) -> None:
    summary = await seed(state)
    base = state.settings.base_url.rstrip("/")

    assert summary.sample_links
    async with state.database.read() as session:
        for label, url in summary.sample_links:
            assert label
            assert url.startswith(f"{base}/01/")
            parsed = parse_digital_link(url)
            assert parsed.is_canonical
            assert url == base + parsed.canonical_path
            assert parsed.link.lot is not None
            assert await LotRepository(session).get(parsed.link.gtin, parsed.link.lot)


async def test_an_interrupted_run_is_completed_by_the_next(state: Portal) -> None:
    class Interrupted(Exception):
        pass

    def stop_before_fish(step: str) -> None:
        if "Pangasius" in step:
            raise Interrupted(step)

    with pytest.raises(Interrupted):
        await seed_demo(
            state.database,
            state.registry,
            state.ledger,
            state.settings.base_url,
            on_step=stop_before_fish,
        )
    partial = await stored_counts(state)
    assert partial[2] == len(dataset.RICE_EVENTS) + len(dataset.COFFEE_EVENTS)

    summary = await seed(state)

    assert not summary.already_seeded
    assert all(o.api_key is None for o in summary.organizations)
    assert await stored_counts(state) == (partial[0], partial[1], len(dataset.EVENTS))
    async with state.database.read() as session:
        for lot in (dataset.POND_A3, dataset.CARTON_LOT):
            audit = await state.audit.audit_lot(session, lot.gtin, lot.lot_code)
            assert audit.result.intact


async def test_refuses_when_a_demo_tax_code_belongs_to_someone_else(state: Portal) -> None:
    async with state.database.write() as session:
        await state.registry.create_organization(
            session,
            NewOrganization(
                name="Công ty khác", role="producer", tax_code=dataset.RICE_COOP.tax_code
            ),
        )

    with pytest.raises(Conflict, match="tax code"):
        await seed(state)

    assert await stored_counts(state) == (1, 0, 0)


# --- the data itself --------------------------------------------------------------------------


def test_sizes_are_those_of_a_realistic_demo() -> None:
    assert 10 <= len(dataset.LOTS) <= 15
    assert 40 <= len(dataset.EVENTS) <= 60
    assert {c.key for c in dataset.CHAINS} == {"rice", "coffee", "fish"}


def test_identifiers_are_valid_and_unique() -> None:
    tax_codes = [o.tax_code for o in dataset.ORGANIZATIONS]
    assert all(re.fullmatch(r"\d{10}", t) for t in tax_codes)
    assert len(set(tax_codes)) == len(tax_codes)
    prefixes = [o.gs1_prefix for o in dataset.ORGANIZATIONS if o.gs1_prefix]
    assert len(prefixes) == sum(o.role == "producer" for o in dataset.ORGANIZATIONS)
    assert len(set(prefixes)) == len(prefixes)
    assert all(re.fullmatch(r"893\d{3,9}", p) for p in prefixes)

    orgs = {o.key: o for o in dataset.ORGANIZATIONS}
    for location in dataset.LOCATIONS:
        assert validate_gln(location.gln) == location.gln
        assert location.gln.startswith(orgs[location.org].prefix)
    for product in dataset.PRODUCTS:
        assert normalize_gtin(product.gtin) == product.gtin
        assert product.gtin[1:].startswith(orgs[product.org].prefix)
    for lot in dataset.LOTS:
        assert validate_lot(lot.lot_code) == lot.lot_code
    assert len({lot.key for lot in dataset.LOTS}) == len(dataset.LOTS)


def test_events_are_epcis_2_with_cbv_vocabulary() -> None:
    biz_steps = cbv_words("bizStep-JSON-Schema.json", "bizStep")
    dispositions = cbv_words("disposition-JSON-Schema.json", "disposition")
    locations = {location.gln for location in dataset.LOCATIONS}
    needs_action = {"ObjectEvent", "AggregationEvent", "TransactionEvent", "AssociationEvent"}

    ids = [e.event_id for e in dataset.EVENTS]
    assert len(set(ids)) == len(ids)
    for event in dataset.EVENTS:
        doc: dict[str, Any] = event.to_epcis()
        assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", doc["eventID"])
        assert doc["eventTimeZoneOffset"] == "+07:00"
        assert datetime.fromisoformat(doc["eventTime"]).utcoffset() is not None
        assert doc["eventTime"].endswith("+07:00")
        assert doc["bizStep"] in biz_steps, doc["bizStep"]
        assert doc["disposition"] in dispositions, doc["disposition"]
        assert ("action" in doc) == (doc["type"] in needs_action)
        for where in ("readPoint", "bizLocation"):
            match = re.fullmatch(r"https://id\.gs1\.org/414/(\d{13})", doc[where]["id"])
            assert match and match.group(1) in locations
        assert event.lots, event.name
        assert doc["eventID"] == dataset.event_id(event.name)


def test_every_lot_has_a_chronological_story() -> None:
    registered = {lot.key for lot in dataset.LOTS}
    named = {key for event in dataset.EVENTS for key in event.lots}
    assert named == registered
    for chain in dataset.CHAINS:
        times = [datetime.fromisoformat(e.event_time) for e in chain.events]
        assert times == sorted(times), chain.key
        assert len(set(times)) == len(times), chain.key
