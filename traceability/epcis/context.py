"""What a captured document's own @context gives its events, kept with each of them.

JSON-LD reads an event's members through the context in force: the standard EPCIS 2.0
context, plus whatever prefixes the document declares (``"example":
"http://ns.example.com/epcis/"``). Stored alone, an event would lose those, and an extension
member would expand to another IRI than the one it was captured with. So each event keeps the
document's own additions in an ``@context`` of its own (a JSON-LD event may carry one), and
every answer made of it means what was captured. An event's own @context is no part of its
CBV 2.0 event hash ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# The standard context, which every EPCIS answer carries at its top.
STANDARD_CONTEXTS: Final = frozenset(
    {
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    }
)


def _entries(context: Any) -> list[Any]:
    if context is None:
        return []
    return list(context) if isinstance(context, list) else [context]


def own_context(document_context: Any) -> list[Any]:
    """The document's @context less the standard one: what its events need besides it."""
    return [
        entry
        for entry in _entries(document_context)
        if not (isinstance(entry, str) and entry in STANDARD_CONTEXTS)
    ]


def with_document_context(event: Mapping[str, Any], extra: list[Any]) -> dict[str, Any]:
    """``event`` carrying ``extra`` ahead of any @context of its own (which, later in the
    list, keeps the last word on a prefix both define, as it had in the document)."""
    if not extra:
        return dict(event)
    merged = [*extra, *(e for e in _entries(event.get("@context")) if e not in extra)]
    rest = {name: value for name, value in event.items() if name != "@context"}
    return {"@context": merged, **rest}


def with_event_contexts(document: Any) -> Any:
    """The document with each of its events carrying the document's own context (anything
    but a JSON object is left for validation to refuse)."""
    if not isinstance(document, Mapping):
        return document
    extra = own_context(document.get("@context"))
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, Mapping) else None
    if not extra or not isinstance(body, Mapping) or not isinstance(events, list):
        return document
    body = {
        **body,
        "eventList": [
            with_document_context(e, extra) if isinstance(e, Mapping) else e for e in events
        ],
    }
    return {**document, "epcisBody": body}
