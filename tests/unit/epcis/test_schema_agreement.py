"""The portal refuses what GS1's own EPCIS 2.0 JSON Schema refuses.

GS1's examples are accepted; then each is damaged in the ways an ERP gets a document wrong (a
member dropped, misspelt or renamed to a bare word, a value of the wrong kind, a CBV word
mistyped, a closed object given an extra member), and every damaged document GS1's schema
refuses must be refused by the portal's validation too. The portal may refuse more (it checks
identifiers' check digits, which no schema can).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import material
from tests.epcis_schema import EXAMPLES_DIR, schema_errors
from traceability.epcis.validation import document_events, validate_event
from traceability.errors import InvalidInput, TooLarge

NOW = datetime(2030, 1, 1, tzinfo=UTC)
# What the portal checks beyond any schema: that an identifier is a real GS1 key.
IDENTIFIER_CHECK = re.compile(r"EPC|GTIN|GLN|SSCC|check digit|Digital Link")
DOCUMENTS = sorted(
    path
    for path in EXAMPLES_DIR.rglob("*.jsonld")
    if json.loads(path.read_text()).get("type") == "EPCISDocument"
)


def portal_refuses(document: Any) -> str | None:
    try:
        events, _context = document_events(document)
        for index, candidate in enumerate(events):
            validate_event(candidate, index, NOW)
    except (InvalidInput, TooLarge) as exc:
        return exc.message
    return None


def damaged(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what was done, the damaged copy) for each way of damaging each event."""
    for index, original in enumerate(document["epcisBody"]["eventList"]):
        for name, value in original.items():
            yield from _damaged_member(document, index, name, value)
        copied = copy.deepcopy(document)
        copied["epcisBody"]["eventList"][index]["colour"] = "red"
        yield f"event {index}: a bare member added", copied
    for name in ("@context", "schemaVersion", "creationDate"):
        copied = copy.deepcopy(document)
        copied.pop(name, None)
        yield f"document: {name} dropped", copied


def _damaged_member(
    document: dict[str, Any], index: int, name: str, value: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    def edit(description: str, change: Any) -> tuple[str, dict[str, Any]]:
        copied = copy.deepcopy(document)
        change(copied["epcisBody"]["eventList"][index])
        return f"event {index}: {name}: {description}", copied

    yield edit("dropped", lambda e: e.pop(name))
    if ":" not in name:
        yield edit("renamed bare", lambda e: e.__setitem__(name + "x", e.pop(name)))
    if isinstance(value, str):
        yield edit("given an object", lambda e: e.__setitem__(name, {"value": value}))
        yield edit("mistyped", lambda e: e.__setitem__(name, value[:-1] + "q"))
        yield edit("a bare word", lambda e: e.__setitem__(name, "somewhere"))
    elif isinstance(value, list):
        yield edit("emptied", lambda e: e.__setitem__(name, []))
        yield edit("a string", lambda e: e.__setitem__(name, "x"))
        if value and isinstance(value[0], dict):
            yield edit("an item with a bare extra", lambda e: e[name][0].__setitem__("extra", 1))
            for member, inner in value[0].items():
                yield edit(f"item member {member} dropped", lambda e, m=member: e[name][0].pop(m))
                if isinstance(inner, str):
                    yield edit(
                        f"item member {member} a bare word",
                        lambda e, m=member: e[name][0].__setitem__(m, "nothing"),
                    )
        elif value and isinstance(value[0], str):
            yield edit("an item given an object", lambda e: e[name].__setitem__(0, {"id": 1}))
    elif isinstance(value, dict):
        yield edit("a string", lambda e: e.__setitem__(name, "x"))
        yield edit("emptied", lambda e: e.__setitem__(name, {}))
        yield edit("given a bare extra", lambda e: e[name].__setitem__("extra", 1))
        for member, inner in value.items():
            yield edit(f"member {member} dropped", lambda e, m=member: e[name].pop(m))
            if isinstance(inner, str):
                yield edit(
                    f"member {member} given an object",
                    lambda e, m=member: e[name].__setitem__(m, {"v": 1}),
                )


@pytest.mark.parametrize("path", material(DOCUMENTS), ids=lambda p: getattr(p, "name", str(p)))
def test_gs1_examples_pass_and_every_damage_gs1_refuses_is_refused(path: Path) -> None:
    document = json.loads(path.read_text())
    assert schema_errors(document) == []
    assert portal_refuses(document) is None
    missed, overzealous = [], []
    refused_by_gs1 = 0
    for description, copy_ in damaged(document):
        refused = portal_refuses(copy_)
        if schema_errors(copy_):
            refused_by_gs1 += 1
            if refused is None:
                missed.append(f"{description}: GS1 says {schema_errors(copy_)[0]}")
        elif refused is not None and not IDENTIFIER_CHECK.search(refused):
            overzealous.append(f"{description}: {refused}")
    assert refused_by_gs1 > 0, "no damage was one GS1's schema refuses: the test proves nothing"
    assert missed == []
    assert overzealous == []
