"""Business links on the resolver's answers, beside the portal's own.

The portal's own links (its page, traceability, verification, recall status) always stay in
the linkset, first in each array; a business's links of the same type follow them. A
business link of another type than the portal keeps for itself wins a ``?linkType=``
redirect when it suits the request's languages and media types better than the portal's
page, and the business's default link, where it defines one, is the linkset's
``gs1:defaultLink`` and what ``?linkType=gs1:defaultLink`` follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import orjson
from fastapi import Request, Response

from gateway.deps import SnapshotOnDemand
from gateway.public.linkset import LINK_TYPES, link_header, link_target
from gateway.public.page_cache import CachedAnswer, PublicAnswers, page_key
from traceability.identifiers.digital_link import DigitalLink
from traceability.portal import Portal
from traceability.resolver.anchors import Anchor, SerialRange
from traceability.resolver.link_types import GS1_VOCABULARY, link_type_of
from traceability.resolver.links import LinkSpec
from traceability.resolver.selection import choose, default_link, links_at

# Link types whose redirect is always the portal's own page: what the national portal
# vouches for (where the product came from, its verification, its recall status) is never
# replaced by a business's link.
PORTAL_KEPT: Final = frozenset({"traceability", "verificationService", "recallStatus"})
DEFAULT_LINK: Final = GS1_VOCABULARY + "defaultLink"


def wanted(kind: str, link_type: str | None) -> bool:
    """Whether an answer shows business links: linksets, JSON and typed redirects (a plain
    page does not read them)."""
    return kind in ("json", "linkset") or link_type is not None


async def visible_links(
    portal: Portal,
    snapshot: SnapshotOnDemand,
    answers: PublicAnswers,
    link: DigitalLink,
    scope_generations: list[int],
) -> list[LinkSpec]:
    """The business links a request for ``link`` sees; the GTIN's links are cached by the
    generations of the answer (a link written bumps its product's)."""

    async def build() -> CachedAnswer:
        links = await portal.resolver_links.public_links(await snapshot.session(), link.gtin)
        return CachedAnswer.of(200, "application/json", orjson.dumps([_dump(s) for s in links]))

    key = page_key(scope_generations, "business-links", f"/01/{link.gtin}")
    stored = await answers.load(key, build)
    return links_at([_load(item) for item in orjson.loads(stored.body)], link)


def with_business_links(linkset: dict[str, Any], links: Sequence[LinkSpec]) -> dict[str, Any]:
    """``linkset`` (the portal's, RFC 9264) with the business links added after the
    portal's own, and the business's default link as ``gs1:defaultLink`` if it has one."""
    if not links:
        return linkset
    entry = dict(linkset["linkset"][0])
    for link in links:
        name = GS1_VOCABULARY + link.link_type
        entry[name] = [*entry.get(name, []), _target(link)]
    chosen = default_link(links)
    if chosen is not None:
        # GS1 Resolver standard 1.2: the default link carries no optional attributes.
        entry[DEFAULT_LINK] = [{"href": chosen.href, "title": chosen.title}]
    return {"linkset": [entry]}


def _target(link: LinkSpec) -> dict[str, Any]:
    target: dict[str, Any] = {"href": link.href, "title": link.title}
    if link.hreflang:
        target["hreflang"] = list(link.hreflang)
    if link.media_type:
        target["type"] = link.media_type
    if link.context:
        target["context"] = [link.context]
    return target


def business_target(
    request: Request,
    portal: Portal,
    links: Sequence[LinkSpec],
    link: DigitalLink,
    path: str,
    level: str,
    requested: str,
) -> str | None:
    """Where ``?linkType=requested`` goes when a business link decides it; None leaves it
    to the portal's own links."""
    name = link_type_of(requested)
    if name is None or not links or name in PORTAL_KEPT:
        return None
    if name == "defaultLink":
        chosen = default_link(links)
        return chosen.href if chosen is not None else None
    candidates = list(links)
    own = None
    if name in LINK_TYPES and level in LINK_TYPES[name][2]:
        # The portal's page for the type is a candidate too, after the business's: it wins
        # for a reader whose language only it speaks.
        href = link_target(portal.settings.base_url, path, name)
        own = LinkSpec(Anchor(link.gtin), name, href, name, ("en", "vi"), "text/html")
        candidates.append(own)
    chosen = choose(
        candidates, name, request.headers.get("accept-language"), request.headers.get("accept")
    )
    return None if chosen is None or chosen is own else chosen.href


def redirect_to(portal: Portal, target: str, path: str) -> Response:
    """307 to a business link; which one depended on the request's languages and media
    types, so a shared cache must key it by them."""
    return Response(
        status_code=307,
        headers={
            "location": target,
            "link": link_header(portal.settings.base_url, path),
            "vary": "Accept, Accept-Language",
        },
    )


def _dump(link: LinkSpec) -> dict[str, Any]:
    anchor = link.anchor
    serials = [anchor.serials.first, anchor.serials.last] if anchor.serials else None
    return {
        "anchor": [anchor.gtin, anchor.lot, anchor.serial, serials],
        "link": [link.link_type, link.href, link.title, list(link.hreflang)],
        "more": [link.media_type, link.context, link.is_default],
    }


def _load(item: dict[str, Any]) -> LinkSpec:
    gtin, lot, serial, serials = item["anchor"]
    link_type, href, title, hreflang = item["link"]
    media_type, context, is_default = item["more"]
    anchor = Anchor(gtin, lot, serial, SerialRange(*serials) if serials else None)
    return LinkSpec(
        anchor, link_type, href, title, tuple(hreflang), media_type, context, is_default
    )
