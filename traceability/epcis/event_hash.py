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
   (:func:`_collect_vocabulary_iris`), the replacement rule is the same.
2. *Names.* Member names ``prefix:local`` whose prefix the document's ``@context`` defines become
   ``{namespace}local``; string values ``prefix:rest`` become ``namespace`` + ``rest``.
3. *Tree.* The event becomes a tree of ``(name, text, children)`` nodes; JSON arrays contribute one
   node per element under the member's name. ``*List`` members are regrouped the way the XML
   binding nests them (``epcList`` → ``epc`` children, ``quantityList`` → ``quantityElement``,
   ``inputEPCList`` → ``epc`` ...); ``bizTransactionList`` / ``sourceList`` / ``destinationList``
   elements keep the first two members of each element as a unit.
4. *Pre-hash string.* ``eventType=<type>``, then the standard fields in the order of CBV 2.0
   section 8.9 (:data:`_EVENT_ORDER`), each rendered ``name=value`` (repeated fields sorted), nested
   fields directly after their parent's name, and extension members of a nested field appended
   after its standard children (sorted). Everything that is left - user extensions at event
   level, ``ilmd``, the three typed lists - follows, rendered generically and sorted. ``eventID``,
   ``recordTime``, ``errorDeclaration`` and (here) any embedded ``@context`` are left out.
5. *Values.* Timestamps of the ordered time fields go to UTC with milliseconds
   (``2020-03-04T10:00:30.000Z``); other values: old CBV URNs (``urn:epcglobal:cbv:bizstep:x``)
   become web-vocabulary IRIs, numbers are reformatted (``"10.0"`` → ``10``, ``"007"`` → ``7``),
   and EPC URIs / GS1 Digital Link URIs become constrained canonical GS1 Digital Link URIs
   (:func:`_canonical_gs1_uri`).

Known, deliberate differences from the reference, all on input the reference cannot process or
handles inconsistently: an event-level ``@context`` is not hashed (its prefixes are used for the
names); a typed-list element with fewer than two members is hashed instead of crashing;
timestamps without an offset are read as UTC (the reference uses the host's zone); a
millisecond rounding overflow carries into the next second instead of failing; ``@context``
entries that are not strings are ignored for prefixes instead of failing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final

from traceability.errors import InvalidInput

__all__ = [
    "document_event_hash_ids",
    "document_event_prehashes",
    "event_hash_id",
    "event_prehash",
    "hash_id_from_prehash",
]

# ---------------------------------------------------------------------------------------------
# Tree model: (name, text, children). A unit of a typed list (bizTransaction / source /
# destination element) is a node with an empty name and text whose children are its two members.
# ---------------------------------------------------------------------------------------------

_Node = tuple[str, str, list["_Node"]]

_CBV: Final = "https://ref.gs1.org/cbv/"
_VOC: Final = "https://gs1.org/voc/"
_VOCAB_IRI_PREFIXES: Final = ("https://ref.gs1.org/cbv", "https://gs1.org/voc")

# Members never part of the tree (at any depth).
_SKIPPED_MEMBERS: Final = frozenset({"#text", "rdfs:comment", "comment", "@context"})
# Members left out of the event's generic tail.
_EXCLUDED_MEMBERS: Final = frozenset({"recordTime", "eventID", "type", "errorDeclaration"})
# An object with one of these members keeps its members in document order (no sorting).
_ORDERED_MEMBERS: Final = ("bizTransaction", "source", "destination")
_TYPED_LISTS: Final = frozenset({"bizTransactionList", "sourceList", "destinationList"})

# ---------------------------------------------------------------------------------------------
# Field order of the pre-hash string (CBV 2.0, 8.9). None: a leaf-like field; a dict: the order
# of the field's children.
# ---------------------------------------------------------------------------------------------

_Order = dict[str, "_Order | None"]


def _order(names: str) -> _Order:
    return dict.fromkeys(names.split())


_QUANTITY: Final[_Order] = {"quantityElement": _order("epcClass quantity uom")}
_EPCS: Final[_Order] = {"epc": None}
_SENSOR_METADATA: Final = _order(
    "time startTime endTime deviceID deviceMetadata rawData dataProcessingMethod bizRules"
)
_SENSOR_REPORT: Final = _order(
    "type exception deviceID deviceMetadata rawData dataProcessingMethod time microorganism"
    " chemicalSubstance value component stringValue booleanValue hexBinaryValue uriValue"
    " minValue maxValue meanValue sDev percRank percValue uom coordinateReferenceSystem"
)
_EVENT_ORDER: Final[_Order] = {
    "eventTime": None,
    "eventTimeZoneOffset": None,
    "certificationInfo": None,
    "parentID": None,
    "epcList": _EPCS,
    "inputEPCList": _EPCS,
    "childEPCs": _EPCS,
    "quantityList": _QUANTITY,
    "childQuantityList": _QUANTITY,
    "inputQuantityList": _QUANTITY,
    "outputEPCList": _EPCS,
    "outputQuantityList": _QUANTITY,
    "action": None,
    "transformationID": None,
    "bizStep": None,
    "disposition": None,
    "persistentDisposition": _order("set unset"),
    "readPoint": {"id": None},
    "bizLocation": {"id": None},
    # The typed lists never render in the ordered part; they end up in the generic tail.
    "bizTransactionList": None,
    "sourceList": None,
    "destinationList": None,
    "sensorElementList": {
        "sensorElement": {"sensorMetadata": _SENSOR_METADATA, "sensorReport": _SENSOR_REPORT}
    },
    # ilmd is not in the ordered part either: it is rendered with the generic tail.
}
_ABSENT: Final[Any] = object()

# ---------------------------------------------------------------------------------------------
# The EPCIS 2.0 JSON-LD context, as far as it matters here: which members hold IRIs, which hold
# vocabulary words, and the bare words each vocabulary member accepts.
# ---------------------------------------------------------------------------------------------


def _words(prefix: str, words: str) -> dict[str, str]:
    return {w: prefix + w for w in words.split()}


_BIZ_STEPS: Final = _words(
    _CBV + "BizStep-",
    "accepting arriving assembling collecting commissioning consigning creating_class_instance"
    " cycle_counting decommissioning departing destroying disassembling dispensing encoding"
    " entering_exiting holding inspecting installing killing loading other packing picking"
    " receiving removing repackaging repairing replacing reserving retail_selling sampling"
    " sensor_reporting shipping staging_outbound stock_taking stocking storing transporting"
    " unloading unpacking void_shipping",
)
_DISPOSITIONS: Final = _words(
    _CBV + "Disp-",
    "active available completeness_verified completeness_inferred conformant container_closed"
    " container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit"
    " inactive mismatch_instance mismatch_class mismatch_quantity needs_replacement"
    " no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved"
    " retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable unknown",
)
_SOURCE_DEST_TYPES: Final = _words(_CBV + "SDT-", "owning_party possessing_party location")
_BIZ_TRANSACTION_TYPES: Final = _words(
    _CBV + "BTT-", "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt"
)
_ERROR_REASONS: Final = _words(_CBV + "ER-", "did_not_occur incorrect_data")
_COMPONENTS: Final = _words(
    _CBV + "Comp-",
    "x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting"
    " northing latitude longitude altitude",
)
_SENSOR_ALERTS: Final = _words(_VOC, "ALARM_CONDITION ERROR_CONDITION")
_MEASUREMENT_TYPES: Final = _words(
    _VOC,
    "AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude"
    " AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum"
    " AngularVelocity Area Capacitance Conductance Conductivity Count Density Dimensionless"
    " DoseEquivalent DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent"
    " ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force Frequency Illuminance"
    " Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance LuminousFlux"
    " LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass"
    " MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy"
    " MolarMass MolarVolume Power Pressure RadiantFlux RadiantIntensity RelativeHumidity"
    " Resistance Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension"
    " Temperature Time Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux"
    " Wavenumber",
)
_EPCIS_PREFIXES: Final = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": _CBV,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": _VOC,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}

# Term kinds.
_LITERAL: Final = 0  # plain value
_IRI: Final = 1  # "@type": "@id"
_VOCAB: Final = 2  # "@type": "@vocab"
_ID_ALIAS: Final = 3  # alias of @id
_TYPE_ALIAS: Final = 4  # alias of @type
_DROPPED: Final = 5  # maps to null


class _Term:
    __slots__ = ("kind", "scope", "words")

    def __init__(
        self,
        kind: int,
        words: Mapping[str, str] | None = None,
        scope: dict[str, _Term] | None = None,
    ) -> None:
        self.kind = kind
        self.words: Mapping[str, str] = words or {}
        self.scope = scope  # property-scoped context for nested objects


def _terms(kind: int, names: str) -> dict[str, _Term]:
    return {name: _Term(kind) for name in names.split()}


def _build_epcis_scope() -> dict[str, _Term]:
    top: dict[str, _Term] = {
        **_terms(
            _LITERAL,
            "eventTime recordTime eventTimeZoneOffset action quantity uom quantityList"
            " childQuantityList inputQuantityList outputQuantityList creationDate sender receiver"
            " instanceIdentifier schemaVersion ilmd epcisHeader masterData vocabularyList"
            " epcisBody queryResults subscriptionID queryName resultsBody eventList ObjectEvent"
            " AggregationEvent TransformationEvent AssociationEvent TransactionEvent Collection"
            " EPCISDocument EPCISQueryDocument " + " ".join(_EPCIS_PREFIXES),
        ),
        **_terms(
            _IRI,
            "certificationInfo bizLocation readPoint transformationID epcList epcClass parentID"
            " childEPCs inputEPCList outputEPCList member children",
        ),
        "id": _Term(_ID_ALIAS),
        "eventID": _Term(_ID_ALIAS),
        "type": _Term(_TYPE_ALIAS),
        "bizStep": _Term(_VOCAB, _BIZ_STEPS),
        "disposition": _Term(_VOCAB, _DISPOSITIONS),
    }
    source = {**top, "source": _Term(_IRI), "type": _Term(_VOCAB, _SOURCE_DEST_TYPES)}
    destination = {**top, "destination": _Term(_IRI), "type": _Term(_VOCAB, _SOURCE_DEST_TYPES)}
    biz_transaction = {
        **top,
        "bizTransaction": _Term(_ID_ALIAS),
        "type": _Term(_VOCAB, _BIZ_TRANSACTION_TYPES),
    }
    persistent = {
        **top,
        **{word: _Term(_LITERAL) for word in _DISPOSITIONS},
        "set": _Term(_VOCAB, _DISPOSITIONS),
        "unset": _Term(_VOCAB, _DISPOSITIONS),
    }
    sensor_element: dict[str, _Term] = {
        **top,
        **_terms(_IRI, "deviceID deviceMetadata rawData dataProcessingMethod"),
        "time": _Term(_LITERAL),
        "type": _Term(_TYPE_ALIAS),
    }
    sensor_metadata = {
        **sensor_element,
        **_terms(_LITERAL, "startTime endTime"),
        "bizRules": _Term(_IRI),
    }
    sensor_report = {
        **sensor_element,
        **_terms(_IRI, "coordinateReferenceSystem microorganism chemicalSubstance uriValue"),
        **_terms(
            _LITERAL,
            "time value stringValue booleanValue hexBinaryValue minValue maxValue meanValue sDev"
            " percRank percValue",
        ),
        "type": _Term(_VOCAB, _MEASUREMENT_TYPES),
        "exception": _Term(_VOCAB, _SENSOR_ALERTS),
        "component": _Term(_VOCAB, _COMPONENTS),
    }
    sensor_element["sensorMetadata"] = _Term(_LITERAL, scope=sensor_metadata)
    sensor_element["sensorReport"] = _Term(_LITERAL, scope=sensor_report)
    error = {
        **top,
        "reason": _Term(_VOCAB, _ERROR_REASONS),
        "correctiveEventIDs": _Term(_IRI),
        "declarationTime": _Term(_LITERAL),
    }
    top["sourceList"] = _Term(_LITERAL, scope=source)
    top["destinationList"] = _Term(_LITERAL, scope=destination)
    top["bizTransactionList"] = _Term(_LITERAL, scope=biz_transaction)
    top["persistentDisposition"] = _Term(_LITERAL, scope=persistent)
    top["sensorElementList"] = _Term(_LITERAL, scope=sensor_element)
    top["errorDeclaration"] = _Term(_LITERAL, scope=error)
    return top


_EPCIS_SCOPE: Final = _build_epcis_scope()
_GEN_DELIMS: Final = frozenset(":/?#[]@")


class _Context:
    """What a document's ``@context`` contributes: name prefixes and extra JSON-LD terms."""

    __slots__ = ("key_prefixes", "prefixes", "terms", "value_prefixes", "vocab", "vocab_terms")

    def __init__(self, context: object) -> None:
        self.key_prefixes: dict[str, str] = {}  # prefix -> "{namespace}"
        self.value_prefixes: dict[str, str] = {}  # prefix -> namespace
        self.prefixes: dict[str, str] = dict(_EPCIS_PREFIXES)  # JSON-LD compact IRI prefixes
        self.vocab_terms: dict[str, str] = {"cbv": _CBV, "gs1": _VOC}
        self.terms: dict[str, _Term] = {}
        self.vocab: str | None = None
        for entry in _context_entries(context):
            self.add(entry)

    def add(self, entry: object) -> None:
        if isinstance(entry, str):
            self._namespace(entry, entry)
            return
        if not isinstance(entry, Mapping):
            return
        for key, value in entry.items():
            if not isinstance(key, str):
                continue
            if isinstance(value, str):
                self._namespace(key, value)
            if key.startswith("@"):
                if key == "@vocab" and isinstance(value, str):
                    self.vocab = value
                continue
            self._term(key, value)

    def _namespace(self, prefix: str, namespace: str) -> None:
        self.key_prefixes[prefix] = "{" + namespace + "}"
        self.value_prefixes[prefix] = namespace.replace("{", "").replace("}", "")

    def _term(self, key: str, value: object) -> None:
        if value is None:
            self.terms[key] = _Term(_DROPPED)
            return
        if isinstance(value, str):
            iri = self.expand_iri(value) or value
            self.terms[key] = _Term(_LITERAL)
            self.vocab_terms[key] = iri
            if ":" not in key and "/" not in key and iri[-1:] in _GEN_DELIMS:
                self.prefixes[key] = iri
            return
        if isinstance(value, Mapping):
            kind = {"@id": _IRI, "@vocab": _VOCAB}.get(str(value.get("@type")), _LITERAL)
            self.terms[key] = _Term(kind)
            target = value.get("@id")
            if isinstance(target, str):
                self.vocab_terms[key] = self.expand_iri(target) or target
                if value.get("@prefix") is True:
                    self.prefixes[key] = self.vocab_terms[key]

    def expand_iri(self, value: str) -> str | None:
        """JSON-LD IRI expansion of a (non-term) value; None for a relative IRI."""
        prefix, colon, suffix = value.partition(":")
        if not colon:
            return None
        if not suffix.startswith("//"):
            namespace = self.prefixes.get(prefix)
            if namespace is not None:
                return namespace + suffix
        return value

    def expand_vocab(self, value: str, words: Mapping[str, str]) -> str | None:
        iri = words.get(value)
        if iri is None:
            iri = self.vocab_terms.get(value)
        if iri is None:
            iri = self.expand_iri(value)
        if iri is None and self.vocab is not None:
            iri = self.vocab + value
        return iri


def _context_entries(context: object) -> Iterable[object]:
    if context is None:
        return ()
    if isinstance(context, (str, Mapping)):
        return (context,)
    if isinstance(context, Sequence):
        return context
    raise InvalidInput("must be a string, an object or an array", field="@context")


# ---------------------------------------------------------------------------------------------
# Step 1: the vocabulary IRIs of an event / document and the bare-word replacement table.
# ---------------------------------------------------------------------------------------------


def _collect_vocabulary_iris(obj: Mapping[str, Any], ctx: _Context, out: set[str]) -> None:
    _collect_object(obj, _EPCIS_SCOPE, ctx, out)


def _collect_object(
    obj: Mapping[str, Any], scope: dict[str, _Term], ctx: _Context, out: set[str]
) -> None:
    for key, value in obj.items():
        if not isinstance(key, str):
            continue
        term = scope.get(key) or ctx.terms.get(key)
        if term is None:
            if key.startswith("@"):
                if key == "@id":
                    term = _ID_ALIAS_TERM
                elif key == "@type":
                    term = _TYPE_ALIAS_TERM
                elif key in ("@value", "@list", "@set"):
                    term = _LITERAL_TERM
                else:
                    continue
            elif ":" in key or ctx.vocab is not None:
                term = _LITERAL_TERM
            else:
                continue  # not a term: dropped by JSON-LD expansion
        elif term.kind == _DROPPED:
            continue
        _collect_value(value, term, scope, ctx, out)


def _collect_value(
    value: Any, term: _Term, scope: dict[str, _Term], ctx: _Context, out: set[str]
) -> None:
    if isinstance(value, str):
        kind = term.kind
        iri: str | None
        if kind == _LITERAL:
            iri = value
        elif kind in (_VOCAB, _TYPE_ALIAS):
            iri = ctx.expand_vocab(value, term.words)
        else:
            iri = ctx.expand_iri(value)
        if iri is not None and iri.startswith(_VOCAB_IRI_PREFIXES):
            out.add(iri)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_value(item, term, scope, ctx, out)
    elif isinstance(value, (dict, Mapping)):
        _collect_object(value, term.scope or scope, ctx, out)


_LITERAL_TERM: Final = _Term(_LITERAL)
_ID_ALIAS_TERM: Final = _Term(_ID_ALIAS)
_TYPE_ALIAS_TERM: Final = _Term(_TYPE_ALIAS)


@lru_cache(maxsize=512)
def _replacement_table(iris: frozenset[str]) -> dict[str, str]:
    """Map each bare value to the one vocabulary IRI ending in ``-value`` or ``/value``."""
    candidates: dict[str, set[str]] = {}
    for iri in iris:
        for i, char in enumerate(iri):
            if char == "-" or char == "/":
                candidates.setdefault(iri[i + 1 :], set()).add(iri)
    return {bare: next(iter(found)) for bare, found in candidates.items() if len(found) == 1}


# ---------------------------------------------------------------------------------------------
# Steps 2 and 3: the event tree.
# ---------------------------------------------------------------------------------------------


class _TreeBuilder:
    __slots__ = ("key_prefixes", "replacements", "value_prefixes")

    def __init__(self, ctx: _Context, replacements: Mapping[str, str]) -> None:
        self.key_prefixes = ctx.key_prefixes
        self.value_prefixes = ctx.value_prefixes
        self.replacements = replacements

    def scalar(self, value: Any) -> str:
        if not isinstance(value, str):
            return str(value)
        text: str = self.replacements.get(value, value)
        prefix, colon, rest = text.partition(":")
        if colon:
            namespace = self.value_prefixes.get(prefix)
            if namespace is not None:
                return namespace + rest
        return text

    def node(self, value: Any) -> _Node:
        if isinstance(value, str):
            return ("", self.scalar(value), [])
        if isinstance(value, (dict, Mapping)):
            return self.object_node(value)
        if isinstance(value, (list, tuple)):
            children = [self.node(item) for item in value]
            replacements = self.replacements
            if not any(
                isinstance(item, str) and replacements.get(item, item) in _ORDERED_MEMBERS
                for item in value
            ):
                children.sort()
            return ("", "", children)
        return ("", self.scalar(value), [])

    def object_node(self, obj: Mapping[str, Any]) -> _Node:
        children: list[_Node] = []
        append = children.append
        key_prefixes = self.key_prefixes
        for key, value in obj.items():
            if key in _SKIPPED_MEMBERS or key.startswith("@xmlns"):
                continue
            name = key
            if ":" in key:
                prefix, _, local = key.partition(":")
                namespace = key_prefixes.get(prefix)
                if namespace is not None:
                    name = namespace + local
            if isinstance(value, str):
                append((name, self.scalar(value), []))
            elif isinstance(value, (list, tuple)):
                for item in self.node(value)[2]:
                    append((name, item[1], item[2]))
            elif isinstance(value, (dict, Mapping)):
                nested = self.object_node(value)
                append((name, nested[1], nested[2]))
            else:
                append((name, str(value), []))
        if not any(member in obj for member in _ORDERED_MEMBERS):
            children.sort()
        kind = obj.get("type", "")
        kind = self.replacements.get(kind, kind) if isinstance(kind, str) else str(kind)
        text = obj.get("#text", "")
        text = self.replacements.get(text, text) if isinstance(text, str) else str(text)
        return (kind, text, children)


_LEAF_RENAMES: Final = {
    "inputEPC": "epc",
    "outputEPC": "epc",
    "inputQuantity": "quantityElement",
    "outputQuantity": "quantityElement",
    "childQuantity": "quantityElement",
}


def _regroup(node: _Node) -> _Node:
    """Nest ``*List`` members the way the XML binding does (``epcList`` → ``epc`` children ...)."""
    name, text, children = node
    kept: list[_Node] = []
    groups: dict[str, list[_Node]] = {}
    child_epcs: list[_Node] = []
    for child in children:
        child_name = child[0]
        if child_name.endswith("List"):
            groups.setdefault(child_name, []).append((child_name[:-4], child[1], child[2]))
        elif child_name == "childEPCs":
            child_epcs.append(("epc", child[1], []))
        elif child[2]:
            kept.append(_regroup(child))
        else:
            renamed = _LEAF_RENAMES.get(child_name)
            kept.append(child if renamed is None else (renamed, child[1], child[2]))
    for list_name, elements in groups.items():
        if list_name in _TYPED_LISTS:
            units: list[_Node] = [("", "", element[2][:2]) for element in elements]
            kept.append((list_name, "", units))
        else:
            kept.append(_regroup((list_name, "", elements)))
    if child_epcs:
        kept.append(_regroup(("childEPCs", "", child_epcs)))
    if name in _LEAF_RENAMES:
        name = _LEAF_RENAMES[name]
    elif name == "quantity" and kept:
        name = "quantityElement"
    return (name, text, kept)


# ---------------------------------------------------------------------------------------------
# Step 4: rendering.
# ---------------------------------------------------------------------------------------------


def _is_extension(name: str) -> bool:
    return "{" in name and "/}" in name


def _render_ordered(children: list[_Node], order: _Order) -> tuple[str, list[_Node]]:
    """Render the children named in ``order``; return the text and the children left over."""
    extensions: list[_Node] = []
    if len(children) > 1 and not any(
        "eventTime" in child[0] or "action" in child[0] for child in children
    ):
        extensions = [child for child in children if _is_extension(child[0])]
        if extensions:
            children = [child for child in children if not _is_extension(child[0])]
    rendered: dict[str, list[str]] = {}
    remaining: list[_Node] = []
    for child in children:
        name = child[0]
        sub_order = order.get(name, _ABSENT)
        if sub_order is _ABSENT:
            remaining.append(child)
            continue
        grand_children = child[2]
        nested = ""
        if sub_order is not None:
            nested, grand_children = _render_ordered(grand_children, sub_order)
        value = ""
        if child[1]:
            value = child[1].strip()
            lowered = name.lower()
            if "time" in lowered and "offset" not in lowered:
                value = _utc_timestamp(value)
            else:
                value = _canonical_value(value)
            if value:
                value = "=" + value
        if value or nested:
            rendered.setdefault(name, []).append(name + value + nested)
        if grand_children:
            remaining.append((name, child[1], grand_children))
    text = "".join("".join(sorted(rendered[name])) for name in order if name in rendered)
    if extensions:
        text += _render_generic(extensions)
    return text, remaining


def _render_generic(children: list[_Node]) -> str:
    parts = []
    for name, text, grand_children in children:
        value = text.strip()
        if value:
            value = "=" + _canonical_value(value)
        parts.append(name + value + (_render_generic(grand_children) if grand_children else ""))
    if len(parts) > 1 and not any(child[0] in _ORDERED_MEMBERS for child in children):
        parts.sort()
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Step 5: values.
# ---------------------------------------------------------------------------------------------

_TIMESTAMP: Final = re.compile(
    r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}|[0-9](?=:)):?([0-9]{2})(?::?([0-9]{2})(?:[.,]([0-9]+)|[.,](?![Zz]))?)?)?"
    r"\s*(?:([Zz]|UTC|GMT)|([+-])([0-9]{2}|[0-9](?=:))(?::?([0-9]{2}))?)?"
)


@lru_cache(maxsize=4096)
def _utc_timestamp(text: str) -> str:
    """``2020-03-04T11:00:30+01:00`` → ``2020-03-04T10:00:30.000Z``; non-timestamps unchanged."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return text
    year, month, day, hour, minute, second, fraction, _utc, sign, off_h, off_m = match.groups()
    micros = int((fraction or "")[:6].ljust(6, "0"))
    try:
        zone = UTC
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
            zone = timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=zone,
        )
        moment = (moment + timedelta(microseconds=round(micros, -3))).astimezone(UTC)
    except (ValueError, OverflowError):
        return text
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


_OLD_CBV_URNS: Final = (
    ("urn:epcglobal:cbv:bizstep:", _CBV + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", _CBV + "Disp-"),
    ("urn:epcglobal:cbv:btt:", _CBV + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", _CBV + "SDT-"),
    ("urn:epcglobal:cbv:er:", _CBV + "ER-"),
)
_NUMBER_START: Final = frozenset("0123456789+-.iInN")


@lru_cache(maxsize=65536)
def _canonical_value(text: str) -> str:
    if "urn:epcglobal:cbv:" in text:
        for old, new in _OLD_CBV_URNS:
            text = text.replace(old, new)
    if text and (text[0] in _NUMBER_START or not text[0].isascii()):
        text = _canonical_number(text)
    if "." in text and (text.startswith("urn:epc:") or text.startswith("http")):
        canonical = _canonical_gs1_uri(text)
        if canonical is not None:
            return canonical
    return text


def _canonical_number(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    integer = int(number)
    return str(integer) if integer == number else repr(number)


# --- EPC URIs (TDS) and GS1 Digital Link URIs → constrained canonical GS1 Digital Link URI ---

_DL: Final = "https://id.gs1.org/"
_SERIAL_CHAR: Final = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
_CPI_CHAR: Final = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
_PERCENT_ENCODE: Final = str.maketrans(
    {"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"}
)


def _key_digits(total: int, *, twelve: str = r"\d{12}\.") -> str:
    """Company prefix (6..12 digits), '.', then the rest of a ``total``-digit key."""
    alternatives = [rf"\d{{{n}}}\.\d{{{total - n}}}" if n < total else twelve for n in range(6, 13)]
    return "(?:" + "|".join(alternatives) + ")"


def _prefix_and_text(limit: int, chars: str) -> str:
    """Company prefix (6..12 digits), '.', then up to ``limit - (len - 6)`` characters."""
    return "(?:" + "|".join(rf"\d{{{n}}}\.{chars}{{1,{limit - n + 6}}}" for n in range(6, 13)) + ")"


def _check_digit(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def _gtin(prefix: str, item: str) -> str:
    raw = item[:1] + prefix + item[1:]
    return raw + _check_digit(raw)


def _with_check(raw: str) -> str:
    return raw + _check_digit(raw)


_S: Final = _SERIAL_CHAR
# builder(uri, company prefix, position of the first '.') -> Digital Link path
_Builder = Callable[[str, str, int], str]
# scheme prefix -> (pattern of the whole URI, builder)
_EPC_SCHEMES: Final[dict[str, tuple[re.Pattern[str], _Builder]]] = {}


def _scheme(prefix: str, pattern: str) -> Callable[[_Builder], _Builder]:
    def register(builder: _Builder) -> _Builder:
        _EPC_SCHEMES[prefix] = (re.compile(re.escape(prefix) + pattern), builder)
        return builder

    return register


@_scheme("urn:epc:id:sgtin:", _key_digits(13) + rf"\.{_S}{{1,20}}")
def _sgtin(uri: str, cp: str, dot: int) -> str:
    item = uri[dot + 1 : dot + 14 - len(cp)]
    return "01/" + _gtin(cp, item) + "/21/" + uri[32:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:sscc:", _key_digits(17))
def _sscc(uri: str, cp: str, dot: int) -> str:
    return "00/" + _with_check(uri[dot + 1] + cp + uri[dot + 2 :])


@_scheme("urn:epc:id:sgln:", _key_digits(12) + rf"\.{_S}{{1,20}}")
def _sgln(uri: str, cp: str, dot: int) -> str:
    gln = _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])
    extension = uri[30:]
    if extension == "0":
        return "414/" + gln
    return "414/" + gln + "/254/" + extension.translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:grai:", _key_digits(12, twelve=r"\d{12}\.\.") + rf"\.{_S}{{1,16}}")
def _grai(uri: str, cp: str, dot: int) -> str:
    raw = _with_check("0" + cp + uri[dot + 1 : dot + 13 - len(cp)])
    return "8003/" + raw + uri[30:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:giai:", _prefix_and_text(24, _S))
def _giai(uri: str, cp: str, dot: int) -> str:
    return "8004/" + cp + uri[dot + 1 :].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:gsrn:", _key_digits(17))
def _gsrn(uri: str, cp: str, dot: int) -> str:
    return "8018/" + _with_check(cp + uri[dot + 1 :])


@_scheme("urn:epc:id:gsrnp:", _key_digits(17))
def _gsrnp(uri: str, cp: str, dot: int) -> str:
    return "8017/" + _with_check(cp + uri[dot + 1 :])


@_scheme("urn:epc:id:gdti:", _key_digits(12, twelve=r"\d{12}\.\.") + rf"{_S}{{1,20}}")
def _gdti(uri: str, cp: str, dot: int) -> str:
    raw = _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])
    return "253/" + raw + uri[30:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:cpi:", _prefix_and_text(24, _CPI_CHAR) + r"\.\d{1,12}")
def _cpi(uri: str, cp: str, dot: int) -> str:
    last = uri.rfind(".")
    part = (cp + uri[dot + 1 : last]).translate(_PERCENT_ENCODE)
    return "8010/" + part + "/8011/" + uri[last + 1 :]


@_scheme("urn:epc:id:sgcn:", _key_digits(12) + r"\.\d{1,12}")
def _sgcn(uri: str, cp: str, dot: int) -> str:
    return "255/" + _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)]) + uri[30:]


@_scheme("urn:epc:id:ginc:", _prefix_and_text(24, _S))
def _ginc(uri: str, cp: str, dot: int) -> str:
    return "401/" + cp + uri[dot + 1 :].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:gsin:", _key_digits(16))
def _gsin(uri: str, cp: str, dot: int) -> str:
    return "402/" + _with_check(cp + uri[dot + 1 :])


@_scheme("urn:epc:id:itip:", _key_digits(13) + rf"\.\d{{2}}\.\d{{2}}\.{_S}{{1,20}}")
def _itip(uri: str, cp: str, dot: int) -> str:
    gtin = _gtin(cp, uri[dot + 1 : dot + 14 - len(cp)])
    serial = uri[37:].translate(_PERCENT_ENCODE)
    return "8006/" + gtin + uri[31:33] + uri[34:36] + "/21/" + serial


@_scheme("urn:epc:id:upui:", _key_digits(13) + rf"\.{_S}{{1,28}}")
def _upui(uri: str, cp: str, dot: int) -> str:
    item = uri[dot + 1 : dot + 14 - len(cp)]
    return "01/" + _gtin(cp, item) + "/235/" + uri[31:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:id:pgln:", _key_digits(12))
def _pgln(uri: str, cp: str, dot: int) -> str:
    return "417/" + _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])


@_scheme("urn:epc:class:lgtin:", _key_digits(13) + rf"\.{_S}{{1,20}}")
def _lgtin(uri: str, cp: str, dot: int) -> str:
    item = uri[dot + 1 : dot + 14 - len(cp)]
    return "01/" + _gtin(cp, item) + "/10/" + uri[35:].translate(_PERCENT_ENCODE)


@_scheme("urn:epc:idpat:sgtin:", _key_digits(13) + r"\.\*")
@_scheme("urn:epc:idpat:upui:", _key_digits(13) + r"\.\*")
def _gtin_pattern(uri: str, cp: str, dot: int) -> str:
    return "01/" + _gtin(cp, uri[dot + 1 : dot + 14 - len(cp)])


@_scheme("urn:epc:idpat:grai:", _key_digits(12, twelve=r"\d{12}\.\.") + r"\.\*")
def _grai_pattern(uri: str, cp: str, dot: int) -> str:
    return "8003/" + _with_check("0" + cp + uri[dot + 1 : dot + 13 - len(cp)])


@_scheme("urn:epc:idpat:gdti:", _key_digits(12, twelve=r"\d{12}\.\.") + r"\.\*")
def _gdti_pattern(uri: str, cp: str, dot: int) -> str:
    return "253/" + _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])


@_scheme("urn:epc:idpat:sgcn:", _key_digits(12, twelve=r"\d{12}\.\.") + r"\.\*")
def _sgcn_pattern(uri: str, cp: str, dot: int) -> str:
    return "255/" + _with_check(cp + uri[dot + 1 : dot + 13 - len(cp)])


@_scheme("urn:epc:idpat:cpi:", _prefix_and_text(24, _CPI_CHAR) + r"\.\*")
def _cpi_pattern(uri: str, cp: str, dot: int) -> str:
    return "8010/" + (cp + uri[dot + 1 : uri.rfind(".")]).translate(_PERCENT_ENCODE)


@_scheme("urn:epc:idpat:itip:", _key_digits(13) + r"\.\d{2}\.\d{2}\.\*")
def _itip_pattern(uri: str, cp: str, dot: int) -> str:
    gtin = _gtin(cp, uri[dot + 1 : dot + 14 - len(cp)])
    return "8006/" + gtin + uri[34:36] + uri[37:39]


def _canonical_epc_uri(uri: str) -> str | None:
    scheme_end = uri.find(":", uri.find(":", 8) + 1)  # "urn:epc:<kind>:<scheme>:"
    entry = _EPC_SCHEMES.get(uri[: scheme_end + 1]) if scheme_end > 0 else None
    if entry is None or entry[0].fullmatch(uri) is None:
        return None
    dot = uri.index(".")
    return _DL + entry[1](uri, uri[scheme_end + 1 : dot], dot)


# Digital Link. NB: as in the reference, the dots of "id.gs1.org" in these patterns are wildcards.
_DL_KEYS: Final = (
    "01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti"
    "|401|ginc|402|gsin|8003|grai|8004|giai"
)
_DL_CANDIDATE: Final = re.compile(rf"https?:[^?#]*/(?:{_DL_KEYS})/\d{{4}}[^/]")
_DL_SHORT_NAMES: Final = (
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)
_DL_CANONICAL_HOST: Final = re.compile(
    r"https://id.gs1.org/(?:01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/\d{4}[^/]"
)
# Where to re-root a Digital Link URI on id.gs1.org, in order of preference.
_DL_PRIMARY_KEYS: Final = (
    "/00/",
    "/01/",
    "/253/",
    "/255/",
    "/401/",
    "/402/",
    "/414/",
    "/417/",
    "/8003/",
    "/8004/",
    "/8006/",
    "/8010/",
    "/8017/",
    "/8018/",
)
_GTIN_14: Final = re.compile(r"https://id.gs1.org/01/\d{14}")
_GTIN_PADDING: Final = (
    (re.compile(r"https://id.gs1.org/01/\d{13}"), "/01/0"),
    (re.compile(r"https://id.gs1.org/01/\d{12}"), "/01/00"),
    (re.compile(r"https://id.gs1.org/01/\d{8}"), "/01/000000"),
)
_C: Final = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_CS: Final = r"[\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_WITH_CPV: Final = re.compile(rf"https://id.gs1.org/(?:8006/\d{{18}}|01/\d{{14}})/22/{_C}{{0,20}}$")
_WITH_CPV_AND_MORE: Final = re.compile(
    rf"https://id.gs1.org/(?:8006/\d{{18}}|01/\d{{14}})/22/{_CS}{{0,20}}$"
)
_WITH_LOT_AND_SERIAL: Final = re.compile(
    rf"https://id.gs1.org/(?:8006/\d{{18}}|01/\d{{14}})/10/{_C}{{0,20}}/21/{_C}{{0,20}}$"
)
_DL_VALID: Final = re.compile(
    r"https://id.gs1.org/(?:"
    + "|".join(
        (
            r"00/\d{18}",
            rf"01/\d{{14}}/21/{_C}{{0,20}}",
            rf"01/\d{{14}}/10/{_C}{{0,20}}",
            r"01/\d{14}",
            rf"01/\d{{14}}/235/{_C}{{0,28}}",
            rf"253/\d{{13}}{_C}{{0,17}}",
            r"255/\d{13}\d{0,12}",
            rf"401/{_C}{{0,30}}",
            r"402/\d{17}",
            r"414/\d{13}",
            rf"414/\d{{13}}/254/{_C}{{0,20}}",
            r"417/\d{13}",
            rf"8003/\d{{14}}{_C}{{0,16}}",
            rf"8004/{_C}{{0,30}}",
            rf"8006/\d{{18}}/21/{_C}{{0,20}}",
            rf"8006/\d{{18}}/10/{_C}{{0,20}}",
            r"8006/\d{18}",
            r"8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}/8011/\d{0,12}",
            r"8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}",
            r"8017/\d{18}",
            r"8018/\d{18}",
        )
    )
    + r")$"
)


def _canonical_digital_link(uri: str) -> str | None:
    if _DL_CANDIDATE.match(uri) is None:
        return None
    query = uri.find("?")
    if query >= 0:
        uri = uri[:query]
    for short, ai in _DL_SHORT_NAMES:
        if short in uri:
            uri = uri.replace(short, ai)
    if _DL_CANONICAL_HOST.match(uri) is None:
        for key in _DL_PRIMARY_KEYS:
            at = uri.find(key)
            if at != -1:
                uri = "https://id.gs1.org" + uri[at:]
                break
    if _GTIN_14.match(uri) is None:
        for pattern, padded in _GTIN_PADDING:
            if pattern.match(uri) is not None:
                uri = uri.replace("/01/", padded)
                break
    # Drop a CPV (AI 22); keep what follows it.
    cpv = uri.find("/22/")
    after_cpv = uri[cpv + 4 :]
    if _WITH_CPV.match(uri) is not None:
        uri = uri[:cpv] + after_cpv[after_cpv.find("/") : -1]
    if _WITH_CPV_AND_MORE.match(uri) is not None:
        uri = uri[: uri.find("/22/")] + after_cpv[after_cpv.find("/") :]
    # Lowest level of identification only: with a serial, drop the lot.
    if _WITH_LOT_AND_SERIAL.match(uri) is not None:
        lot = uri.find("/10/")
        after_lot = uri[lot + 4 :]
        uri = uri[:lot] + after_lot[after_lot.find("/") :]
    return uri if _DL_VALID.match(uri) is not None else None


def _canonical_gs1_uri(uri: str) -> str | None:
    """EPC URI / EPC class or pattern URI / GS1 Digital Link URI → canonical DL URI, else None."""
    if uri.startswith("urn:epc:"):
        return _canonical_epc_uri(uri)
    return _canonical_digital_link(uri)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def hash_id_from_prehash(prehash: str) -> str:
    """The ``ni:`` URI (RFC 6920) of a pre-hash string, as CBV 2.0 prescribes."""
    return "ni:///sha-256;" + hashlib.sha256(prehash.encode("utf-8")).hexdigest() + "?ver=CBV2.0"


def _prehash(event: object, ctx: _Context, replacements: Mapping[str, str]) -> str:
    if not isinstance(event, Mapping):
        raise InvalidInput("an EPCIS event must be a JSON object", field="event")
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidInput("an EPCIS event needs its event type", field="type")
    root = _regroup(_TreeBuilder(ctx, replacements).object_node(event))
    ordered, remaining = _render_ordered(root[2], _EVENT_ORDER)
    rest = [child for child in remaining if child[0] not in _EXCLUDED_MEMBERS]
    return "eventType=" + root[0] + ordered + (_render_generic(rest) if rest else "")


def _event_context(event: Mapping[str, Any], ctx: _Context) -> _Context:
    inline = event.get("@context")
    if inline is None:
        return ctx
    merged = _Context(None)
    for attribute in _Context.__slots__:
        value = getattr(ctx, attribute)
        setattr(merged, attribute, dict(value) if isinstance(value, dict) else value)
    for entry in _context_entries(inline):
        merged.add(entry)
    return merged


def _replacements_for(obj: Mapping[str, Any], ctx: _Context) -> dict[str, str]:
    iris: set[str] = set()
    _collect_vocabulary_iris(obj, ctx, iris)
    return _replacement_table(frozenset(iris)) if iris else {}


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
    ctx = _event_context(event, _Context(context))
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
    ctx = _Context(document.get("@context"))
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
