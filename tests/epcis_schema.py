"""GS1's EPCIS 2.0 JSON Schemas, from the conformance folder (tests/conformance.py)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource

from tests.conformance import epcis_dir, require_conformance

SCHEMA_DIR = epcis_dir() / "schema"
EXAMPLES_DIR = epcis_dir() / "examples"


@cache
def _validator() -> Draft7Validator:
    registry: Registry[Any] = Registry()
    root: dict[str, Any] = {}
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        schema = json.loads(path.read_text())
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
        if path.name == "EPCIS-JSON-Schema-root.json":
            root = schema
    return Draft7Validator(root, registry=registry, format_checker=FormatChecker())


def schema_errors(document: Any) -> list[str]:
    """Why GS1's schema refuses the document (empty when it validates); a skip when the
    schema is not configured."""
    require_conformance()
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in _validator().iter_errors(document)
    ]
