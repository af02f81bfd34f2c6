"""Digital Links another resolver answers (a province's system, a brand's own resolver).

A code under a delegated company prefix or GTIN (traceability.services.delegations) is
answered by a redirect (307) to the delegate resolver, the same path and query, and its
linkset names the delegate as ``gs1:handledBy``. The redirect adds ``resolverHops`` to the
query: a request that comes back carrying it went round (this portal, the delegate, ...,
this portal) and is answered 508 Loop Detected instead of being sent round again.

What stays the portal's: lots recorded on the national portal keep their traceability and
recall pages here, reached with ``?linkType=gs1:traceability`` or ``?linkType=gs1:recallStatus``
(answered in place, never cached, so a plain scan still goes to the delegate).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import parse_qsl, urlencode

import orjson
from fastapi import Response

from gateway.public.front_cache import front_cached
from gateway.public.linkset import GS1_VOCABULARY, JSON_LD_CONTEXT_REL, LINKSET_CONTEXT
from gateway.public.negotiation import LINKSET_MEDIA_TYPE
from traceability.errors import DelegationLoop
from traceability.services.delegations import HOPS_PARAMETER, DelegationRecord

# Link types whose target stays this portal's own page, delegation or not.
KEPT_LINK_TYPES: Final = frozenset({"traceability", "recallStatus"})
HANDLED_BY: Final = GS1_VOCABULARY + "handledBy"


def keeps_portal_page(link_type: str | None) -> bool:
    if link_type is None:
        return False
    for prefix in ("gs1:", GS1_VOCABULARY):
        if link_type.startswith(prefix):
            return link_type[len(prefix) :] in KEPT_LINK_TYPES
    return False


def hops_of(query: str) -> int | None:
    """The hop count a delegate resolver passed back to us, if the request carries one."""
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == HOPS_PARAMETER:
            return int(value) if value.isdigit() else 1
    return None


def delegate_url(delegation: DelegationRecord, path: str, query: str) -> str:
    """The delegate's URL of the same code, the request's query passed on with one hop more."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != HOPS_PARAMETER]
    pairs.append((HOPS_PARAMETER, str((hops_of(query) or 0) + 1)))
    return f"{delegation.target}{path}?{urlencode(pairs)}"


def _link_header(base_url: str, path: str, delegate: str) -> str:
    return (
        f'<{delegate}>; rel="{HANDLED_BY}", '
        f'<{base_url}{path}?linkType=linkset>; rel="linkset"; type="{LINKSET_MEDIA_TYPE}"'
    )


def delegated_linkset(base_url: str, path: str, delegation: DelegationRecord) -> Response:
    """The code's linkset: who handles it, and the portal's own traceability page."""
    delegate = f"{delegation.target}{path}"
    entry = {
        "anchor": f"{base_url}{path}",
        HANDLED_BY: [{"href": delegate, "title": "Resolver that handles this code"}],
        GS1_VOCABULARY + "defaultLink": [{"href": delegate, "title": "Resolver of this code"}],
        GS1_VOCABULARY + "traceability": [
            {
                "href": f"{base_url}{path}?linkType=gs1:traceability",
                "title": "Traceability on the national portal",
            }
        ],
    }
    context = f'<{LINKSET_CONTEXT}>; rel="{JSON_LD_CONTEXT_REL}"; type="application/ld+json"'
    return Response(
        orjson.dumps({"linkset": [entry]}),
        200,
        media_type=LINKSET_MEDIA_TYPE,
        headers={
            "link": f"{_link_header(base_url, path, delegate)}, {context}",
            **front_cached(),
        },
    )


async def delegated_answer(
    delegation: DelegationRecord,
    base_url: str,
    path: str,
    query: str,
    link_type: str | None,
    kind: str,
    own_page: Callable[[], Awaitable[Response]],
) -> Response:
    """The answer for a code another resolver handles; ``own_page`` makes the portal's own
    page (uncached) for the link types that stay here."""
    if keeps_portal_page(link_type):
        return await own_page()
    if kind == "linkset":
        return delegated_linkset(base_url, path, delegation)
    hops = hops_of(query)
    if hops is not None:
        raise DelegationLoop(
            f"{path} is delegated to {delegation.target}, and the request came back from "
            f"there after {hops} hop(s): the resolvers send it round in a loop",
            field="resolverHops",
        )
    target = delegate_url(delegation, path, query)
    return Response(
        status_code=307,
        headers={
            "location": target,
            "link": _link_header(base_url, path, f"{delegation.target}{path}"),
            **front_cached(),
        },
    )
