"""How GS1 keys and attributes are written, for the OpenAPI schema: what the validators in
traceability.identifiers accept, as patterns, so a client (or a fuzzer) generating from the
schema sends only what the portal takes.

The schema documents; the validators still decide (their messages name the check digit that
was expected, which a pattern cannot). A check digit has no JSON Schema form, so keys that
carry one also name a format: ``gs1-gtin``, ``gs1-gln`` (GS1 General Specifications 7.9).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Path, Query

# GTIN-8, -12, -13 or -14.
GTIN_PATTERN: Final = "^([0-9]{8}|[0-9]{12,14})$"
GLN_PATTERN: Final = "^[0-9]{13}$"
# GS1 AI encodable character set 82, 1 to 20 characters: AI 10 (lot), 21 (serial), 22 (cpv).
# The range %-? covers % & ' ( ) * + , - . / 0-9 : ; < = > ?
CSET82_PATTERN: Final = '^[!"%-?A-Z_a-z]{1,20}$'
# A Vietnamese tax code (MST): 10 digits, or 13 for a branch, often written 0101234567-001.
# Empty: none given.
TAX_CODE_PATTERN: Final = "^([0-9]{10}(-?[0-9]{3})?)?$"
COMPANY_PREFIX_PATTERN: Final = "^[0-9]{6,12}$"
# Base64 of a raw 32-byte Ed25519 public key.
PUBLIC_KEY_PATTERN: Final = "^[A-Za-z0-9+/]{43}=$"
# Text that is not only spaces (names are stripped before they are checked).
NOT_BLANK_PATTERN: Final = r"\S"

# A lot named as a path, 01/{gtin}/10/{lot} (GET /api/v1/epcis/heads).
LOT_KEY_PATTERN: Final = '^01/([0-9]{8}|[0-9]{12,14})/10/[!"%-?A-Z_a-z]{1,20}$'
LOT_KEY_SCHEMA: Final[dict[str, Any]] = {"pattern": LOT_KEY_PATTERN, "format": "gs1-lot-key"}
# In a path, a '%' of a lot or serial must itself be sent encoded (%25), and tools that build
# paths from a template read a '%' followed by two hex digits as an escape already made: the
# path parameters are documented without '%' (the API still takes %25).
CSET82_PATH_PATTERN: Final = '^[!"&-?A-Z_a-z]{1,20}$'

GTIN_SCHEMA: Final[dict[str, Any]] = {"pattern": GTIN_PATTERN, "format": "gs1-gtin"}
GLN_SCHEMA: Final[dict[str, Any]] = {"pattern": GLN_PATTERN, "format": "gs1-gln"}
CSET82_SCHEMA: Final[dict[str, Any]] = {"pattern": CSET82_PATTERN}
CSET82_PATH_SCHEMA: Final[dict[str, Any]] = {"pattern": CSET82_PATH_PATTERN}

GTIN_TEXT: Final = "GTIN-8, -12, -13 or -14 with its check digit"
GLN_TEXT: Final = "13-digit GLN with its check digit"
LOT_TEXT: Final = "AI 10: 1-20 characters of GS1 set 82"
SERIAL_TEXT: Final = "AI 21: 1-20 characters of GS1 set 82"
CPV_TEXT: Final = "AI 22: 1-20 characters of GS1 set 82"

GtinPath = Annotated[str, Path(description=GTIN_TEXT, json_schema_extra=GTIN_SCHEMA)]
GlnPath = Annotated[str, Path(description=GLN_TEXT, json_schema_extra=GLN_SCHEMA)]
LotPath = Annotated[str, Path(description=LOT_TEXT, json_schema_extra=CSET82_PATH_SCHEMA)]
SerialPath = Annotated[str, Path(description=SERIAL_TEXT, json_schema_extra=CSET82_PATH_SCHEMA)]
GtinQuery = Annotated[
    str | None,
    Query(
        description=f"only lots of this GTIN ({GTIN_TEXT})",
        min_length=1,  # an empty one would silently list every lot
        json_schema_extra=GTIN_SCHEMA,
    ),
]


def path_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI path parameter, for a route that reads its path itself."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }
