"""An answer means what was captured: its JSON-LD expansion equals the captured document's.

A JSON-LD processor (pyld) reads the captured document and the repository's answer with the
standard EPCIS 2.0 context (loaded from the event-hash reference package, never the network)
and each document's own prefixes. Every event must expand to the same statements, extension
members included (``example:myField`` to ``http://ns.example.com/epcis/myField``), except what
the repository adds: its recordTime and, where the sender gave none, the eventID.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyld import jsonld

from tests.conformance import material
from tests.epcis_schema import EXAMPLES_DIR
from tests.factories.organizations import tenant
from tests.gateway.test_epcis_api import capture, job_of
from traceability.portal import Portal

EPCIS = "https://ref.gs1.org/epcis/"
ADDED_BY_THE_REPOSITORY = frozenset({"@id", f"{EPCIS}recordTime"})
WITH_OWN_PREFIXES = sorted(
    path
    for path in EXAMPLES_DIR.rglob("*.jsonld")
    if json.loads(path.read_text()).get("type") == "EPCISDocument"
    and any(isinstance(c, dict) for c in json.loads(path.read_text()).get("@context", []))
)


# The standard contexts as the reference event-hash package ships them (by their SHA-256).
CONTEXT_FILES = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld": (
        "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld"
    ),
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": (
        "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld"
    ),
}


def offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    """The standard context from disk; any other URL is a failure, never a fetch."""
    name = CONTEXT_FILES[url]
    text = files("epcis_event_hash_generator").joinpath(name).read_text(encoding="utf-8")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(text),
    }


def expanded_events(document: Any) -> list[str]:
    """Each event of the document as the JSON-LD statements it makes, canonically written."""
    expanded = jsonld.expand(document, {"documentLoader": offline_loader})
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == f"{EPCIS}eventList":
                    found.extend(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(expanded)
    return sorted(
        json.dumps(
            {k: v for k, v in event.items() if k not in ADDED_BY_THE_REPOSITORY}, sort_keys=True
        )
        for event in found
    )


def valid_json_ld(path: Path) -> bool:
    """Whether a JSON-LD processor reads the document at all: one of GS1's examples
    (transformation_event_all_possible_fields) redefines the standard context's protected
    cbvmda prefix, which JSON-LD 1.1 forbids, so it has no meaning to keep."""
    try:
        expanded_events(json.loads(path.read_text()))
    except jsonld.JsonLdError:
        return False
    return True


MEANINGFUL = [path for path in WITH_OWN_PREFIXES if valid_json_ld(path)]


def test_all_but_one_of_the_examples_with_own_prefixes_are_valid_json_ld() -> None:
    # So the filter above cannot quietly drop the cases that matter.
    assert len(WITH_OWN_PREFIXES) - len(MEANINGFUL) <= 1


@pytest.mark.parametrize("path", material(MEANINGFUL), ids=lambda p: getattr(p, "name", str(p)))
async def test_the_answer_expands_to_what_was_captured(
    client: httpx.AsyncClient, state: Portal, path: Path
) -> None:
    admin = await tenant(state, "admin")
    source = json.loads(path.read_text())
    job = await job_of(client, admin, await capture(client, admin, source))
    assert job["success"], job["errors"]
    answer = await client.get(
        "/api/v1/epcis/events", params={"perPage": 100}, headers=admin.headers
    )
    assert answer.status_code == 200, answer.text
    captured = expanded_events(source)
    assert len(captured) == len(source["epcisBody"]["eventList"])
    assert expanded_events(answer.json()) == captured
