"""The producer walkthrough's EPCIS documents (examples/), whose events are shown as the
examples of POST /api/v1/epcis/events in /openapi.json.

They are read from the source tree's examples/ or, installed from a wheel, from
share/traceability/examples under the installation's data path (pyproject.toml puts them
there); without either, the bodies keep their schemas and show no example.
"""

from __future__ import annotations

import json
import sysconfig
from functools import cache
from pathlib import Path
from typing import Any

_SOURCE_TREE = Path(__file__).resolve().parents[2] / "examples"
_INSTALLED = Path(sysconfig.get_path("data")) / "share" / "traceability" / "examples"


def examples_dir() -> Path | None:
    """Where the example documents are, or None when this installation has none."""
    for folder in (_SOURCE_TREE, _INSTALLED):
        if folder.is_dir() and any(folder.glob("*.jsonld")):
            return folder
    return None


def _summary(name: str, event: dict[str, Any]) -> str:
    what = [str(event.get("type")), str(event.get("bizStep", ""))]
    if "errorDeclaration" in event:
        what.append("errorDeclaration")
    return f"{name}: {', '.join(w for w in what if w)}"


@cache
def example_documents() -> dict[str, dict[str, Any]]:
    """Each example document by its file's stem (01-commission ...), in the walkthrough's order."""
    folder = examples_dir()
    if folder is None:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.jsonld")):
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        found[path.stem] = document
    return found


def event_examples() -> dict[str, dict[str, Any]]:
    """OpenAPI Example Objects of each event of the documents (POST /events), with the
    document's @context, as one event sent alone carries it."""
    examples: dict[str, dict[str, Any]] = {}
    for name, document in example_documents().items():
        events = document["epcisBody"]["eventList"]
        for index, event in enumerate(events):
            key = name if len(events) == 1 else f"{name}-{index + 1}"
            value = {"@context": document["@context"], **event}
            examples[key] = {"summary": _summary(key, event), "value": value}
    return examples
