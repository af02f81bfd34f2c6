"""Which representation and language a resolver request asks for.

One function each, used both by the cache fast path and by the routes, so a cached answer
is always the one the route would have given.
"""

from __future__ import annotations

from typing import Final, Literal

Representation = Literal["html", "json", "linkset"]
Language = Literal["vi", "en"]

LINKSET_MEDIA_TYPE: Final = "application/linkset+json"
_JSON_TYPES: Final = ("application/json", "application/ld+json")


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((fields[0].lower(), quality))
    return ranges


def representation(accept: str | None, link_type: str | None) -> Representation:
    """HTML unless the client prefers JSON or a linkset; ``?linkType=linkset`` always wins.

    A browser sends ``text/html`` first; a scanner app or script that asks for JSON gets
    JSON. Ties go to HTML, the default a shopper's phone must get.
    """
    if link_type is not None and link_type.lower() in ("linkset", "all"):
        return "linkset"
    if not accept:
        return "html"
    best: tuple[float, int, Representation] = (0.0, 0, "html")
    for media, quality in _media_ranges(accept):
        if quality <= 0:
            continue
        if media == LINKSET_MEDIA_TYPE:
            candidate: tuple[float, int, Representation] = (quality, 2, "linkset")
        elif media in _JSON_TYPES:
            candidate = (quality, 1, "json")
        elif media in ("text/html", "application/xhtml+xml"):
            candidate = (quality, 3, "html")
        else:
            continue
        best = max(best, candidate)
    return best[2]


def language(lang: str | None, accept_language: str | None) -> Language:
    """Vietnamese unless ``?lang=en`` or the client prefers English over Vietnamese."""
    if lang is not None:
        return "en" if lang.lower().startswith("en") else "vi"
    if not accept_language:
        return "vi"
    best: tuple[float, Language] = (0.0, "vi")
    for tag, quality in _media_ranges(accept_language):
        if tag.startswith("vi") and quality > best[0]:
            best = (quality, "vi")
        elif tag.startswith("en") and quality > best[0]:
            best = (quality, "en")
    return best[1]
