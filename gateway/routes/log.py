"""The public transparency-log endpoints (C2SP checkpoint with witness cosignatures, C2SP
tiles, RFC 9162 proofs, the witnesses' status)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, BeforeValidator, Field

from gateway.deps import PortalDep, ReadSession
from gateway.errors import PUBLIC_ERRORS
from gateway.public.front_cache import front_cached
from gateway.public.tiles import TILE_MEDIA_TYPE, load_tile, respond
from gateway.responses import JSONResponse
from traceability.log.merkle import leaf_hash

router = APIRouter(prefix="/log", tags=["transparency log"], responses=PUBLIC_ERRORS)

# Leaf indexes and sizes are 64-bit in storage; larger ones cannot exist.
MAX_INDEX = 2**63 - 1
NO_CACHE = {"Cache-Control": "no-cache"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,18})$")


def _decimal(value: object) -> object:
    """Indexes and sizes written one way only: answers are cached as immutable per URL, so
    ``1.0``, ``01``, ``+1`` or ``1_0`` (which pydantic would read as numbers) are refused."""
    if isinstance(value, str) and not _DECIMAL.match(value):
        raise ValueError("must be written as plain decimal digits, without sign or leading zeros")
    return value


# A leaf index and a tree size, each in its one decimal form. The bounds sit inside, under
# the form check, so the OpenAPI schema states them as minimum and maximum.
LogIndex = Annotated[int, Field(ge=0, le=MAX_INDEX), BeforeValidator(_decimal)]
LogSize = Annotated[int, Field(ge=1, le=MAX_INDEX), BeforeValidator(_decimal)]


class InclusionProofOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    hashes: list[str]


class ConsistencyProofOut(BaseModel):
    first: int
    second: int
    hashes: list[str]


class LeafOut(BaseModel):
    index: int
    event_hash: str
    leaf_hash: str
    event_id: str


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    summary="The latest signed checkpoint (C2SP signed note)",
)
async def checkpoint(portal: PortalDep, session: ReadSession) -> PlainTextResponse:
    # Read only: the log signs as it grows, never because someone asked. The log's own
    # signature line comes first, then the witnesses' cosignatures (C2SP tlog-cosignature).
    stored = await portal.transparency.latest_checkpoint(session)
    note = await portal.witnessing.cosigned_note(session, stored.size, stored.note)
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8", headers=front_cached())


class WitnessOut(BaseModel):
    name: str = Field(description="the witness's key name")
    key: str = Field(description="its verifier key (name+keyid+base64(0x04 || public key))")
    url: str = Field(description="its URL prefix; it answers POST {url}/add-checkpoint")
    cosigned_size: int | None = Field(description="size of the newest checkpoint it cosigned")
    cosigned_at: str | None = Field(description="the time in its newest cosignature (RFC 3339)")
    lag: int | None = Field(description="leaves between the log's newest checkpoint and that")
    attempted_at: str | None = Field(description="when the portal last asked it")
    last_error: str | None = Field(description="why it did not cosign, at the last attempt")
    error_at: str | None


class WitnessesOut(BaseModel):
    size: int = Field(description="tree size of the log's newest checkpoint")
    quorum: int = Field(description="cosignatures a checkpoint needs to count as witnessed")
    cosigned_by: list[str] = Field(description="witnesses that cosigned the newest checkpoint")
    quorum_met: bool
    witnesses: list[WitnessOut]


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@router.get(
    "/witnesses",
    response_model=WitnessesOut,
    summary="How current each witness is: newest size cosigned, lag, last error",
)
async def witnesses(portal: PortalDep, session: ReadSession) -> JSONResponse:
    size, reports = await portal.witnessing.report(session)
    stored = await portal.transparency.latest_checkpoint(session)
    note = await portal.witnessing.cosigned_note(session, stored.size, stored.note)
    cosigned_by = portal.witnessing.witnessed(note)
    body = {
        "size": size,
        "quorum": portal.witnessing.quorum,
        "cosigned_by": list(cosigned_by),
        "quorum_met": len(cosigned_by) >= portal.witnessing.quorum,
        "witnesses": [
            {
                "name": r.name,
                "key": r.key,
                "url": r.url,
                "cosigned_size": r.cosigned_size,
                "cosigned_at": _time(r.cosigned_at),
                "lag": r.lag,
                "attempted_at": _time(r.attempted_at),
                "last_error": r.last_error,
                "error_at": _time(r.error_at),
            }
            for r in reports
        ],
    }
    return JSONResponse(body, headers=front_cached())


@router.get(
    "/key",
    response_class=PlainTextResponse,
    summary="The log's verifier key (C2SP note verifier key: name+keyid+base64)",
)
async def key(portal: PortalDep) -> PlainTextResponse:
    return PlainTextResponse(
        portal.transparency.verifier_key() + "\n", media_type="text/plain; charset=utf-8"
    )


@router.get(
    "/proof/inclusion", response_model=InclusionProofOut, summary="RFC 9162 inclusion proof"
)
async def inclusion(
    portal: PortalDep,
    session: ReadSession,
    index: Annotated[LogIndex, Query(description="leaf index")],
    size: Annotated[LogSize, Query(description="tree size the proof is for")],
) -> JSONResponse:
    proof = await portal.transparency.inclusion_proof(session, index, size)
    return JSONResponse(
        {
            "index": proof.index,
            "size": proof.size,
            "leaf_hash": proof.leaf_hash.hex(),
            "hashes": [h.hex() for h in proof.hashes],
        },
        headers=IMMUTABLE,
    )


@router.get(
    "/proof/consistency", response_model=ConsistencyProofOut, summary="RFC 9162 consistency proof"
)
async def consistency(
    portal: PortalDep,
    session: ReadSession,
    first: Annotated[LogSize, Query(description="older tree size")],
    second: Annotated[LogSize, Query(description="newer tree size")],
) -> JSONResponse:
    hashes = await portal.transparency.consistency_proof(session, first, second)
    return JSONResponse(
        {"first": first, "second": second, "hashes": [h.hex() for h in hashes]},
        headers=IMMUTABLE,
    )


@router.get("/leaves/{index}", response_model=LeafOut, summary="One log leaf: an event hash")
async def leaf(
    portal: PortalDep,
    session: ReadSession,
    index: Annotated[LogIndex, Path(description="leaf index")],
) -> JSONResponse:
    found = await portal.transparency.leaf(session, index)
    return JSONResponse(
        {
            "index": found.index,
            "event_hash": found.event_hash.hex(),
            "leaf_hash": leaf_hash(found.event_hash).hex(),
            "event_id": found.event_id,
        },
        headers=IMMUTABLE,
    )


_TILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {TILE_MEDIA_TYPE: {}}, "description": "the tile's bytes"},
}
# The one spelling of a tile path C2SP tlog-tiles writes (traceability.log.tiles): level 0 to
# 63 or "entries", the index in 3-digit elements all but the last after an "x" (no leading
# x000), and a partial tile's width 1 to 255, none with leading zeros.
TILE_PATH_PATTERN = (
    r"^(?:entries|[0-9]|[1-5][0-9]|6[0-3])/"
    r"(?:x(?:00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})/(?:x[0-9]{3}/)*)?[0-9]{3}"
    r"(?:\.p/(?:[1-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?$"
)


@router.get(
    "/tile/{tile_path:path}",
    response_class=Response,
    responses=_TILE_RESPONSES,
    summary="A C2SP tlog-tiles hash tile or entry bundle",
    description=(
        "`/log/tile/<L>/<N>[.p/<W>]`: up to 256 Merkle Tree Hashes of tree level 8L "
        "(level 0: leaf hashes), N written in 3-digit elements (1234067 is x001/x234/067). "
        "`/log/tile/entries/<N>[.p/<W>]`: the log entries (32-byte event hashes) level-0 "
        "tile N hashes, each after its length as a big-endian uint16. A full tile the tree "
        "does not have yet is 404; a full tile never changes and is cached for a year."
    ),
)
async def tile(
    request: Request,
    portal: PortalDep,
    tile_path: Annotated[
        str,
        Path(
            description="<L>/<N>[.p/<W>] or entries/<N>[.p/<W>]",
            json_schema_extra={"pattern": TILE_PATH_PATTERN},
        ),
    ],
) -> Response:
    return respond(request, await load_tile(request.app.state, portal, tile_path))
