"""What a person typed into the portal's lookup box, read as GS1 keys.

Three things are accepted: a GTIN with an optional lot (two fields of a form), a pasted
GS1 Digital Link URI (or its path), and a GS1 element string, either as printed under a
barcode ("(01)08930000000019(10)LOT-1") or as the raw data a scanner sends
("010893000000001910LOT-1", with FNC1 as the GS character and an optional symbology
identifier such as "]C1"). Element strings are read by ``biip``.

Only the GS1 keys are taken from what was typed: a pasted URI's host, query and fragment
are dropped, so what is made of the answer can only be a path on this portal. A value
that cannot be read comes back as an :class:`Unreadable` naming the reason and the values
involved, so that a page can say precisely what is wrong in its own language.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from biip import ParseConfig, ParseError, parse
from biip.gs1_messages import GS1Message

from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import DigitalLink, parse_digital_link
from traceability.identifiers.gs1 import gs1_check_digit

Reason = Literal[
    "empty",
    "gtin.missing",
    "gtin.digits",
    "gtin.length",
    "gtin.check_digit",
    "lot.invalid",
    "serial.invalid",
    "cpv.invalid",
    "text.unreadable",
    "text.no_gtin",
]
Field = Literal["gtin", "lot", "q"]

_GTIN_LENGTHS: Final = (8, 12, 13, 14)
# The GTIN segment of a Digital Link path, read raw to say what is wrong with it.
_GTIN_SEGMENT: Final = re.compile(r"(?:^|/)01/([^/]*)")
# Spaces around an AI in parentheses, as labels print them: "(01) 0893… (10) LOT-1".
_SPACED_AI: Final = re.compile(r"\s*\(\s*([0-9]{2,4})\s*\)\s*")
_KEY_AIS: Final = {"01": "gtin", "10": "lot", "21": "serial", "22": "cpv"}
_QUALIFIER_REASONS: Final[dict[str | None, Reason]] = {
    "lot": "lot.invalid",
    "serial": "serial.invalid",
    "cpv": "cpv.invalid",
}
# Raw scanner data names no money and needs no retail-number rules.
_PARSE_CONFIG: Final = ParseConfig(rcn_region=None)


@dataclasses.dataclass(frozen=True, slots=True)
class Unreadable:
    """Why the input names no product: ``reason``, the ``field`` of the form it came from,
    the ``values`` a message about it shows, and the validator's own words in ``detail``."""

    reason: Reason
    field: Field
    values: dict[str, str] = dataclasses.field(default_factory=dict)
    detail: str = ""


def read_lookup(
    gtin: str | None = None, lot: str | None = None, text: str | None = None
) -> DigitalLink | Unreadable:
    """The product, lot or item the input names; ``text`` (a pasted code), when given,
    wins over the ``gtin`` and ``lot`` fields."""
    pasted = (text or "").strip()
    if pasted:
        return _read_text(pasted)
    gtin_value = (gtin or "").strip()
    # Spaces are never part of a lot (GS1 set 82): those around it are a typing slip.
    lot_value = (lot or "").strip() or None
    if not gtin_value:
        return Unreadable("gtin.missing" if lot_value else "empty", "gtin")
    return _link({"gtin": gtin_value, "lot": lot_value}, "gtin")


def gtin_problem(value: str, source: Field = "gtin") -> Unreadable | None:
    """What is wrong with a GTIN (its characters, its length, its check digit), or None."""
    if not (value.isascii() and value.isdigit()):
        return Unreadable("gtin.digits", source, {"gtin": value})
    if len(value) not in _GTIN_LENGTHS:
        return Unreadable("gtin.length", source, {"gtin": value, "length": str(len(value))})
    expected = gs1_check_digit(value[:-1])
    if value[-1] != expected:
        values = {"gtin": value, "got": value[-1], "expected": expected}
        return Unreadable("gtin.check_digit", source, values)
    return None


def _link(keys: dict[str, str | None], source: Field) -> DigitalLink | Unreadable:
    gtin = keys.get("gtin") or ""
    problem = gtin_problem(gtin, source)
    if problem is not None:
        return problem
    try:
        return DigitalLink(
            gtin=gtin, lot=keys.get("lot"), serial=keys.get("serial"), cpv=keys.get("cpv")
        )
    except InvalidInput as exc:
        name = exc.field if exc.field in _QUALIFIER_REASONS else "lot"
        # From the form only the lot can be wrong here; a pasted code is wrong as a whole.
        where: Field = "lot" if source == "gtin" else source
        value = keys.get(name or "lot") or ""
        return Unreadable(_QUALIFIER_REASONS[name], where, {"value": value}, exc.message)


def _read_text(text: str) -> DigitalLink | Unreadable:
    if text.startswith("("):
        return _read_element_string(text, human=True)
    if "/" in text:
        return _read_uri(text)
    if text.isascii() and text.isdigit() and len(text) <= 14:
        return _link({"gtin": text}, "q")
    return _read_element_string(text, human=False)


def _read_uri(text: str) -> DigitalLink | Unreadable:
    """Only the path's keys: the host a URI names is never looked at again."""
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return Unreadable("text.unreadable", "q", {}, str(exc))
    if parts.scheme.lower() not in ("", "http", "https"):
        return Unreadable("text.unreadable", "q", {}, f"{parts.scheme}: is not http(s)")
    try:
        return parse_digital_link(parts.path).link
    except InvalidInput as exc:
        return _uri_problem(parts.path, exc)


def _uri_problem(path: str, exc: InvalidInput) -> Unreadable:
    segment = _GTIN_SEGMENT.search(path)
    if exc.field == "gtin" and segment is not None:
        problem = gtin_problem(unquote(segment.group(1)), "q")
        if problem is not None:
            return problem
    reason = _QUALIFIER_REASONS.get(exc.field)
    if reason is not None:
        return Unreadable(reason, "q", {}, exc.message)
    return Unreadable("text.unreadable", "q", {}, exc.message)


def _read_element_string(text: str, *, human: bool) -> DigitalLink | Unreadable:
    try:
        if human:
            message = GS1Message.parse_hri(_SPACED_AI.sub(r"(\1)", text))
        else:
            found = parse(text, config=_PARSE_CONFIG)
            if found.gs1_message is None:
                return Unreadable("text.unreadable", "q", {}, found.gs1_message_error or "")
            message = found.gs1_message
    except ParseError as exc:
        return Unreadable("text.unreadable", "q", {}, str(exc))
    keys: dict[str, str | None] = {}
    for element in message.element_strings:
        name = _KEY_AIS.get(element.ai.ai)
        if name is not None and name not in keys:
            keys[name] = element.value
    if "gtin" not in keys:
        return Unreadable("text.no_gtin", "q")
    return _link(keys, "q")
