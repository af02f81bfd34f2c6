"""What the in-browser verifier reads: its script, a lot's public evidence, one event's proof.

A provenance page loads ``/static/verify.js`` (the portal's own code, no third party), which
fetches ``/api/v1/evidence/lots/{gtin}/{lot}`` (the lot's evidence bundle, docs/BUNDLE.md)
and checks it with WebCrypto. ``/log/leaves/{index}/proof`` gives one log entry's C2SP
tlog-proof against the newest witnessed checkpoint that holds it, for anyone to keep or check
on its own. ``/verify`` is a page that checks a bundle file or a Digital Link against a key
the reader gives it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import PlainTextResponse, StreamingResponse

from gateway.deps import PortalDep, SnapshotSession
from gateway.errors import PUBLIC_ERRORS
from gateway.pages.render import HTML_MEDIA_TYPE
from gateway.pages.verify_page import VERIFY_SECURITY_HEADERS, verify_renderer
from gateway.public.negotiation import language
from gateway.routes.home import LangQuery
from gateway.routes.log import NO_CACHE, LogIndex
from gateway.schemas.identifiers import GtinPath, LotPath
from traceability.errors import NotFound
from traceability.log.tlog_proof import TlogProof

router = APIRouter(responses=PUBLIC_ERRORS)

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
VERIFY_SCRIPT: Final[bytes] = (STATIC_DIR / "verify.js").read_bytes()
# Pages name the script without a version: a short lifetime lets a release reach phones.
SCRIPT_CACHE_CONTROL: Final = "public, max-age=300"
TLOG_PROOF_MEDIA_TYPE: Final = "text/plain; charset=utf-8"


@router.get("/static/verify.js", include_in_schema=False)
async def verify_script() -> Response:
    return Response(
        VERIFY_SCRIPT,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": SCRIPT_CACHE_CONTROL},
    )


@router.get(
    "/api/v1/evidence/lots/{gtin}/{lot:path}",
    tags=["resolver"],
    summary="A lot's public evidence: its evidence bundle (docs/BUNDLE.md), for anyone to "
    "verify, the lot page's own script included",
)
async def lot_evidence(
    gtin: GtinPath, lot: LotPath, portal: PortalDep, session: SnapshotSession
) -> StreamingResponse:
    if not portal.settings.public_evidence:
        raise NotFound(
            "this portal does not publish lots' evidence (TRACE_PUBLIC_EVIDENCE is off); "
            "an inspector downloads a lot's bundle from the audit API",
            field="gtin",
        )
    # Read whole before the answer starts: the snapshot closes when this returns.
    bundle = await portal.bundles.lot_bundle(session, gtin, lot)
    return StreamingResponse(bundle.json_chunks(), media_type="application/json", headers=NO_CACHE)


@router.get(
    "/log/leaves/{index}/proof",
    tags=["transparency log"],
    response_class=PlainTextResponse,
    summary="One log entry's C2SP tlog-proof (c2sp.org/tlog-proof@v1) against the newest "
    "checkpoint that holds it and met the witness quorum (the newest checkpoint when none "
    "did, or without witnesses): index, inclusion path and the signed checkpoint with its "
    "cosignatures",
    responses={200: {"content": {TLOG_PROOF_MEDIA_TYPE: {}}}},
)
async def leaf_proof(
    portal: PortalDep,
    session: SnapshotSession,
    index: Annotated[LogIndex, PathParameter(description="leaf index")],
) -> PlainTextResponse:
    newest = await portal.transparency.latest_checkpoint(session)
    if index >= newest.size:
        # As /log/leaves/{index}: an entry the signed log does not hold yet is not found.
        raise NotFound(f"the signed log has no entry {index}", field="index")
    # As a lot's evidence: against the newest checkpoint the witnesses' quorum cosigned that
    # holds the entry, when there is one.
    checkpoint = await portal.witnessing.evidence_checkpoint(session, newest, index + 1)
    proof = await portal.transparency.inclusion_proof(session, index, checkpoint.size)
    text = TlogProof(index, tuple(proof.hashes), checkpoint.note).text()
    return PlainTextResponse(text, media_type=TLOG_PROOF_MEDIA_TYPE, headers=NO_CACHE)


@router.get("/verify", include_in_schema=False)
async def verify_page(request: Request, lang: LangQuery = None) -> Response:
    """Check a bundle file or a Digital Link in the browser; saveable as one file."""
    page_language = language(lang, request.headers.get("accept-language"))
    return Response(
        verify_renderer.render(page_language),
        media_type=HTML_MEDIA_TYPE,
        headers=VERIFY_SECURITY_HEADERS
        | {
            "Content-Language": page_language,
            "Vary": "Accept-Language",
            "Cache-Control": SCRIPT_CACHE_CONTROL,
        },
    )
