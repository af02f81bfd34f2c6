"""QR images of Digital Link URIs: ``/qr/01/{gtin}/10/{lot}[/21/{serial}].png`` and ``.svg``.

The code always holds the canonical URI under TRACE_BASE_URL, whatever form the path names
(a GTIN-13, say). The identifiers are read from the raw path with the Digital Link parser, so a
lot or serial with a percent-encoded '/' means what it says. An image depends only on (URI,
format, size, level): it is cached under a hash of those for a day, and so may browsers.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Query, Request, Response

from gateway.deps import PortalDep
from gateway.errors import PUBLIC_ERRORS
from gateway.schemas.identifiers import GtinPath, LotPath, SerialPath
from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import build_digital_link, parse_digital_link
from traceability.printing.qr import ErrorCorrection, pixel_side, png_bytes, qr_matrix, svg_text

router = APIRouter(prefix="/qr", tags=["qr"], responses=PUBLIC_ERRORS)

MAX_MODULE_PX: Final = 40
MAX_SIDE_PX: Final = 4_000
CACHE_CONTROL: Final = "public, max-age=86400"
CACHE_TTL_SECONDS: Final = 86_400
Format = Literal["png", "svg"]
MEDIA_TYPES: Final[dict[Format, str]] = {"png": "image/png", "svg": "image/svg+xml"}

Size = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_MODULE_PX,
        description="pixels a module (the SVG's width and height scale the same way); "
        f"the whole image is at most {MAX_SIDE_PX} px wide",
    ),
]
Ecc = Annotated[
    ErrorCorrection,
    Query(description="error-correction level: L 7 %, M 15 %, Q 25 %, H 30 % of the code"),
]
IMAGE_RESPONSES: Final[dict[int | str, dict[str, object]]] = {
    200: {"content": {"image/png": {}, "image/svg+xml": {}}, "description": "the QR code"},
    304: {"description": "the ETag in If-None-Match still matches"},
}


def render(uri: str, fmt: Format, size: int, ecc: ErrorCorrection) -> bytes:
    matrix = qr_matrix(uri, ecc)
    side = pixel_side(matrix, size)
    if side > MAX_SIDE_PX:
        raise InvalidInput(
            f"at {size} px a module this code is {side} px wide, over the {MAX_SIDE_PX} px "
            "limit; ask for a smaller size",
            field="size",
        )
    return png_bytes(matrix, size) if fmt == "png" else svg_text(matrix, size).encode()


def etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


async def qr_image(
    request: Request, portal: PortalDep, fmt: Format, size: int, ecc: ErrorCorrection
) -> Response:
    raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    path = raw_path.decode("latin-1").removesuffix(f".{fmt}")
    link = parse_digital_link(path).link
    uri = build_digital_link(portal.settings.base_url, link)
    key = "qr:" + hashlib.sha256(f"{uri}\n{fmt}\n{size}\n{ecc}".encode()).hexdigest()
    use_cache = portal.settings.public_cache
    body = await portal.cache.get(key) if use_cache else None
    if body is None:
        # A large PNG takes milliseconds to compress: off the event loop.
        body = await asyncio.to_thread(render, uri, fmt, size, ecc)
        if use_cache:
            await portal.cache.set(key, body, CACHE_TTL_SECONDS)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/01/{gtin}/10/{lot}/21/{serial}.png",
    summary="PNG QR code of a serialised item's Digital Link URI",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def item_png(
    gtin: GtinPath,
    lot: LotPath,
    serial: SerialPath,
    request: Request,
    portal: PortalDep,
    size: Size = 8,
    ecc: Ecc = "M",
) -> Response:
    return await qr_image(request, portal, "png", size, ecc)


@router.get(
    "/01/{gtin}/10/{lot}/21/{serial}.svg",
    summary="SVG QR code of a serialised item's Digital Link URI",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def item_svg(
    gtin: GtinPath,
    lot: LotPath,
    serial: SerialPath,
    request: Request,
    portal: PortalDep,
    size: Size = 8,
    ecc: Ecc = "M",
) -> Response:
    return await qr_image(request, portal, "svg", size, ecc)


# {lot:path}: a lot with an encoded '/' arrives decoded; the raw path is what is parsed.
@router.get(
    "/01/{gtin}/10/{lot:path}.png",
    summary="PNG QR code of a lot's Digital Link URI",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def lot_png(
    gtin: GtinPath,
    lot: LotPath,
    request: Request,
    portal: PortalDep,
    size: Size = 8,
    ecc: Ecc = "M",
) -> Response:
    return await qr_image(request, portal, "png", size, ecc)


@router.get(
    "/01/{gtin}/10/{lot:path}.svg",
    summary="SVG QR code of a lot's Digital Link URI",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def lot_svg(
    gtin: GtinPath,
    lot: LotPath,
    request: Request,
    portal: PortalDep,
    size: Size = 8,
    ecc: Ecc = "M",
) -> Response:
    return await qr_image(request, portal, "svg", size, ecc)
