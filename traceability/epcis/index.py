"""What of an event is copied into query columns, in canonical form.

Queries must find an event whichever spelling the sender used: an EPC URN or a
GS1 Digital Link for the same object, a CBV bare word or its full URI. So both
the stored copies and the query values pass through the same canonical forms.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from traceability.errors import InvalidInput
from traceability.identifiers.digital_link import digital_link_path, parse_digital_link
from traceability.identifiers.epc import (
    epc_to_digital_link,
    identifier_kind,
    sgln_to_gln,
    sscc_urn_to_sscc,
)
from traceability.identifiers.gs1 import validate_gln, validate_sscc

_CBV_PREFIXES = (
    "https://ref.gs1.org/cbv/BizStep-",
    "https://ref.gs1.org/cbv/Disp-",
    "urn:epcglobal:cbv:bizstep:",
    "urn:epcglobal:cbv:disp:",
    "https://gs1.org/voc/BizStep-",
    "https://gs1.org/voc/Disp-",
)

# Query roles and the event fields that fill them (EPCIS 2.0 section 8.2.7.1).
EPC_FIELDS: dict[str, tuple[str, ...]] = {
    "epc": ("epcList", "childEPCs"),
    "input": ("inputEPCList",),
    "output": ("outputEPCList",),
}
CLASS_FIELDS: dict[str, tuple[str, ...]] = {
    "epc_class": ("quantityList", "childQuantityList"),
    "input_class": ("inputQuantityList",),
    "output_class": ("outputQuantityList",),
}


# Digital Links of logistic units and locations (primary keys AI 00 and AI 414).
_DL_SSCC = re.compile(r"^https?://[^/?#]+(?:/[^?#]*)?/00/(\d{18})/?$")
_DL_GLN = re.compile(r"^https?://[^/?#]+(?:/[^?#]*)?/414/(\d{13})(?:/254/([^/?#]{1,20}))?/?$")


def cbv_word(value: str) -> str:
    """'shipping' for 'shipping', 'urn:epcglobal:cbv:bizstep:shipping' or its GS1 web URI."""
    for prefix in _CBV_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


# Events repeat the same few identifiers (a lot's class, a farm, a warehouse) many times,
# and parsing one costs tens of microseconds: the answers are kept.
@functools.lru_cache(maxsize=1 << 16)
def canonical_identifier(value: str) -> str:
    """One spelling per GS1 key: the Digital Link path; anything else as given."""
    try:
        kind = identifier_kind(value)
        if kind in ("sgtin", "lgtin"):
            return digital_link_path(epc_to_digital_link(value))
        if kind == "sscc":
            return f"/00/{sscc_urn_to_sscc(value)}"
        if kind == "sgln":
            gln, extension = sgln_to_gln(value)
            return f"/414/{gln}" + (f"/254/{extension}" if extension else "")
        if kind == "digital_link":
            return digital_link_path(parse_digital_link(value).link)
        if value.startswith(("http://", "https://")):
            if match := _DL_SSCC.search(value):
                return f"/00/{validate_sscc(match[1])}"
            if match := _DL_GLN.search(value):
                gln, extension = validate_gln(match[1]), match[2]
                return f"/414/{gln}" + (f"/254/{extension}" if extension else "")
    except InvalidInput:
        pass
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, str))


def _word(value: Any) -> str | None:
    return cbv_word(value)[:200] if isinstance(value, str) else None


def _place(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return canonical_identifier(value["id"])[:500]
    return None


def query_columns(event: Mapping[str, Any]) -> dict[str, Any]:
    action = event.get("action")
    return {
        "action": action if isinstance(action, str) else None,
        "biz_step": _word(event.get("bizStep")),
        "disposition": _word(event.get("disposition")),
        "read_point": _place(event.get("readPoint")),
        "biz_location": _place(event.get("bizLocation")),
        "declares_error": isinstance(event.get("errorDeclaration"), Mapping),
    }


def identifiers(event: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(role, canonical value) pairs for MATCH_* queries."""
    found: set[tuple[str, str]] = set()
    for role, fields in EPC_FIELDS.items():
        for field in fields:
            found.update((role, canonical_identifier(v)[:500]) for v in _strings(event.get(field)))
    parent = event.get("parentID")
    if isinstance(parent, str):
        found.add(("parent", canonical_identifier(parent)[:500]))
    for role, fields in CLASS_FIELDS.items():
        for field in fields:
            items = event.get(field)
            for item in items if isinstance(items, list) else []:
                if isinstance(item, Mapping) and isinstance(item.get("epcClass"), str):
                    found.add((role, canonical_identifier(item["epcClass"])[:500]))
    return found
