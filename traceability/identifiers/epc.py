"""EPC pure-identity URNs (GS1 EPC Tag Data Standard) and their GS1 keys.

Supported schemes::

    urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial     <-> (01) GTIN + (21) serial
    urn:epc:class:lgtin:CompanyPrefix.IndicatorItemRef.Lot     <-> (01) GTIN + (10) lot
    urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension        <-> (414) GLN + (254) extension
    urn:epc:id:sscc:CompanyPrefix.ExtensionSerialRef           <-> (00) SSCC

A URN carries no check digit and puts the indicator or extension digit *after* the company
prefix, so converting needs to move that digit; in the other direction the company prefix length
is not recoverable from a GS1 key and must be supplied (6-12 digits).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import DigitalLink, parse_digital_link
from traceability.identifiers.gs1 import (
    CHARSET_82,
    gs1_check_digit,
    normalize_gtin,
    validate_gln,
    validate_gln_extension,
    validate_lot,
    validate_serial,
    validate_sscc,
)

IdentifierKind = Literal["sgtin", "lgtin", "sgln", "sscc", "digital_link", "other"]

SGTIN_PREFIX: Final = "urn:epc:id:sgtin:"
LGTIN_PREFIX: Final = "urn:epc:class:lgtin:"
SGLN_PREFIX: Final = "urn:epc:id:sgln:"
SSCC_PREFIX: Final = "urn:epc:id:sscc:"

# TDS table A-1: of set 82 only these must be escaped in a URN; the rest stand for themselves.
_URN_ESCAPES: Final = {
    '"': "%22",
    "%": "%25",
    "&": "%26",
    "/": "%2F",
    "<": "%3C",
    ">": "%3E",
    "?": "%3F",
}
_URN_PLAIN: Final = CHARSET_82 - _URN_ESCAPES.keys()
_ESCAPE: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_DIGITS: Final = re.compile(r"[0-9]*")
_NO_EXTENSION: Final = "0"


@dataclass(frozen=True, slots=True)
class _Partition:
    """The two numeric URN fields; ``company_prefix`` is 6-12 digits."""

    company_prefix: str
    reference: str


def urn_escape(value: str) -> str:
    """Escape a set-82 string for use as a URN component (serial, lot, GLN extension)."""
    return "".join(_URN_ESCAPES.get(c, c) for c in value)


def urn_unescape(component: str, *, field: str) -> str:
    """Reverse :func:`urn_escape`, rejecting characters a URN component may not hold raw."""
    bad = sorted({c for c in _ESCAPE.sub("", component) if c not in _URN_PLAIN})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise InvalidInput(
            f"EPC URN component {component!r} contains {shown}; only set-82 characters are "
            'allowed and " % & / < > ? must be %-escaped',
            field=field,
        )
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), component)


def _check_prefix_length(company_prefix_length: int) -> None:
    if (
        not isinstance(company_prefix_length, int)
        or isinstance(company_prefix_length, bool)
        or not 6 <= company_prefix_length <= 12
    ):
        raise InvalidInput(
            f"GS1 company prefix length must be 6-12 digits, got {company_prefix_length!r}",
            field="company_prefix_length",
        )


def _strip_scheme(urn: str, prefix: str) -> str | None:
    # The "urn" and NID parts are case-insensitive (RFC 8141); TDS scheme names are lower case.
    if isinstance(urn, str) and urn[: len(prefix)].lower() == prefix:
        return urn[len(prefix) :]
    return None


def _split(urn: str, prefix: str, *, parts: int, name: str) -> list[str]:
    body = _strip_scheme(urn, prefix)
    if body is None:
        raise InvalidInput(f"{urn!r} is not an EPC {name} URN ({prefix}...)", field="uri")
    # The last component of SGTIN/LGTIN/SGLN may itself contain '.', so split from the left only.
    fields = body.split(".", parts - 1)
    if len(fields) != parts:
        raise InvalidInput(
            f"EPC {name} URN {urn!r} must have {parts} dot-separated fields after {prefix}",
            field="uri",
        )
    return fields


def _partition(
    urn: str, company_prefix: str, reference: str, *, total: int, name: str
) -> _Partition:
    if not _DIGITS.fullmatch(company_prefix) or not _DIGITS.fullmatch(reference):
        raise InvalidInput(
            f"EPC {name} URN {urn!r}: company prefix and reference must be digits", field="uri"
        )
    if not 6 <= len(company_prefix) <= 12:
        raise InvalidInput(
            f"EPC {name} URN {urn!r}: company prefix has {len(company_prefix)} digits, "
            "expected 6-12",
            field="uri",
        )
    if len(company_prefix) + len(reference) != total:
        raise InvalidInput(
            f"EPC {name} URN {urn!r}: company prefix and reference have "
            f"{len(company_prefix) + len(reference)} digits together, expected {total}",
            field="uri",
        )
    return _Partition(company_prefix, reference)


def _gtin_from_fields(urn: str, fields: list[str], *, name: str) -> str:
    # The indicator digit leads the item reference field but leads the GTIN-14 as a whole.
    p = _partition(urn, fields[0], fields[1], total=13, name=name)
    if not p.reference:
        raise InvalidInput(
            f"EPC {name} URN {urn!r}: item reference must start with the indicator digit",
            field="uri",
        )
    body = p.reference[0] + p.company_prefix + p.reference[1:]
    return body + gs1_check_digit(body)


def _gtin_fields(gtin: str, company_prefix_length: int) -> str:
    _check_prefix_length(company_prefix_length)
    gtin14 = normalize_gtin(gtin)
    company_prefix = gtin14[1 : 1 + company_prefix_length]
    item_ref = gtin14[0] + gtin14[1 + company_prefix_length : 13]
    return f"{company_prefix}.{item_ref}"


def parse_sgtin(urn: str) -> tuple[str, str]:
    """``(gtin14, serial)`` of an SGTIN URN."""
    fields = _split(urn, SGTIN_PREFIX, parts=3, name="SGTIN")
    gtin = _gtin_from_fields(urn, fields, name="SGTIN")
    return gtin, validate_serial(urn_unescape(fields[2], field="serial"))


def parse_lgtin(urn: str) -> tuple[str, str]:
    """``(gtin14, lot)`` of an LGTIN class URN."""
    fields = _split(urn, LGTIN_PREFIX, parts=3, name="LGTIN")
    gtin = _gtin_from_fields(urn, fields, name="LGTIN")
    return gtin, validate_lot(urn_unescape(fields[2], field="lot"))


def epc_to_digital_link(urn: str) -> DigitalLink:
    """Digital Link of an SGTIN (GTIN + serial) or LGTIN (GTIN + lot) URN."""
    if _strip_scheme(urn, SGTIN_PREFIX) is not None:
        gtin, serial = parse_sgtin(urn)
        return DigitalLink(gtin=gtin, serial=serial)
    if _strip_scheme(urn, LGTIN_PREFIX) is not None:
        gtin, lot = parse_lgtin(urn)
        return DigitalLink(gtin=gtin, lot=lot)
    raise InvalidInput(
        f"{urn!r} is neither an SGTIN ({SGTIN_PREFIX}) nor an LGTIN ({LGTIN_PREFIX}) URN",
        field="uri",
    )


def digital_link_to_sgtin(link: DigitalLink, company_prefix_length: int) -> str:
    """SGTIN URN of a serialised Digital Link (lot, CPV and expiry are not part of it)."""
    if link.serial is None:
        raise InvalidInput(
            f"an SGTIN needs a serial (AI 21); Digital Link for {link.gtin} has none",
            field="serial",
        )
    return (
        f"{SGTIN_PREFIX}{_gtin_fields(link.gtin, company_prefix_length)}.{urn_escape(link.serial)}"
    )


def digital_link_to_lgtin(link: DigitalLink, company_prefix_length: int) -> str:
    """LGTIN class URN of a Digital Link with a lot (serial, CPV and expiry are dropped)."""
    if link.lot is None:
        raise InvalidInput(
            f"an LGTIN needs a lot (AI 10); Digital Link for {link.gtin} has none", field="lot"
        )
    return f"{LGTIN_PREFIX}{_gtin_fields(link.gtin, company_prefix_length)}.{urn_escape(link.lot)}"


def sgln_to_gln(urn: str) -> tuple[str, str | None]:
    """``(gln, extension)`` of an SGLN URN; the extension "0" means none and gives ``None``."""
    fields = _split(urn, SGLN_PREFIX, parts=3, name="SGLN")
    p = _partition(urn, fields[0], fields[1], total=12, name="SGLN")
    body = p.company_prefix + p.reference
    extension = validate_gln_extension(urn_unescape(fields[2], field="gln_extension"))
    return body + gs1_check_digit(body), None if extension == _NO_EXTENSION else extension


def gln_to_sgln(gln: str, company_prefix_length: int, extension: str | None = None) -> str:
    """SGLN URN of a GLN; without an extension the TDS placeholder "0" is used."""
    _check_prefix_length(company_prefix_length)
    gln = validate_gln(gln)
    ext = _NO_EXTENSION if extension is None else validate_gln_extension(extension)
    location_ref = gln[company_prefix_length:12]
    return f"{SGLN_PREFIX}{gln[:company_prefix_length]}.{location_ref}.{urn_escape(ext)}"


def sscc_urn_to_sscc(urn: str) -> str:
    """18-digit SSCC of an SSCC URN (extension digit moved to the front, check digit added)."""
    fields = _split(urn, SSCC_PREFIX, parts=2, name="SSCC")
    p = _partition(urn, fields[0], fields[1], total=17, name="SSCC")
    if not p.reference:
        raise InvalidInput(
            f"EPC SSCC URN {urn!r}: serial reference must start with the extension digit",
            field="uri",
        )
    body = p.reference[0] + p.company_prefix + p.reference[1:]
    return body + gs1_check_digit(body)


def sscc_to_urn(sscc: str, company_prefix_length: int) -> str:
    """SSCC URN of an 18-digit SSCC."""
    _check_prefix_length(company_prefix_length)
    sscc = validate_sscc(sscc)
    serial_ref = sscc[0] + sscc[1 + company_prefix_length : 17]
    return f"{SSCC_PREFIX}{sscc[1 : 1 + company_prefix_length]}.{serial_ref}"


# Events name the same few identifiers over and over (every page and trace reads them back);
# parsing is pure, and a DigitalLink is immutable, so parsed answers are kept. (An expiry's
# century depends on the day it is read, which moves an answer only for dates ~50 years out.)
@functools.lru_cache(maxsize=65_536)
def _digital_link_of(value: str) -> DigitalLink | None:
    if not value[:8].lower().startswith(("http://", "https://")):
        return None
    try:
        return parse_digital_link(value).link
    except InvalidInput:
        return None


_URN_KINDS: Final[tuple[tuple[IdentifierKind, str, Callable[[str], object]], ...]] = (
    ("sgtin", SGTIN_PREFIX, parse_sgtin),
    ("lgtin", LGTIN_PREFIX, parse_lgtin),
    ("sgln", SGLN_PREFIX, sgln_to_gln),
    ("sscc", SSCC_PREFIX, sscc_urn_to_sscc),
)


def identifier_kind(value: str) -> IdentifierKind:
    """Which well-formed identifier ``value`` is; anything malformed or unsupported is "other".

    Digital Links count only as absolute http(s) URIs, as they appear in EPCIS epcList.
    """
    if not isinstance(value, str):
        return "other"
    return _kind_of(value)


@functools.lru_cache(maxsize=65_536)
def _kind_of(value: str) -> IdentifierKind:
    for kind, prefix, parse in _URN_KINDS:
        if _strip_scheme(value, prefix) is not None:
            try:
                parse(value)
            except InvalidInput:
                return "other"
            return kind
    return "digital_link" if _digital_link_of(value) is not None else "other"


def lot_key_from_epc(value: str) -> tuple[str, str] | None:
    """``(gtin14, lot)`` named by an LGTIN URN or a Digital Link with /10/, else ``None``.

    An SGTIN, or a Digital Link with only /21/, identifies an instance whose lot is not part of
    its identifier, so it yields ``None`` rather than a guess.
    """
    kind = identifier_kind(value)
    if kind == "lgtin":
        return parse_lgtin(value)
    if kind == "digital_link":
        link = _digital_link_of(value)
        if link is not None and link.lot is not None:
            return link.gtin, link.lot
    return None


def gtin_from_epc(value: str) -> str | None:
    """GTIN-14 of an SGTIN, LGTIN or Digital Link, else ``None``."""
    kind = identifier_kind(value)
    if kind == "sgtin":
        return parse_sgtin(value)[0]
    if kind == "lgtin":
        return parse_lgtin(value)[0]
    if kind == "digital_link":
        link = _digital_link_of(value)
        return None if link is None else link.gtin
    return None
