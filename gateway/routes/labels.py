"""Printable label sheets of a lot's QR codes (A4 PDF).

Include this router before the registry's: its ``/api/v1/lots/{gtin}/{lot:path}`` would
otherwise take ``.../labels.pdf`` for a lot code with a '/' in it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, ReadSession
from gateway.errors import API_ERRORS
from gateway.schemas.identifiers import GtinPath, LotPath
from traceability.printing.label_sheet import LABELS_PER_PAGE, MAX_LABELS, label_sheet
from traceability.printing.qr import ErrorCorrection
from traceability.services.labels import LabelService

router = APIRouter(
    prefix="/api/v1", tags=["labels"], responses=API_ERRORS, route_class=CheckedRoute
)


@router.get(
    "/lots/{gtin}/{lot:path}/labels.pdf",
    summary=f"An A4 sheet of the lot's QR codes, {LABELS_PER_PAGE} a page, with GTIN, lot and "
    "serial printed under each",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the label sheet"}},
)
async def lot_labels(
    gtin: GtinPath,
    lot: LotPath,
    caller: Caller,
    portal: PortalDep,
    session: ReadSession,
    serials: Annotated[
        str | None,
        Query(
            description="serial numbers, one label each: ranges of digits and single serials, "
            "comma-separated (1-500, 0001-0500, 7,9,20-30); a range keeps the width of its "
            f"first number; at most {MAX_LABELS:,}. Without it, a page of the lot's code.",
            max_length=2_000,
        ),
    ] = None,
    ecc: Annotated[ErrorCorrection, Query(description="error-correction level")] = "M",
) -> Response:
    service = LabelService(portal.reader, portal.settings.base_url)
    labels = await service.lot_labels(session, caller, gtin, lot, serials)
    # Seconds of drawing for thousands of labels: off the event loop.
    pdf = await asyncio.to_thread(label_sheet, labels, ecc=ecc, title=f"{gtin} {lot} labels")
    filename = f"labels-{gtin}-{lot}.pdf".replace("/", "_").replace('"', "_")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
