"""GS1 keys and their Digital Link URIs, for seeded data: check digits computed, never typed.

Event ids are ``urn:uuid:`` UUIDv5 of a readable name under :data:`SEED_NAMESPACE`, so
every run and every other tool sees the same ids for the same event.
"""

from __future__ import annotations

import uuid
from typing import Final

from traceability.identifiers.gs1 import gs1_check_digit

SEED_NAMESPACE: Final = uuid.UUID("5b0c7a3e-8f1d-5e2a-9c4b-2d6f0e8a1b37")
GS1_RESOLVER: Final = "https://id.gs1.org"


def gtin14(company_prefix: str, item_reference: str) -> str:
    """GTIN-14 (indicator 0) of an item under a company prefix; 13 digits before the check."""
    body = company_prefix + item_reference
    if len(body) != 12:
        raise ValueError(f"prefix {company_prefix} + item {item_reference} must be 12 digits")
    return "0" + body + gs1_check_digit(body)


def gln(company_prefix: str, location_reference: str) -> str:
    body = company_prefix + location_reference
    if len(body) != 12:
        raise ValueError(
            f"prefix {company_prefix} + location {location_reference} must be 12 digits"
        )
    return body + gs1_check_digit(body)


def sscc(company_prefix: str, serial_reference: int, extension: int = 0) -> str:
    """SSCC-18 of a logistic unit (a pallet): extension digit, prefix, serial, check digit."""
    width = 16 - len(company_prefix)
    if width < 1 or serial_reference >= 10**width:
        raise ValueError(f"serial {serial_reference} does not fit beside prefix {company_prefix}")
    body = f"{extension}{company_prefix}{serial_reference:0{width}d}"
    return body + gs1_check_digit(body)


def sscc_uri(code: str) -> str:
    return f"{GS1_RESOLVER}/00/{code}"


def epc_class(gtin: str, lot: str) -> str:
    return f"{GS1_RESOLVER}/01/{gtin}/10/{lot}"


def location_uri(location_gln: str) -> str:
    return f"{GS1_RESOLVER}/414/{location_gln}"


def party_uri(party_gln: str) -> str:
    return f"{GS1_RESOLVER}/417/{party_gln}"


def event_id(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(SEED_NAMESPACE, name)}"
