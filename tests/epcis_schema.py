"""GS1's EPCIS 2.0 JSON Schemas, read from ../shared/conformance (never copied into the project)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "epcis" / "schema"
EXAMPLES_DIR = SCHEMA_DIR.parent / "examples"


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
    """Why GS1's schema refuses the document (empty when it validates)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in _validator().iter_errors(document)
    ]
