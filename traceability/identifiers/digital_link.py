"""GS1 Digital Link URIs for trade items: ``/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]``.

Building always produces the canonical form (GTIN-14, qualifiers in the order 22, 10, 21,
set-82 punctuation percent-encoded with upper-case hex, expiry as ``?17=YYMMDD``). Parsing is
lenient in what it accepts (any host or path prefix, shorter GTINs, any qualifier order,
optional encoding) and reports whether the input was canonical, so a resolver can redirect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Final
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

from traceability.errors import InvalidInput
from traceability.identifiers.gs1 import (
    format_expiry,
    normalize_gtin,
    parse_expiry,
    validate_cpv,
    validate_lot,
    validate_serial,
)

AI_GTIN: Final = "01"
AI_CPV: Final = "22"
AI_LOT: Final = "10"
AI_SERIAL: Final = "21"
AI_EXPIRY: Final = "17"

# Key qualifiers of AI 01 in the order the GS1 Digital Link standard fixes for the canonical URI.
_QUALIFIERS: Final = (AI_CPV, AI_LOT, AI_SERIAL)
_AI_NAMES: Final = {AI_GTIN: "gtin", AI_CPV: "cpv", AI_LOT: "lot", AI_SERIAL: "serial"}
_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LOOKS_LIKE_AI: Final = re.compile(r"[0-9]{2,4}")
# Whitespace and control characters, which urlsplit would silently drop.
_CONTROL: Final = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A GTIN with its optional qualifiers and expiry. ``gtin`` is always stored as 14 digits.

    Construction validates every component, so an instance is always encodable.
    """

    gtin: str
    lot: str | None = None
    serial: str | None = None
    cpv: str | None = None
    expiry: date | None = None

    def __post_init__(self) -> None:
        # Normalising here keeps equality meaningful: GTIN-13 and GTIN-14 of one item compare equal.
        object.__setattr__(self, "gtin", normalize_gtin(self.gtin))
        if self.lot is not None:
            validate_lot(self.lot)
        if self.serial is not None:
            validate_serial(self.serial)
        if self.cpv is not None:
            validate_cpv(self.cpv)


@dataclass(frozen=True, slots=True)
class ParsedDigitalLink:
    """Result of :func:`parse_digital_link`.

    ``canonical_path`` is :func:`digital_link_path` of ``link`` (no query). ``query`` holds the
    query parameters other than ``17``, which is read into ``link.expiry``.
    """

    link: DigitalLink
    is_canonical: bool
    canonical_path: str
    query: dict[str, str] = field(default_factory=dict)


def encode_segment(value: str) -> str:
    """Percent-encode one path segment: everything except RFC 3986 unreserved characters.

    The Digital Link standard requires encoding every set-82 character that is not unreserved,
    including sub-delimiters that RFC 3986 would allow in a segment, so each value has exactly
    one canonical spelling.
    """
    return quote(value, safe="")


def decode_segment(raw: str, *, field: str) -> str:
    """Strict percent-decoding: a stray '%' or a non-UTF-8 sequence is an error, not kept as is."""
    if _PERCENT.search(raw):
        raise InvalidInput(
            f"{raw!r} has a '%' not followed by two hex digits (percent-encoding)", field=field
        )
    try:
        return _unquote_strict(raw)
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{raw!r} percent-encodes bytes that are not UTF-8", field=field
        ) from None
    except UnicodeEncodeError:
        raise InvalidInput(f"{raw!r} holds a lone surrogate, not text", field=field) from None


def _unquote_strict(raw: str) -> str:
    if "%" not in raw:
        raw.encode("utf-8")  # a lone surrogate raises here, as below
        return raw
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == "%":
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.extend(raw[i].encode("utf-8"))
            i += 1
    return out.decode("utf-8")


def digital_link_path(link: DigitalLink) -> str:
    """Canonical path ``/01/{gtin14}[/22/{cpv}][/10/{lot}][/21/{serial}]`` (expiry excluded)."""
    parts = [f"/{AI_GTIN}/{link.gtin}"]
    for ai, value in ((AI_CPV, link.cpv), (AI_LOT, link.lot), (AI_SERIAL, link.serial)):
        if value is not None:
            parts.append(f"/{ai}/{encode_segment(value)}")
    return "".join(parts)


def build_digital_link(base_url: str, link: DigitalLink) -> str:
    """Canonical Digital Link URI under ``base_url`` (e.g. ``https://id.gs1.org``).

    ``base_url`` may carry a path prefix; a trailing slash is dropped. Expiry goes into the query
    as ``17=YYMMDD`` because it is a data attribute, not part of the item's identity.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidInput(
            f"base URL {base_url!r} must be an absolute http(s) URL without query or fragment",
            field="base_url",
        )
    uri = base_url.rstrip("/") + digital_link_path(link)
    if link.expiry is not None:
        uri += f"?{AI_EXPIRY}={format_expiry(link.expiry)}"
    return uri


def _find_primary_key(segments: list[str]) -> int:
    """Index of the ``01`` segment that starts the AI/value pairs running to the end.

    A key always sits an even number of segments before the end, whereas a value that happens
    to read "01" (a lot "01", say) sits an odd number before it; that parity also skips any
    "01" inside a path prefix that is not followed by whole pairs.
    """
    candidates = [i for i, s in enumerate(segments) if s == AI_GTIN]
    for i in candidates:
        if (len(segments) - i) % 2 == 0:
            return i
    if candidates:
        raise InvalidInput(
            "Digital Link path must consist of /AI/value pairs after /01/; an AI has no value",
            field="uri",
        )
    for s in segments:
        if s in _QUALIFIERS:
            raise InvalidInput(
                f"AI {s} ({_AI_NAMES[s]}) qualifies a GTIN and requires /01/{{gtin}} before it",
                field="uri",
            )
    raise InvalidInput("Digital Link path has no /01/{gtin} segment", field="uri")


def parse_digital_link(uri_or_path: str, *, today: date | None = None) -> ParsedDigitalLink:
    """Parse an absolute http(s) Digital Link URI or a bare path.

    ``today`` pins the reference date of the AI 17 century rule (see
    :func:`~traceability.identifiers.gs1.parse_expiry`).
    """
    parts = _split_uri(uri_or_path)
    segments = parts.path.split("/")
    trailing_slash = len(segments) > 1 and segments[-1] == ""
    if trailing_slash:
        segments.pop()
    values, canonical_pairs = _path_values(segments)
    gtin = values[AI_GTIN]
    if gtin != gtin.strip():
        # normalize_gtin forgives spaces around form input; inside a URI they are an error.
        raise InvalidInput(f"GTIN {gtin!r} in the path must be digits only", field="gtin")
    query, expiry = _query_values(parts.query, today)
    link = DigitalLink(
        gtin=gtin,
        lot=values.get(AI_LOT),
        serial=values.get(AI_SERIAL),
        cpv=values.get(AI_CPV),
        expiry=expiry,
    )
    return ParsedDigitalLink(
        link=link,
        is_canonical=not trailing_slash and canonical_pairs and len(gtin) == 14,
        canonical_path=digital_link_path(link),
        query=query,
    )


def _split_uri(uri_or_path: str) -> SplitResult:
    """The URI's parts, once it is known to be an http(s) URI or a bare path."""
    if not isinstance(uri_or_path, str) or not uri_or_path.strip():
        raise InvalidInput("Digital Link URI must be a non-empty string", field="uri")
    text = uri_or_path.strip()
    if _CONTROL.search(text):
        # urlsplit would silently drop tabs and newlines, turning a bad value into another one.
        raise InvalidInput(
            f"Digital Link URI {text!r} contains whitespace or control characters", field="uri"
        )
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # a malformed [IPv6] host
        raise InvalidInput(f"{text!r} is not a valid URI: {exc}", field="uri") from exc
    if (parts.scheme or parts.netloc) and (
        parts.scheme.lower() not in ("http", "https") or not parts.netloc
    ):
        raise InvalidInput(
            f"{text!r} is not an http(s) URI or a path starting with /01/", field="uri"
        )
    return parts


def _path_values(segments: list[str]) -> tuple[dict[str, str], bool]:
    """The AI values of the path from /01/ on, and whether they are spelled canonically
    (each value percent-encoded the canonical way, qualifiers in the standard order)."""
    start = _find_primary_key(segments)
    values: dict[str, str] = {}
    order: list[str] = []
    canonical = True
    for k in range(start, len(segments), 2):
        ai, raw = segments[k], segments[k + 1]
        if ai in values:
            raise InvalidInput(f"AI {ai} ({_AI_NAMES[ai]}) appears twice in the path", field="uri")
        if ai not in _AI_NAMES:
            what = f"unknown AI {ai}" if _LOOKS_LIKE_AI.fullmatch(ai) else f"segment {ai!r}"
            raise InvalidInput(
                f"{what} in Digital Link path; after /01/ only 22, 10 and 21 are allowed",
                field="uri",
            )
        name = _AI_NAMES[ai]
        value = decode_segment(raw, field=name)
        if not value:
            raise InvalidInput(f"AI {ai} ({name}) has an empty value", field=name)
        if encode_segment(value) != raw:
            canonical = False
        values[ai] = value
        order.append(ai)
    qualifiers = order[1:]
    if qualifiers != sorted(qualifiers, key=_QUALIFIERS.index):
        canonical = False
    return values, canonical


def _query_values(query_text: str, today: date | None) -> tuple[dict[str, str], date | None]:
    """The query's attributes: the expiry date (AI 17) apart, every other key as sent."""
    query: dict[str, str] = {}
    expiry: date | None = None
    for key, val in parse_qsl(query_text, keep_blank_values=True):
        if key == AI_EXPIRY:
            if expiry is not None:
                raise InvalidInput("AI 17 (expiry) appears twice in the query", field="expiry")
            expiry = parse_expiry(val, today=today)
        else:
            query[key] = val
    return query, expiry
