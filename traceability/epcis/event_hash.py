"""GS1 CBV 2.0 "EPCIS Event Hash ID" (CBV 2.0 section 8.9) for EPCIS 2.0 JSON / JSON-LD events.

The ID of an event is ``ni:///sha-256;<hex>?ver=CBV2.0`` where ``<hex>`` is the SHA-256 of the
event's *pre-hash string*: a canonical, order-independent rendering of the event's data.

Output is meant to be byte-for-byte identical to the reference implementation of the algorithm
(PyPI ``epcis-event-hash-generator``), including its observable quirks, without doing a JSON-LD
expansion. The rules, as observed on the reference and as prescribed by the CBV, are:

1. *Vocabulary expansion.* Every string value that is a bare CBV / GS1 word (``"departing"``,
   ``"po"``, ``"Temperature"`` ...) is replaced by its full web-vocabulary IRI. The reference does
   this heuristically over a whole document: it collects every IRI under
   ``https://ref.gs1.org/cbv`` or ``https://gs1.org/voc`` that JSON-LD expansion produces, and then
   replaces *any* string value ``v`` for which exactly one of those IRIs ends with ``-v`` or
   ``/v``. Here the set of IRIs is computed from a table of the EPCIS 2.0 JSON-LD context
   (:mod:`~traceability.epcis.prehash.cbv_vocabulary`), the replacement rule is the same.
2. *Names.* Member names ``prefix:local`` whose prefix the document's ``@context`` defines become
   ``{namespace}local``; string values ``prefix:rest`` become ``namespace`` + ``rest``.
3. *Tree.* The event becomes a tree of ``(name, text, children)`` nodes; JSON arrays contribute one
   node per element under the member's name. ``*List`` members are regrouped the way the XML
   binding nests them (``epcList`` → ``epc`` children, ``quantityList`` → ``quantityElement``,
   ``inputEPCList`` → ``epc`` ...); ``bizTransactionList`` / ``sourceList`` / ``destinationList``
   elements keep the first two members of each element as a unit.
4. *Pre-hash string.* ``eventType=<type>``, then the standard fields in the order of CBV 2.0
   section 8.9 (:mod:`~traceability.epcis.prehash.render`), each rendered ``name=value`` (repeated
   fields sorted), nested fields directly after their parent's name, and extension members of a
   nested field appended after its standard children (sorted). Everything that is left - user
   extensions at event level, ``ilmd``, the three typed lists - follows, rendered generically and
   sorted. ``eventID``, ``recordTime``, ``errorDeclaration`` and (here) any embedded ``@context``
   are left out.
5. *Values.* Timestamps of the ordered time fields go to UTC with milliseconds
   (``2020-03-04T10:00:30.000Z``); other values: old CBV URNs (``urn:epcglobal:cbv:bizstep:x``)
   become web-vocabulary IRIs, numbers are reformatted (``"10.0"`` → ``10``, ``"007"`` → ``7``),
   and EPC URIs / GS1 Digital Link URIs become constrained canonical GS1 Digital Link URIs
   (:func:`~traceability.epcis.prehash.gs1_uris.canonical_gs1_uri`).

Known, deliberate differences from the reference, all on input the reference cannot process or
handles inconsistently: an event-level ``@context`` is not hashed (its prefixes are used for the
names); a typed-list element with fewer than two members is hashed instead of crashing;
timestamps without an offset are read as UTC (the reference uses the host's zone); a
millisecond rounding overflow carries into the next second instead of failing; ``@context``
entries that are not strings are ignored for prefixes instead of failing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Final

from traceability.epcis.prehash.event_tree import TreeBuilder, regroup
from traceability.epcis.prehash.jsonld_context import (
    Context,
    collect_vocabulary_iris,
    context_entries,
    replacement_table,
)
from traceability.epcis.prehash.render import EVENT_ORDER, render_generic, render_ordered
from traceability.errors import InvalidInput

__all__ = [
    "document_event_hash_ids",
    "document_event_prehashes",
    "event_hash_id",
    "event_prehash",
    "hash_id_from_prehash",
]

# Members left out of the event's generic tail.
_EXCLUDED_MEMBERS: Final = frozenset({"recordTime", "eventID", "type", "errorDeclaration"})


def hash_id_from_prehash(prehash: str) -> str:
    """The ``ni:`` URI (RFC 6920) of a pre-hash string, as CBV 2.0 prescribes."""
    return "ni:///sha-256;" + hashlib.sha256(prehash.encode("utf-8")).hexdigest() + "?ver=CBV2.0"


def _prehash(event: object, ctx: Context, replacements: Mapping[str, str]) -> str:
    if not isinstance(event, Mapping):
        raise InvalidInput("an EPCIS event must be a JSON object", field="event")
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidInput("an EPCIS event needs its event type", field="type")
    root = regroup(TreeBuilder(ctx, replacements).object_node(event))
    ordered, remaining = render_ordered(root[2], EVENT_ORDER)
    rest = [child for child in remaining if child[0] not in _EXCLUDED_MEMBERS]
    return "eventType=" + root[0] + ordered + (render_generic(rest) if rest else "")


def _event_context(event: Mapping[str, Any], ctx: Context) -> Context:
    inline = event.get("@context")
    if inline is None:
        return ctx
    merged = Context(None)
    for attribute in Context.__slots__:
        value = getattr(ctx, attribute)
        setattr(merged, attribute, dict(value) if isinstance(value, dict) else value)
    for entry in context_entries(inline):
        merged.add(entry)
    return merged


def _replacements_for(obj: Mapping[str, Any], ctx: Context) -> dict[str, str]:
    iris: set[str] = set()
    collect_vocabulary_iris(obj, ctx, iris)
    return replacement_table(frozenset(iris)) if iris else {}


def event_prehash(
    event: Mapping[str, Any], context: Sequence[Any] | Mapping[str, Any] | str | None = None
) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 event (JSON, as inside ``eventList``).

    ``context`` is the ``@context`` of the enclosing document (a URL, an object or an array of
    those); its string-valued entries define the prefixes of extension members (``"example":
    "http://ns.example.com/epcis/"``). The standard EPCIS 2.0 context is always assumed.
    """
    if not isinstance(event, Mapping):
        raise InvalidInput("an EPCIS event must be a JSON object", field="event")
    ctx = _event_context(event, Context(context))
    return _prehash(event, ctx, _replacements_for(event, ctx))


def event_hash_id(
    event: Mapping[str, Any], context: Sequence[Any] | Mapping[str, Any] | str | None = None
) -> str:
    """The CBV 2.0 EPCIS Event Hash ID (``ni:///sha-256;<hex>?ver=CBV2.0``) of one event."""
    return hash_id_from_prehash(event_prehash(event, context))


def _document_events(document: Mapping[str, Any]) -> list[Any]:
    if not isinstance(document, Mapping):
        raise InvalidInput("an EPCIS document must be a JSON object", field="document")
    body = document.get("epcisBody")
    if not isinstance(body, Mapping):
        raise InvalidInput("missing or not an object", field="epcisBody")
    if "queryResults" in body:
        results = body["queryResults"]
        body = results.get("resultsBody") if isinstance(results, Mapping) else None
        if not isinstance(body, Mapping):
            raise InvalidInput(
                "missing or not an object", field="epcisBody.queryResults.resultsBody"
            )
    if "eventList" in body:
        events = body["eventList"]
        if not isinstance(events, (list, tuple)):
            raise InvalidInput("must be an array", field="eventList")
        return list(events)
    if "event" in body:
        return [body["event"]]
    return []


def document_event_prehashes(document: Mapping[str, Any]) -> list[str]:
    """Pre-hash strings of every event of an EPCISDocument / EPCISQueryDocument, in order.

    Bare vocabulary words are resolved over the whole document, as the reference does: a value
    equal to a CBV word used anywhere in the document is replaced by that word's IRI.
    """
    events = _document_events(document)
    ctx = Context(document.get("@context"))
    replacements = _replacements_for(document, ctx)
    return [
        _prehash(
            event, _event_context(event, ctx) if isinstance(event, Mapping) else ctx, replacements
        )
        for event in events
    ]


def document_event_hash_ids(document: Mapping[str, Any]) -> list[str]:
    """Event Hash IDs of every event of an EPCISDocument / EPCISQueryDocument, in order."""
    return [hash_id_from_prehash(prehash) for prehash in document_event_prehashes(document)]
