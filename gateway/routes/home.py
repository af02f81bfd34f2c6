"""The portal's home page (``/``) and its lookup box (``/lookup``).

A lookup that names a product, lot or item is sent (303) to its canonical Digital Link
path on this portal, the page its QR code opens; anything else shows the home page again,
saying what was wrong in the page's language (400), or, to a client asking for JSON, a
problem+json. Neither reads the database: the resolver answers the page it leads to.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request, Response

from gateway.pages.home import HOME_SECURITY_HEADERS, LookupInput, home_renderer
from gateway.pages.home_messages import problem_message
from gateway.pages.render import HTML_MEDIA_TYPE
from gateway.public.negotiation import Language, language, representation
from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import digital_link_path
from traceability.identifiers.lookup import Unreadable, read_lookup

router = APIRouter(tags=["home"])
# The page changes only with a release; a minute keeps a busy front page cheap.
HOME_CACHE_CONTROL: Final = "public, max-age=60"

LangQuery = Annotated[str | None, Query(max_length=20, description="vi or en")]


def home_page(
    lang: Language,
    status: int = 200,
    problem: Unreadable | None = None,
    typed: LookupInput | None = None,
) -> Response:
    body = home_renderer.render_home(lang, problem=problem, typed=typed)
    headers = HOME_SECURITY_HEADERS | {"content-language": lang, "vary": "Accept-Language"}
    if status == 200:
        headers["cache-control"] = HOME_CACHE_CONTROL
    return Response(body, status, media_type=HTML_MEDIA_TYPE, headers=headers)


@router.get("/", include_in_schema=False)
async def home(request: Request, lang: LangQuery = None) -> Response:
    return home_page(language(lang, request.headers.get("accept-language")))


@router.get("/lookup", include_in_schema=False)
async def lookup(
    request: Request,
    gtin: Annotated[str | None, Query(max_length=100)] = None,
    lot: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    lang: LangQuery = None,
) -> Response:
    page_language = language(lang, request.headers.get("accept-language"))
    found = read_lookup(gtin, lot, q)
    if isinstance(found, Unreadable):
        if representation(request.headers.get("accept"), None) == "json":
            raise InvalidInput(problem_message(found, "en"), field=found.field)
        typed = LookupInput(gtin=gtin or "", lot=lot or "", q=q or "")
        return home_page(page_language, 400, problem=found, typed=typed)
    # Only the keys were read: the path is built from them, never taken from the input.
    location = digital_link_path(found) + ("?lang=en" if page_language == "en" else "")
    return Response(status_code=303, headers={"location": location})
