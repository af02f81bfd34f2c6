"""What a public page built without the cache asks of the database, and that its chain audit
still checks everything it reads.

A lot page's audit and journey read the lot's chain once, and the registry rows it starts
from in one statement; under load each statement is CPU on a small machine, so the counts
here are ceilings a change must not raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update

from gateway.routes import resolver
from tests import demo_dataset as dataset
from tests.factories.events import append, audit
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.db.models import Event, LogNode
from traceability.errors import NotFound
from traceability.identifiers.digital_link import DigitalLink
from traceability.portal import Portal
from traceability.seeding.demo import seed_demo
from traceability.services.provenance.model import Provenance

# One statement: product and producer, lot, origin and chain head; the chain (events, links,
# leaves, keys, retractions, recorders, the locations the events name); the log's head and
# checkpoints; on PostgreSQL, the proofs' nodes too (SQLite reads them in a second).
LOT_PAGE_STATEMENTS = {"postgresql": 1, "sqlite": 2}
# The same, with the stages' locations and the recording organisations besides the producer,
# and the walk to the lots the bags were milled from (three levels, their registry rows).
DEMO_BAGS_STATEMENTS = 13


@contextmanager
def statements(state: Portal) -> Iterator[list[str]]:
    """Every SQL statement the portal's engines run in the block (transaction control aside)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    engines = {
        id(e.sync_engine): e.sync_engine for e in (state.database.writer, state.database.reader)
    }
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", count)


async def page_view(state: Portal, link: DigitalLink) -> Provenance:
    """A page's view as the resolver builds it on a cache miss, in a snapshot of its own."""
    async with state.read(snapshot=True) as session:
        return await resolver.build_view(state, session, link)


async def test_an_uncached_lot_page_reads_its_chain_once(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot], count=3)
    link = DigitalLink(gtin=lot.gtin, lot=lot.lot)
    await page_view(state, link)  # signs the log's checkpoint

    with statements(state) as seen:
        view = await page_view(state, link)

    assert len(seen) <= LOT_PAGE_STATEMENTS[state.database.writer.dialect.name], "\n\n".join(seen)
    assert view.verification is not None
    assert (view.verification.intact, view.verification.checked) == (True, 3)
    assert len(view.stages) == 3


async def test_a_lot_made_from_other_lots_stays_within_its_statements(state: Portal) -> None:
    await seed_demo(state, state.registry, state.ledger, state.settings.base_url)
    bags = dataset.RICE_BAG_LOT
    link = DigitalLink(gtin=bags.gtin, lot=bags.lot_code)
    await page_view(state, link)

    with statements(state) as seen:
        view = await page_view(state, link)

    assert len(seen) <= DEMO_BAGS_STATEMENTS, "\n\n".join(seen)
    assert view.verification is not None and view.verification.intact
    assert any(stage.upstream for stage in view.stages)


async def test_an_unknown_lot_is_answered_from_one_statement(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)

    with statements(state) as seen, pytest.raises(NotFound):
        await page_view(state, DigitalLink(gtin=lot.gtin, lot="NO-SUCH-LOT"))

    assert len(seen) == 1, "\n\n".join(seen)


async def test_a_tampered_lot_page_says_what_the_inspectors_audit_says(state: Portal) -> None:
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    appended = await append(state, org, [lot], count=3)
    second = appended[1].record.event_id
    edited = dict(appended[1].record.event) | {"bizStep": "shipping"}
    async with state.write() as session:
        await session.execute(update(Event).where(Event.event_id == second).values(event=edited))

    view = await page_view(state, DigitalLink(gtin=lot.gtin, lot=lot.lot))
    inspected = await audit(state, lot)

    assert view.verification is not None and not view.verification.intact
    assert inspected.result.first_bad is not None
    assert view.verification.problem == inspected.result.first_bad.message
    assert "hashes to" in inspected.result.first_bad.message
    assert view.verification.checked == inspected.result.checked == 1


async def test_a_lot_page_built_first_reads_its_proofs_with_its_chain(state: Portal) -> None:
    """The inclusion proofs of leaves this process never proved, the right edge of a log of
    odd size among them, come with the chain (on PostgreSQL in the page's one statement)."""
    org = await make_org(state)
    first, middle, last = await make_lots(state, org, count=3)
    for _ in range(3):
        for lot in (first, middle, last):
            await append(state, org, [lot])  # 9 leaves; the middle lot's are 1, 4 and 7
    await page_view(state, DigitalLink(gtin=first.gtin, lot=first.lot))

    with statements(state) as seen:
        view = await page_view(state, DigitalLink(gtin=middle.gtin, lot=middle.lot))

    assert len(seen) <= LOT_PAGE_STATEMENTS[state.database.writer.dialect.name], "\n\n".join(seen)
    assert view.verification is not None
    assert view.verification.log_indexes == (1, 4, 7)
    assert (view.verification.intact, view.verification.checkpoint_size) == (True, 9)


async def test_an_inner_node_rewritten_before_a_lot_page_fails_it(state: Portal) -> None:
    """A proof node read with the chain is checked like any other: a rewritten one on the path
    of a leaf the process never proved fails the page."""
    org = await make_org(state)
    [lot] = await make_lots(state, org)
    await append(state, org, [lot], count=4)
    async with state.database.writer.begin() as connection:
        await connection.execute(
            update(LogNode).where(LogNode.level == 1, LogNode.index == 0).values(hash=bytes(32))
        )

    view = await page_view(state, DigitalLink(gtin=lot.gtin, lot=lot.lot))

    assert view.verification is not None
    assert not view.verification.intact
    assert view.verification.problem_kind == "log_tree"


async def test_a_page_built_now_is_the_page_read_back_from_the_cache(state: Portal) -> None:
    """A miss renders the view it built; a hit, the view read back from the cached JSON. A
    scanner must get the same bytes either way, for every demo lot (milled from other lots,
    recalled, transformed), in each language and representation."""
    await seed_demo(state, state.registry, state.ledger, state.settings.base_url)
    for lot in dataset.LOTS:
        built = await page_view(state, DigitalLink(gtin=lot.gtin, lot=lot.lot_code))
        kept = resolver._VIEW.validate_json(resolver._VIEW.dump_json(built))
        for kind, lang in (("html", "vi"), ("html", "en"), ("json", "vi"), ("linkset", "vi")):
            now = resolver.render(state, built, kind, lang)
            again = resolver.render(state, kept, kind, lang)
            assert now.body == again.body, (lot.lot_code, kind, lang)


async def test_an_uncached_page_over_http_reads_no_delegation(
    state: Portal, client: httpx.AsyncClient
) -> None:
    """The resolver asks whether another resolver handles a code before every page it
    builds; the process's copy of the delegation table answers, not a statement."""
    org = await make_org(state)
    first, second = await make_lots(state, org, count=2)
    await append(state, org, [first, second])
    assert (await client.get(f"/01/{first.gtin}/10/{first.lot}")).status_code == 200

    with statements(state) as seen:
        page = await client.get(f"/01/{second.gtin}/10/{second.lot}")

    assert page.status_code == 200
    assert seen, "the page was built, from the database"
    assert not [s for s in seen if "resolver_delegations" in s], "\n\n".join(seen)
