"""A business link from the fields a caller sends: one JSON object, or one CSV row.

The same names in both: ``anchor``, ``serialRange`` (JSON ``{"first", "last"}``; CSV
``serialFirst`` and ``serialLast``), ``linkType``, ``href``, ``title``, ``hreflang`` (JSON a
list; CSV tags separated by spaces, commas or ``|``), ``type``, ``context``, ``default``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from traceability.errors import InvalidInput
from traceability.resolver.anchors import parse_anchor
from traceability.resolver.link_types import attachable_link_type
from traceability.resolver.links import (
    LinkSpec,
    checked_href,
    checked_title,
    context,
    language_tags,
    media_type,
)

FIELDS: Final = frozenset(
    {
        "anchor",
        "serialRange",
        "serialFirst",
        "serialLast",
        "linkType",
        "href",
        "title",
        "hreflang",
        "type",
        "context",
        "default",
    }
)
_TAG_SEPARATORS: Final = re.compile(r"[\s,|]+")
_TRUE: Final = frozenset({"true", "yes", "1", "y"})
_FALSE: Final = frozenset({"false", "no", "0", "n", ""})


def _text(fields: Mapping[str, object], name: str, *, required: bool = False) -> str | None:
    value = fields.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput("is required", field=name)
        return None
    if not isinstance(value, str):
        raise InvalidInput("must be text", field=name)
    return value


def _languages(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return language_tags(tag for tag in _TAG_SEPARATORS.split(value) if tag)
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return language_tags(value)
    raise InvalidInput("is a list of BCP 47 language tags", field="hreflang")


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidInput("is true or false", field="default")


def _serial_range(fields: Mapping[str, object]) -> tuple[str, str] | None:
    given = fields.get("serialRange")
    if given is None:
        first, last = fields.get("serialFirst"), fields.get("serialLast")
        if not first and not last:
            return None
        given = {"first": first, "last": last}
    if not isinstance(given, Mapping):
        raise InvalidInput('is {"first": ..., "last": ...}', field="serialRange")
    first, last = given.get("first"), given.get("last")
    if not isinstance(first, str) or not isinstance(last, str):
        raise InvalidInput("needs a first and a last serial, as text", field="serialRange")
    return first, last


def link_spec(fields: Mapping[str, object]) -> LinkSpec:
    """The link ``fields`` describe, or InvalidInput naming the first field that is wrong."""
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    anchor_path = _text(fields, "anchor", required=True)
    link_type = _text(fields, "linkType", required=True)
    href = _text(fields, "href", required=True)
    title = _text(fields, "title", required=True)
    assert anchor_path is not None and link_type is not None  # required above
    assert href is not None and title is not None
    return LinkSpec(
        anchor=parse_anchor(anchor_path, _serial_range(fields)),
        link_type=attachable_link_type(link_type),
        href=checked_href(href),
        title=checked_title(title),
        hreflang=_languages(fields.get("hreflang")),
        media_type=media_type(_text(fields, "type")),
        context=context(_text(fields, "context")),
        is_default=_flag(fields.get("default")),
    )
