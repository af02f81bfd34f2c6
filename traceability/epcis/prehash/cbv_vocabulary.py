"""The EPCIS 2.0 JSON-LD context, as far as the pre-hash string needs it.

Which members hold IRIs, which hold vocabulary words, and the bare words each vocabulary member
accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from traceability.epcis import cbv

CBV: Final = "https://ref.gs1.org/cbv/"
VOC: Final = "https://gs1.org/voc/"


def _words(prefix: str, words: frozenset[str]) -> dict[str, str]:
    return {w: prefix + w for w in sorted(words)}


_BIZ_STEPS: Final = _words(CBV + "BizStep-", cbv.BIZ_STEPS)
_DISPOSITIONS: Final = _words(CBV + "Disp-", cbv.DISPOSITIONS)
_SOURCE_DEST_TYPES: Final = _words(CBV + "SDT-", cbv.SOURCE_DEST_TYPES)
_BIZ_TRANSACTION_TYPES: Final = _words(CBV + "BTT-", cbv.BIZ_TRANSACTION_TYPES)
_ERROR_REASONS: Final = _words(CBV + "ER-", cbv.ERROR_REASONS)
_COMPONENTS: Final = _words(CBV + "Comp-", cbv.COMPONENTS)
_SENSOR_ALERTS: Final = _words(VOC, cbv.SENSOR_ALERTS)
_MEASUREMENT_TYPES: Final = _words(VOC, cbv.MEASUREMENT_TYPES)
EPCIS_PREFIXES: Final = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": CBV,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": VOC,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}

# Term kinds.
LITERAL: Final = 0  # plain value
IRI: Final = 1  # "@type": "@id"
VOCAB: Final = 2  # "@type": "@vocab"
ID_ALIAS: Final = 3  # alias of @id
TYPE_ALIAS: Final = 4  # alias of @type
DROPPED: Final = 5  # maps to null


class Term:
    __slots__ = ("kind", "scope", "words")

    def __init__(
        self,
        kind: int,
        words: Mapping[str, str] | None = None,
        scope: dict[str, Term] | None = None,
    ) -> None:
        self.kind = kind
        self.words: Mapping[str, str] = words or {}
        self.scope = scope  # property-scoped context for nested objects


def _terms(kind: int, names: str) -> dict[str, Term]:
    return {name: Term(kind) for name in names.split()}


def _event_terms() -> dict[str, Term]:
    """The terms of an event, before the members that open a scope of their own."""
    return {
        **_terms(
            LITERAL,
            "eventTime recordTime eventTimeZoneOffset action quantity uom quantityList"
            " childQuantityList inputQuantityList outputQuantityList creationDate sender receiver"
            " instanceIdentifier schemaVersion ilmd epcisHeader masterData vocabularyList"
            " epcisBody queryResults subscriptionID queryName resultsBody eventList ObjectEvent"
            " AggregationEvent TransformationEvent AssociationEvent TransactionEvent Collection"
            " EPCISDocument EPCISQueryDocument " + " ".join(EPCIS_PREFIXES),
        ),
        **_terms(
            IRI,
            "certificationInfo bizLocation readPoint transformationID epcList epcClass parentID"
            " childEPCs inputEPCList outputEPCList member children",
        ),
        "id": Term(ID_ALIAS),
        "eventID": Term(ID_ALIAS),
        "type": Term(TYPE_ALIAS),
        "bizStep": Term(VOCAB, _BIZ_STEPS),
        "disposition": Term(VOCAB, _DISPOSITIONS),
    }


def _sensor_element_scope(event: dict[str, Term]) -> dict[str, Term]:
    sensor_element: dict[str, Term] = {
        **event,
        **_terms(IRI, "deviceID deviceMetadata rawData dataProcessingMethod"),
        "time": Term(LITERAL),
        "type": Term(TYPE_ALIAS),
    }
    sensor_metadata = {
        **sensor_element,
        **_terms(LITERAL, "startTime endTime"),
        "bizRules": Term(IRI),
    }
    sensor_report = {
        **sensor_element,
        **_terms(IRI, "coordinateReferenceSystem microorganism chemicalSubstance uriValue"),
        **_terms(
            LITERAL,
            "time value stringValue booleanValue hexBinaryValue minValue maxValue meanValue sDev"
            " percRank percValue",
        ),
        "type": Term(VOCAB, _MEASUREMENT_TYPES),
        "exception": Term(VOCAB, _SENSOR_ALERTS),
        "component": Term(VOCAB, _COMPONENTS),
    }
    # Added last: the metadata and report scopes do not know each other.
    sensor_element["sensorMetadata"] = Term(LITERAL, scope=sensor_metadata)
    sensor_element["sensorReport"] = Term(LITERAL, scope=sensor_report)
    return sensor_element


def _member_scopes(event: dict[str, Term]) -> dict[str, dict[str, Term]]:
    """The property-scoped contexts of the event members that hold objects."""
    return {
        "sourceList": {**event, "source": Term(IRI), "type": Term(VOCAB, _SOURCE_DEST_TYPES)},
        "destinationList": {
            **event,
            "destination": Term(IRI),
            "type": Term(VOCAB, _SOURCE_DEST_TYPES),
        },
        "bizTransactionList": {
            **event,
            "bizTransaction": Term(ID_ALIAS),
            "type": Term(VOCAB, _BIZ_TRANSACTION_TYPES),
        },
        "persistentDisposition": {
            **event,
            **{word: Term(LITERAL) for word in _DISPOSITIONS},
            "set": Term(VOCAB, _DISPOSITIONS),
            "unset": Term(VOCAB, _DISPOSITIONS),
        },
        "sensorElementList": _sensor_element_scope(event),
        "errorDeclaration": {
            **event,
            "reason": Term(VOCAB, _ERROR_REASONS),
            "correctiveEventIDs": Term(IRI),
            "declarationTime": Term(LITERAL),
        },
    }


def _build_epcis_scope() -> dict[str, Term]:
    event = _event_terms()
    # Every scope is a copy of the event's terms taken before the scoped members join them.
    for member, scope in _member_scopes(event).items():
        event[member] = Term(LITERAL, scope=scope)
    return event


EPCIS_SCOPE: Final = _build_epcis_scope()
