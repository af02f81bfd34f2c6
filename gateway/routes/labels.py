"""Printable label sheets of a lot's QR codes (A4 PDF), and the test page of each label stock.

Include this router before the registry's: its ``/api/v1/lots/{gtin}/{lot:path}`` would
otherwise take ``.../labels.pdf`` for a lot code with a '/' in it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from gateway.auth import Caller
from gateway.checked_route import CheckedRoute
from gateway.deps import PortalDep, WriteSession
from gateway.errors import API_ERRORS
from gateway.schemas.identifiers import GtinPath, LotPath
from gateway.schemas.labels import LayoutQuery
from traceability.printing.alignment_sheet import alignment_sheet
from traceability.printing.label_sheet import MAX_LABELS, label_sheet
from traceability.printing.layouts import DEFAULT_LAYOUT, LAYOUTS, MIN_MODULE_MM
from traceability.printing.qr import ErrorCorrection
from traceability.services.labels import LabelService

router = APIRouter(
    prefix="/api/v1", tags=["labels"], responses=API_ERRORS, route_class=CheckedRoute
)
_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the PDF"}
}


@router.get(
    "/lots/{gtin}/{lot:path}/labels.pdf",
    summary="An A4 sheet of the lot's QR codes on label stock, with the product's name, the "
    "lot and the serial printed beside or under each",
    description="A layout whose labels are too small for the codes (modules under "
    f"{MIN_MODULE_MM} mm, with the quiet zone kept) is refused with 400, naming the layouts "
    "that fit. Print GET /api/v1/labels/test-page.pdf first to check the printer's alignment.",
    response_class=Response,
    responses=_PDF,
)
async def lot_labels(
    gtin: GtinPath,
    lot: LotPath,
    caller: Caller,
    portal: PortalDep,
    session: WriteSession,
    serials: Annotated[
        str | None,
        Query(
            description="serial numbers, one label each: ranges of digits and single serials, "
            "comma-separated (1-500, 0001-0500, 7,9,20-30); a range keeps the width of its "
            f"first number; at most {MAX_LABELS:,}. Without it, a page of the lot's code. "
            "The lot owner's sheet issues these serials: the resolver shows them as the "
            "producer's items, and a serial never issued as unknown to the producer.",
            max_length=2_000,
        ),
    ] = None,
    ecc: Annotated[ErrorCorrection, Query(description="error-correction level")] = "M",
    layout: LayoutQuery = DEFAULT_LAYOUT,
) -> Response:
    stock = LAYOUTS[layout]
    service = LabelService(portal.reader, portal.settings.base_url)
    labels = await service.lot_labels(session, caller, gtin, lot, serials, stock)
    # Seconds of drawing for thousands of labels: off the event loop.
    pdf = await asyncio.to_thread(
        label_sheet, labels, layout=stock, ecc=ecc, title=f"{gtin} {lot} labels"
    )
    filename = f"labels-{gtin}-{lot}-{layout}.pdf".replace("/", "_").replace('"', "_")
    return _inline_pdf(pdf, filename)


@router.get(
    "/labels/test-page.pdf",
    summary="The print margin test page of a label stock: every label's outline, where its "
    "code and text go, and rulers, to print on plain paper and lay over a label sheet",
    response_class=Response,
    responses=_PDF,
)
async def label_test_page(_: Caller, layout: LayoutQuery = DEFAULT_LAYOUT) -> Response:
    pdf = await asyncio.to_thread(alignment_sheet, LAYOUTS[layout])
    return _inline_pdf(pdf, f"label-test-page-{layout}.pdf")


def _inline_pdf(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
