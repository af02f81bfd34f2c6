"""Inspector endpoints: a lot's audited chain, and the whole log audited leaf by leaf."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse, StreamingResponse

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession, SnapshotSession
from gateway.errors import API_ERRORS
from gateway.responses import JSONResponse
from gateway.routes.log import MAX_INDEX
from gateway.schemas.identifiers import GtinPath, LotPath
from traceability.services.audit import LotAudit
from traceability.services.trace.export import SORT_KEYS

router = APIRouter(
    prefix="/api/v1/audit", tags=["audit"], responses=API_ERRORS, route_class=CheckedRoute
)

# One request checks at most this many leaves (a few seconds of work); `next` pages on.
LOG_PAGE_MAX = 10_000
LOG_PAGE_DEFAULT = 5_000


def audit_json(audit: LotAudit) -> dict[str, Any]:
    bad = audit.result.first_bad
    return {
        "lot": {"gtin": audit.lot.gtin, "lot": audit.lot.lot},
        "intact": audit.intact,
        "checked": audit.result.checked,
        "first_bad": (
            {
                "fault": bad.fault.value,
                "seq": bad.seq,
                "event_id": bad.event_id,
                "message": bad.message,
            }
            if bad
            else None
        ),
        "log_problem": audit.log_problem,
        "checkpoint": (
            {"size": audit.checkpoint.size, "note": audit.checkpoint.note}
            if audit.checkpoint is not None
            else None
        ),
        "events": [
            {
                "event_id": e.entry.record.event_id,
                "event_hash": e.entry.stored_hash.hex(),
                "links": [link.to_json() for link in e.entry.record.links],
                "recorded_at": e.entry.record.hashed_document()["recorded_at"],
                "organization_id": e.entry.record.organization_id,
                "key_id": e.entry.record.key_id,
                "signed_by": e.signed_by,
                "signature": base64.b64encode(e.entry.signature).decode(),
                "log_index": e.entry.log.index if e.entry.log else None,
                "event": dict(e.entry.record.event),
            }
            for e in audit.events
        ],
    }


@router.get(
    "/log",
    summary="The whole log, leaf by leaf, read only: each leaf's event is stored, hashes to it "
    "and is signed by a key valid at its time; the tree recomputed from the leaves is the "
    "stored one and gives every stored checkpoint's root; the verdict names each kind of fault "
    "with its first place, and a range lists the checks it skipped",
)
async def audit_log(
    caller: Caller,
    portal: PortalDep,
    session: SnapshotSession,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX, description="first leaf to check")] = 0,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=LOG_PAGE_MAX,
            description="leaves to check from start; the answer's `next` is where to go on",
        ),
    ] = LOG_PAGE_DEFAULT,
) -> JSONResponse:
    portal.audit.ensure_log_auditor(caller)
    audit = await portal.audit.audit_log(session, start, limit)
    return JSONResponse(audit.to_json())


Direction = Annotated[Literal["back", "forward", "both"], Query(description="which way to walk")]


@router.get(
    "/lots/{gtin}/{lot:path}/one-step",
    summary="One step back and one step forward (Circular 02/2024/TT-BKHCN)",
)
async def one_step(
    gtin: GtinPath, lot: LotPath, caller: Caller, portal: PortalDep, session: ReadSession
) -> JSONResponse:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    return JSONResponse(await portal.trace.one_step(session, gtin, lot))


@router.get(
    "/lots/{gtin}/{lot:path}/trace",
    summary="Full genealogy: back to the origin lots, forward to every downstream lot",
)
async def trace(
    gtin: GtinPath,
    lot: LotPath,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    direction: Direction = "both",
    max_depth: Annotated[int, Query(alias="maxDepth", ge=1, le=200)] = 50,
) -> JSONResponse:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    return JSONResponse(await portal.trace.genealogy(session, gtin, lot, direction, max_depth))


@router.get(
    "/lots/{gtin}/{lot:path}/recall",
    summary="Recall scope: every affected downstream lot and who and where holds it",
)
async def recall(
    gtin: GtinPath, lot: LotPath, caller: Caller, portal: PortalDep, session: ReadSession
) -> JSONResponse:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    return JSONResponse(await portal.trace.recall_scope(session, gtin, lot))


@router.get(
    "/lots/{gtin}/{lot:path}/export.csv",
    summary="The lot's trace as CSV, one row per event, FSMA 204 key data elements as columns",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_csv(
    gtin: GtinPath,
    lot: LotPath,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    sort_by: Annotated[
        str, Query(alias="sortBy", json_schema_extra={"enum": list(SORT_KEYS)})
    ] = "event_time",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> Response:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    text = await portal.trace.export_csv(session, gtin, lot, sort_by, order == "desc")
    filename = f"trace-{gtin}-{lot}.csv".replace("/", "_").replace('"', "_")
    # A byte-order mark so spreadsheet programs read the Vietnamese text as UTF-8.
    return Response(
        ("\ufeff" + text).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/lots/{gtin}/{lot:path}/bundle",
    summary="A self-contained bundle to verify a lot offline (see docs/BUNDLE.md)",
)
async def lot_bundle(
    gtin: GtinPath, lot: LotPath, caller: Caller, portal: PortalDep, session: SnapshotSession
) -> StreamingResponse:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    # Read whole before the answer starts: the snapshot closes when this returns.
    bundle = await portal.bundles.lot_bundle(session, gtin, lot)
    filename = f"bundle-{gtin}-{lot}.json".replace("/", "_").replace('"', "_")
    # Written an event at a time: the whole JSON of a long lot is never one string in memory.
    return StreamingResponse(
        bundle.json_chunks(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/lots/{gtin}/{lot:path}",
    summary="A lot's chain: every event with its hash, links, signature, key and log index, "
    "and the verdict naming the first bad event",
)
async def audit_lot(
    gtin: GtinPath, lot: LotPath, caller: Caller, portal: PortalDep, session: SnapshotSession
) -> JSONResponse:
    await portal.audit.ensure_auditable(session, caller, gtin, lot)
    return JSONResponse(audit_json(await portal.audit.audit_lot(session, gtin, lot)))
