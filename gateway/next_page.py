"""The headers of an EPCIS answer that has more pages (REST binding): ``Link`` rel="next",
``GS1-Next-Page-Token`` and ``GS1-Next-Page-Token-Expires``, the instant the token stops
working (traceability.services.paging)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.requests import Request

from traceability.services.paging import rfc3339, token_expiry


def next_page_headers(
    request: Request, token: str | None, params: Mapping[str, str] | None = None
) -> dict[str, str]:
    """None when there is no next page; ``params`` (the request's own by default) are kept
    in the next page's URL, with the token."""
    if not token:
        return {}
    following = dict(request.query_params if params is None else params)
    following["nextPageToken"] = token
    return {
        "Link": f'<{request.url.path}?{urlencode(following)}>; rel="next"',
        "GS1-Next-Page-Token": token,
        "GS1-Next-Page-Token-Expires": rfc3339(token_expiry(token)),
    }
