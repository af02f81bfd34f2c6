"""Which business links a request sees, and which one a ``?linkType=`` redirect follows.

GS1 Resolver standard 1.2: for a link type, the resolver chooses among its targets by the
request's preferred language (Accept-Language against ``hreflang``), then by media type
(Accept against ``type``); when none matches, it still redirects, to the first target of
that type, rather than answer nothing. Anchors: the most specific anchor that has links of
a type supplies that type's links (serial > serial range > lot > product).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from traceability.identifiers.digital_link import DigitalLink
from traceability.resolver.links import LinkSpec

# A target that names no language (or media type) suits any request, below one that matches.
_NEUTRAL: Final = 0.001


def links_at(links: Sequence[LinkSpec], uri: DigitalLink) -> list[LinkSpec]:
    """The links a request for ``uri`` sees: for each link type, those at the most specific
    anchor covering ``uri`` that has links of that type; in the order given."""
    covering = [link for link in links if link.anchor.covers(uri)]
    best: dict[str, int] = {}
    for link in covering:
        best[link.link_type] = max(best.get(link.link_type, -1), link.anchor.specificity)
    return [link for link in covering if link.anchor.specificity == best[link.link_type]]


def default_link(links: Sequence[LinkSpec]) -> LinkSpec | None:
    """The default of the most specific anchor that has one (``links`` from links_at)."""
    defaults = [link for link in links if link.is_default]
    return max(defaults, key=lambda link: link.anchor.specificity, default=None)


def quality_ranges(header: str | None) -> list[tuple[str, float]]:
    """An Accept or Accept-Language header as (range, q) pairs, lower-cased, q > 0."""
    ranges: list[tuple[str, float]] = []
    for item in (header or "").split(","):
        value, *params = (part.strip() for part in item.split(";"))
        if not value:
            continue
        q = 1.0
        for param in params:
            name, _, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        if 0 < q <= 1:
            ranges.append((value.lower(), q))
    return ranges


def language_score(hreflang: Sequence[str], ranges: Sequence[tuple[str, float]]) -> float:
    """How much the request wants a target in ``hreflang``: the q of its best matching
    range. A range matches its own tag and its subtags both ways (``en`` and ``en-GB``)."""
    if not hreflang:
        return _NEUTRAL
    score = 0.0
    for tag in (t.lower() for t in hreflang):
        for wanted, q in ranges:
            if wanted in ("*", tag) or tag.startswith(wanted + "-") or wanted.startswith(tag + "-"):
                score = max(score, q)
    return score


def media_score(media_type: str | None, ranges: Sequence[tuple[str, float]]) -> float:
    """How much the request wants a target of ``media_type``; a target that names none is
    as welcome as any type (the q of ``*/*``)."""
    if media_type is None:
        return max((q for wanted, q in ranges if wanted == "*/*"), default=_NEUTRAL)
    kind = media_type.split("/", 1)[0]
    score = 0.0
    for wanted, q in ranges:
        if wanted in ("*/*", media_type, f"{kind}/*"):
            score = max(score, q)
    return score


def choose(
    links: Sequence[LinkSpec],
    link_type: str,
    accept_language: str | None,
    accept: str | None,
) -> LinkSpec | None:
    """The target of ``link_type`` a request with these headers is sent to (``links`` from
    links_at); None when there is no link of that type."""
    candidates = [link for link in links if link.link_type == link_type]
    if not candidates:
        return None
    # No header: the request accepts anything (RFC 9110 12.5.1, 12.5.4).
    languages = quality_ranges(accept_language) or [("*", 1.0)]
    media = quality_ranges(accept) or [("*/*", 1.0)]
    ranked = sorted(
        enumerate(candidates),
        key=lambda item: (
            -language_score(item[1].hreflang, languages),
            -media_score(item[1].media_type, media),
            item[0],
        ),
    )
    return ranked[0][1]
