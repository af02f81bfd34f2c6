"""A business link: where it is attached, its link type and its target's attributes.

A link's identity is its anchor, link type, languages, media type and context: a second
link with the same identity is the same link (an upload that names it again changes its
``href``, ``title`` or default flag, never adds a twin). Two links that differ in language,
say, are two targets of one link type, among which a request's Accept-Language chooses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from traceability.errors import InvalidInput
from traceability.resolver.anchors import Anchor

MAX_HREF: Final = 2000
MAX_TITLE: Final = 300
# BCP 47: a 2-3 letter language (or 4-8 registered), then subtags of 1-8 letters or digits.
_LANGUAGE_TAG: Final = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
# RFC 6838 type/subtype, without parameters.
_MEDIA_TYPE: Final = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]{0,126}/[A-Za-z0-9][\w!#$&^.+-]{0,126}$")
_CONTEXT: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
_CONTROL: Final = re.compile(r"[\x00-\x20\x7f]")

LinkIdentity = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class LinkSpec:
    anchor: Anchor
    link_type: str  # the short name: "pip" for gs1:pip
    href: str
    title: str
    hreflang: tuple[str, ...] = ()
    media_type: str | None = None
    context: str | None = None
    is_default: bool = False

    @property
    def identity(self) -> LinkIdentity:
        return (
            self.anchor.key,
            self.link_type,
            " ".join(self.hreflang),
            self.media_type or "",
            self.context or "",
        )

    def same_target(self, other: LinkSpec) -> bool:
        """Whether ``other`` (of the same identity) changes nothing."""
        return (self.href, self.title, self.is_default) == (
            other.href,
            other.title,
            other.is_default,
        )


def checked_href(value: str) -> str:
    """An absolute http(s) URL: a scanner is sent there."""
    if len(value) > MAX_HREF or _CONTROL.search(value):
        raise InvalidInput(
            f"an href is a URL of at most {MAX_HREF} characters, without spaces", field="href"
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            f"{value!r} is not an absolute http or https URL", field="href", reason="href"
        )
    return value


def checked_title(value: str) -> str:
    title = value.strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(f"a title has 1 to {MAX_TITLE} characters", field="title")
    return title


def language_tag(value: str) -> str:
    """A BCP 47 tag in its conventional case: ``vi``, ``en-GB``, ``zh-Hant-TW``."""
    if not _LANGUAGE_TAG.match(value):
        raise InvalidInput(f"{value!r} is not a BCP 47 language tag", field="hreflang")
    first, *rest = value.split("-")
    cased = [first.lower()]
    for subtag in rest:
        if len(subtag) == 2 and subtag.isalpha():
            cased.append(subtag.upper())
        elif len(subtag) == 4 and subtag.isalpha():
            cased.append(subtag.title())
        else:
            cased.append(subtag.lower())
    return "-".join(cased)


def language_tags(values: Iterable[str]) -> tuple[str, ...]:
    """Sorted and without repeats: the languages are a set, and part of the identity."""
    return tuple(sorted({language_tag(v) for v in values}))


def media_type(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _MEDIA_TYPE.match(value):
        raise InvalidInput(f"{value!r} is not a media type (type/subtype)", field="type")
    return value.lower()


def context(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _CONTEXT.match(value):
        raise InvalidInput(
            f"{value!r}: a context is a word of letters, digits and . _ : - (at most 100)",
            field="context",
        )
    return value
