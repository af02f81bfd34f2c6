"""Links businesses attach to their codes on the resolver: who may manage them, and how.

Only the organisation that owns a product (or an admin acting for it) adds, changes or
deletes its links; inspectors and admins read every link, a producer its own. A link is not
an event: it may be deleted. The public resolver reads them with :meth:`public_links`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from traceability.clock import Clock, as_utc, utc_now
from traceability.db.models import ResolverLink
from traceability.errors import Conflict, Forbidden, InvalidInput, InvalidRows, NotFound
from traceability.identifiers.gs1 import normalize_gtin
from traceability.repositories.registry import ProductRepository
from traceability.repositories.resolver_links import ResolverLinkRepository
from traceability.resolver.anchors import Anchor, SerialRange
from traceability.resolver.fields import link_spec
from traceability.resolver.links import LinkSpec
from traceability.resolver.upload import Outcome, RowError, plan_upload
from traceability.services.access import READERS_OF_ALL, ensure_readable
from traceability.services.paging import Page, decode_token, encode_token, page_size
from traceability.services.registry import Principal


@dataclass(frozen=True)
class LinkRecord:
    id: str
    organization_id: str
    link: LinkSpec
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class UploadRow:
    row: int
    outcome: Outcome
    link: LinkSpec
    id: str | None  # None in a dry run of a link not stored yet


@dataclass(frozen=True)
class UploadResult:
    dry_run: bool
    rows: list[UploadRow]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)


def spec_of(row: ResolverLink) -> LinkSpec:
    serials = None
    if row.serial_first is not None and row.serial_last is not None:
        serials = SerialRange(row.serial_first, row.serial_last)
    return LinkSpec(
        anchor=Anchor(row.gtin, lot=row.lot, serial=row.serial, serials=serials),
        link_type=row.link_type,
        href=row.href,
        title=row.title,
        hreflang=tuple(row.hreflang.split()),
        media_type=row.media_type or None,
        context=row.context or None,
        is_default=row.is_default,
    )


def record_of(row: ResolverLink) -> LinkRecord:
    return LinkRecord(
        row.id, row.organization_id, spec_of(row), as_utc(row.created_at), as_utc(row.updated_at)
    )


def _refuse_inspectors(principal: Principal) -> None:
    if principal.role == "inspector":
        raise Forbidden("inspectors read links; they do not manage them")


class ResolverLinkService:
    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock

    async def _manager_of(self, session: AsyncSession, principal: Principal, gtin: str) -> str:
        """The organisation that manages ``gtin``'s links, if the caller may act for it."""
        product = await ProductRepository(session).by_gtin(gtin)
        if product is None:
            raise NotFound(f"product {gtin} is not registered", field="anchor")
        if principal.role != "admin" and product.organization_id != principal.organization_id:
            raise Forbidden(
                f"only the organisation that owns product {gtin} manages its links",
                field="anchor",
            )
        return product.organization_id

    def _row(self, organization_id: str, link: LinkSpec) -> ResolverLink:
        anchor, now = link.anchor, self.clock()
        return ResolverLink(
            id=str(uuid.uuid4()),
            organization_id=organization_id,
            gtin=anchor.gtin,
            anchor_key=anchor.key,
            lot=anchor.lot,
            serial=anchor.serial,
            serial_first=anchor.serials.first if anchor.serials else None,
            serial_last=anchor.serials.last if anchor.serials else None,
            link_type=link.link_type,
            href=link.href,
            title=link.title,
            hreflang=" ".join(link.hreflang),
            media_type=link.media_type or "",
            context=link.context or "",
            is_default=link.is_default,
            created_at=now,
            updated_at=now,
        )

    async def add(self, session: AsyncSession, principal: Principal, link: LinkSpec) -> LinkRecord:
        _refuse_inspectors(principal)
        organization_id = await self._manager_of(session, principal, link.anchor.gtin)
        links = ResolverLinkRepository(session)
        for row in await links.of_gtin(link.anchor.gtin):
            stored = spec_of(row)
            if stored.identity == link.identity:
                raise Conflict(
                    f"link {row.id} has the same anchor, linkType, hreflang, type and "
                    "context; delete it first, or upload to change it",
                    field="linkType",
                )
            if link.is_default and stored.is_default and stored.anchor == link.anchor:
                raise Conflict(
                    f"{link.anchor.key} already has a default link ({row.id}); an anchor has "
                    "at most one",
                    field="default",
                )
        return record_of(await links.add(self._row(organization_id, link)))

    async def get(self, session: AsyncSession, principal: Principal, link_id: str) -> LinkRecord:
        row = await ResolverLinkRepository(session).get(link_id)
        ensure_readable(principal, row.organization_id if row else None, f"link {link_id}")
        assert row is not None
        return record_of(row)

    async def page(
        self,
        session: AsyncSession,
        principal: Principal,
        gtin: str | None,
        token: str | None,
        limit: int | None,
    ) -> Page[LinkRecord]:
        after = decode_token(token)
        owner = None if principal.role in READERS_OF_ALL else principal.organization_id
        rows, last = await ResolverLinkRepository(session).page(
            owner,
            normalize_gtin(gtin) if gtin else None,
            after if isinstance(after, str) else None,
            page_size(limit),
        )
        return Page([record_of(r) for r in rows], encode_token(last) if last else None)

    async def delete(self, session: AsyncSession, principal: Principal, link_id: str) -> None:
        links = ResolverLinkRepository(session)
        row = await links.get(link_id)
        ensure_readable(principal, row.organization_id if row else None, f"link {link_id}")
        assert row is not None
        _refuse_inspectors(principal)
        await links.delete(row)

    async def public_links(self, session: AsyncSession, gtin: str) -> list[LinkSpec]:
        """Every link of ``gtin``: they are public, as the resolver's linksets show them."""
        return [spec_of(row) for row in await ResolverLinkRepository(session).of_gtin(gtin)]

    async def upload(
        self,
        session: AsyncSession,
        principal: Principal,
        rows: Sequence[Mapping[str, object]],
        *,
        dry_run: bool,
    ) -> UploadResult:
        """Add and change the links ``rows`` describe (row 1 first), or with ``dry_run`` only
        say what would change. Any wrong row refuses the whole upload (InvalidRows)."""
        _refuse_inspectors(principal)
        specs, errors = _parse_rows(rows)
        managers = await self._managers(session, principal, specs, errors)
        links = ResolverLinkRepository(session)
        stored = await links.of_gtins([link.anchor.gtin for _, link in specs])
        by_identity = {spec_of(row).identity: row for row in stored}
        plans, plan_errors = plan_upload([spec_of(row) for row in stored], specs)
        errors.extend(plan_errors)
        if errors:
            raise InvalidRows(
                f"{len(errors)} row(s) of the upload are wrong; nothing was stored",
                [{"row": e.row, "field": e.field, "message": e.message} for e in errors],
            )
        result: list[UploadRow] = []
        for plan in plans:
            row = by_identity.get(plan.link.identity)
            if not dry_run and plan.outcome == "added":
                row = await links.add(self._row(managers[plan.link.anchor.gtin], plan.link))
            elif not dry_run and plan.outcome == "changed" and row is not None:
                row.href, row.title = plan.link.href, plan.link.title
                row.is_default, row.updated_at = plan.link.is_default, self.clock()
            result.append(UploadRow(plan.row, plan.outcome, plan.link, row.id if row else None))
        await session.flush()
        return UploadResult(dry_run, result)

    async def _managers(
        self,
        session: AsyncSession,
        principal: Principal,
        specs: Sequence[tuple[int, LinkSpec]],
        errors: list[RowError],
    ) -> dict[str, str]:
        """The managing organisation of each GTIN the upload names. A row of an unregistered
        GTIN is an error of its row; one of another organisation's GTIN refuses the upload."""
        managers: dict[str, str] = {}
        unknown: dict[str, NotFound] = {}
        for number, link in specs:
            gtin = link.anchor.gtin
            if gtin not in managers and gtin not in unknown:
                try:
                    managers[gtin] = await self._manager_of(session, principal, gtin)
                except NotFound as exc:
                    unknown[gtin] = exc
                except Forbidden as exc:
                    raise Forbidden(f"row {number}: {exc.message}", field="anchor") from None
            if gtin in unknown:
                errors.append(RowError(number, "anchor", unknown[gtin].message))
        return managers


def _parse_rows(
    rows: Sequence[Mapping[str, object]],
) -> tuple[list[tuple[int, LinkSpec]], list[RowError]]:
    specs: list[tuple[int, LinkSpec]] = []
    errors: list[RowError] = []
    for number, fields in enumerate(rows, start=1):
        try:
            specs.append((number, link_spec(fields)))
        except InvalidInput as exc:
            errors.append(RowError(number, exc.field, exc.message))
    return specs, errors
