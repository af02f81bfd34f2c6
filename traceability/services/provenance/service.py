"""What a consumer sees when scanning a code: the provenance of a product, lot or item.

Everything comes from the registry and the ledger as they are now; the lot's chain is
audited on the way, so the verification panel states what was actually checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.chain.audit import Fault
from traceability.chain.record import LotKey
from traceability.db.models import Location, Lot, Organization, Product
from traceability.epcis.event_facts import node_id
from traceability.errors import NotFound
from traceability.identifiers.digital_link import DigitalLink, digital_link_path
from traceability.identifiers.gs1 import normalize_gtin, validate_lot
from traceability.repositories.instances import InstanceRepository
from traceability.repositories.issued_serials import IssuedSerialRepository
from traceability.repositories.lot_chain import LotChain
from traceability.repositories.lot_page import LotPageRepository
from traceability.repositories.pages import PageRepository
from traceability.repositories.registry import LotRepository
from traceability.repositories.trace import (
    RememberingTraceRepository,
    TracedEvent,
    TraceRepository,
)
from traceability.services.audit import AuditService, LotAudit
from traceability.services.provenance.model import (
    Certification,
    LotInfo,
    LotRef,
    Party,
    Place,
    ProductInfo,
    Provenance,
    Recall,
    Stage,
    Verification,
)
from traceability.services.trace import TraceService
from traceability.services.trace.results import Journey, JourneyStage, KnownChain

# A product page lists its newest lots; older ones are reached by their own codes.
PRODUCT_PAGE_LOTS: Final = 50
# The CBV disposition that puts a lot under recall, and the organisation role that may put
# any lot under it (see traceability.services.capture).
RECALLED: Final = "recalled"
AUTHORITY_ROLE: Final = "inspector"
_SIGNATURE_FAULTS: Final = frozenset({Fault.BAD_SIGNATURE, Fault.UNKNOWN_KEY, Fault.KEY_NOT_VALID})


def _party(org: Organization) -> Party:
    return Party(name=org.name, address=org.address, province=org.province, tax_code=org.tax_code)


def _place(location: Location) -> Place:
    return Place(
        gln=location.gln,
        name=location.name,
        address=location.address,
        province=location.province,
        latitude=location.latitude,
        longitude=location.longitude,
    )


def _product(row: Product) -> ProductInfo:
    return ProductInfo(
        gtin=row.gtin,
        name=row.name,
        name_en=row.name_en,
        brand=row.brand,
        category=row.category,
        category_en=row.category_en,
        description=row.description,
        description_en=row.description_en,
        image_url=row.image_url,
        applied_standards=tuple(row.applied_standards or ()),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _certification(raw: Mapping[str, Any]) -> Certification:
    until = _text(raw.get("valid_until"))
    try:
        valid_until = date.fromisoformat(until) if until else None
    except ValueError:
        valid_until = None
    return Certification(
        scheme=_text(raw.get("scheme")) or _text(raw.get("name")) or "?",
        number=_text(raw.get("number")),
        issuer=_text(raw.get("issuer")),
        valid_until=valid_until,
        url=_text(raw.get("url")),
    )


def lot_path(gtin: str, lot: str) -> str:
    return digital_link_path(DigitalLink(gtin=gtin, lot=lot))


def _lot_refs(
    edges: Sequence[Any], side: str, journey: Journey, english: Mapping[str, str]
) -> dict[str, tuple[LotRef, ...]]:
    """Per event id, the lots on ``side`` ("parent" inputs or "child" outputs) of its edges;
    ``english``: product names in English, by GTIN."""
    found: dict[str, list[LotRef]] = {}
    for edge in edges:
        node = journey.nodes.get(getattr(edge, side))
        if node is None or node.kind != "lot" or node.gtin is None or node.lot is None:
            continue
        path = lot_path(node.gtin, node.lot)
        ref = LotRef(node.gtin, node.lot, path, node.product_name, english.get(node.gtin))
        found.setdefault(edge.event_id, []).append(ref)
    return {event_id: tuple(refs) for event_id, refs in found.items()}


def verification_of(audit: LotAudit) -> Verification:
    bad = audit.result.first_bad
    indexes = tuple(e.entry.log.index for e in audit.events if e.entry.log is not None)
    size = audit.checkpoint.size if audit.checkpoint is not None else 0
    latest = max(indexes) if indexes else 0
    return Verification(
        intact=audit.intact,
        signatures_valid=bad is None or bad.fault not in _SIGNATURE_FAULTS,
        checked=audit.result.checked,
        problem=bad.message if bad else audit.log_problem,
        problem_kind=bad.fault.value if bad else "log" if audit.log_problem else None,
        checkpoint_size=size,
        log_indexes=indexes,
        proof_path=f"/log/proof/inclusion?index={latest}&size={max(size, 1)}",
    )


class ProvenanceService:
    def __init__(self, audit: AuditService, trace: TraceService) -> None:
        self.audit = audit
        self.trace = trace

    async def product(self, session: AsyncSession, link: DigitalLink) -> Provenance:
        product, producer = await self._product(session, link.gtin)
        lots = await LotRepository(session).newest_of_product(product.id, PRODUCT_PAGE_LOTS)
        return Provenance(
            level="product",
            canonical_path=digital_link_path(link),
            product=_product(product),
            producer=_party(producer),
            cpv=link.cpv,
            lots=tuple(
                LotRef(
                    row.gtin,
                    row.lot_code,
                    lot_path(row.gtin, row.lot_code),
                    product.name,
                    product.name_en,
                )
                for row in lots
            ),
        )

    async def item_lot(self, session: AsyncSession, link: DigitalLink) -> str | None:
        """The lot a serialised item belongs to, as its commissioning recorded it."""
        if link.serial is None:
            return link.lot
        known = await InstanceRepository(session).lots_of([(link.gtin, link.serial)])
        recorded = known.get((link.gtin, link.serial))
        if link.lot is not None and recorded is not None and recorded != link.lot:
            raise NotFound(
                f"item {link.serial} was recorded in lot {recorded}, not in lot {link.lot}",
                field="serial",
                reason="item_in_other_lot",
                facts={"serial": link.serial, "lot": link.lot, "recorded": recorded},
            )
        return recorded or link.lot

    async def issued(self, session: AsyncSession, link: DigitalLink, lot_code: str | None) -> bool:
        """Whether the GTIN's owner issued ``link``'s serial: printed it on a label sheet (of
        ``lot_code``, when the item's lot is known) or commissioned the item, named with or
        without its lot."""
        if link.serial is None:
            return False
        names = {digital_link_path(DigitalLink(gtin=link.gtin, serial=link.serial))}
        if lot_code is not None:
            names.add(digital_link_path(DigitalLink(link.gtin, lot_code, link.serial)))
        return await IssuedSerialRepository(session).issued(
            link.gtin, link.serial, lot_code, sorted(names)
        )

    async def lot(self, session: AsyncSession, link: DigitalLink, lot_code: str) -> Provenance:
        """A lot's (or an item's) provenance. Run it in a read-only snapshot
        (``read(snapshot=True)``): the audit and the journey then describe one moment (see
        AuditService.audit_lot).

        The lot's chain is read once, for the audit and the journey; the registry rows read
        up front (product, producer, lot, origin) are not read again by the trace."""
        read = await LotPageRepository(session).lot_page(link.gtin, lot_code)
        if read is None:
            raise _unknown_product(link.gtin)
        head, chain = read.head, read.chain
        product, producer = head.product, head.producer
        if head.lot is None and not head.has_chain:
            raise NotFound(
                f"no lot {lot_code} of product {product.gtin} is known",
                field="lot",
                reason="unknown_lot",
                facts={"gtin": product.gtin, "lot": lot_code},
            )
        key = LotKey(normalize_gtin(product.gtin), validate_lot(lot_code))
        repo = RememberingTraceRepository(session)
        repo.remember(
            lots={(product.gtin, lot_code): head.lot},
            products=[product],
            organizations=[producer, *_recorders(chain)],
            locations={
                **read.locations,
                **({head.origin.gln: head.origin} if head.origin else {}),
            },
        )
        journey = await self.trace.journey(
            session, product.gtin, lot_code, known=_known_chain(chain), repo=repo
        )
        audit = (
            await self.audit.audit_read_chain(
                session, key, chain, with_proofs=False, log_head=read.log, nodes_read=read.nodes
            )
            if chain
            else None
        )
        stages, recall = await self._stages(repo, journey)
        return Provenance(
            level="serial" if link.serial is not None else "lot",
            canonical_path=digital_link_path(link),
            product=_product(product),
            producer=_party(producer),
            lot=_lot_info(head.lot, head.origin, lot_code),
            serial=link.serial,
            cpv=link.cpv,
            stages=stages,
            verification=verification_of(audit) if audit else None,
            recall=recall,
        )

    async def _product(self, session: AsyncSession, gtin: str) -> tuple[Product, Organization]:
        found = await PageRepository(session).product_head(gtin)
        if found is None:
            raise _unknown_product(gtin)
        return found

    async def _stages(
        self, repo: TraceRepository, journey: Journey
    ) -> tuple[tuple[Stage, ...], Recall]:
        """The journey's stages, each attributed to the organisation that recorded (and
        signed) it, and the recall the lot is under, if any."""
        glns = sorted({j.stage.location_gln for j in journey.stages if j.stage.location_gln})
        locations = await repo.locations_by_gln(glns)
        organizations = await repo.organizations_by_id(
            sorted({j.organization_id for j in journey.stages})
        )
        english = await _english_names(repo, journey)
        inputs = _lot_refs(journey.inputs, "parent", journey, english)
        outputs = _lot_refs(journey.outputs, "child", journey, english)
        stages = []
        recall = Recall(False)
        for item in journey.stages:
            stage = item.stage
            gln = stage.location_gln
            location = locations.get(gln) if gln else None
            organization = organizations.get(item.organization_id)
            shown = Stage(
                event_id=stage.event_id,
                event_type=stage.event_type,
                biz_step=stage.biz_step,
                action=stage.action,
                disposition=stage.disposition,
                time=stage.event_time,
                time_zone=stage.event_time_zone_offset,
                place=_place(location) if location else Place(gln) if gln else None,
                party=_party(organization) if organization else Party(name="?"),
                inputs=inputs.get(stage.event_id, ()),
                outputs=outputs.get(stage.event_id, ()),
                upstream=_upstream_refs(journey, item, inputs.get(stage.event_id, ()), english),
            )
            stages.append(shown)
            if not recall.recalled and shown.disposition == RECALLED:
                recall = _recall(journey, item, shown, organization)
        return tuple(stages), recall


def _unknown_product(gtin: str) -> NotFound:
    return NotFound(
        f"no product with GTIN {gtin} is registered",
        field="gtin",
        reason="unknown_product",
        facts={"gtin": gtin},
    )


def _lot_info(row: Lot | None, origin: Location | None, code: str) -> LotInfo:
    if row is None:
        return LotInfo(lot=code)
    return LotInfo(
        lot=row.lot_code,
        production_date=row.production_date,
        expiry_date=row.expiry_date,
        quantity=row.quantity,
        unit=row.unit,
        origin=_place(origin) if origin else None,
        certifications=tuple(_certification(c) for c in row.certifications or ()),
    )


def _recorders(chain: LotChain | None) -> list[Organization]:
    """The organisations that recorded the chain's events, read with it: the stages name
    them without reading them again."""
    if chain is None:
        return []
    return [e.organization for e in chain.events if e.organization is not None]


def _known_chain(chain: LotChain | None) -> KnownChain:
    """The chain the audit reads, as the journey reads a lot's events."""
    if chain is None:
        return KnownChain((), frozenset())
    return KnownChain(
        tuple(
            TracedEvent(e.pk, e.event_id, e.event, e.organization_id, e.declares_error)
            for e in chain.events
        ),
        # A declaration row is "retracted" by itself; only the events it retracts count.
        frozenset(e.event_id for e in chain.events if e.retracted and not e.declares_error),
    )


def _upstream_refs(
    journey: Journey, item: JourneyStage, inputs: tuple[LotRef, ...], english: Mapping[str, str]
) -> tuple[LotRef, ...]:
    """The upstream lots a stage concerned, but those it lists as its inputs."""
    listed = {(ref.gtin, ref.lot) for ref in inputs}
    refs = []
    for key in item.lots:
        if (key.gtin, key.lot) in listed:
            continue
        node = journey.nodes.get(node_id(key))
        name = node.product_name if node else None
        path = lot_path(key.gtin, key.lot)
        refs.append(LotRef(key.gtin, key.lot, path, name, english.get(key.gtin)))
    return tuple(refs)


async def _english_names(repo: TraceRepository, journey: Journey) -> dict[str, str]:
    """The English names of the journey's products, by GTIN (the trace read their rows, which
    a remembering repository hands back without reading them again)."""
    gtins = sorted({node.gtin for node in journey.nodes.values() if node.gtin})
    products = await repo.products_by_gtin(gtins)
    return {gtin: row.name_en for gtin, row in products.items() if row.name_en}


def _recall(
    journey: Journey, item: JourneyStage, stage: Stage, organization: Organization | None
) -> Recall:
    """The recall a stage with the CBV disposition ``recalled`` puts the lot under: honoured
    when the lot the stage is about (this one, or the upstream lot it was made from) is the
    recording organisation's own, or when an inspector organisation recorded it as the
    authority; anybody else's says nothing. Only a declared error (a new event of the same
    organisation) takes a recall back."""
    if organization is None:
        return Recall(False)
    about = journey.nodes.get(node_id(item.upstream or journey.lot))
    by_owner = about is not None and about.owner_id == organization.id
    by_authority = organization.role == AUTHORITY_ROLE
    if not (by_owner or by_authority):
        return Recall(False)
    return Recall(
        True,
        since=stage.time,
        event_id=stage.event_id,
        ordered_by=_party(organization),
        by_authority=by_authority,
    )
