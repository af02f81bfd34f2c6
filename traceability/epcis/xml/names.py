"""Names shared by both directions: namespaces, CBV URN forms, standard prefixes."""

from __future__ import annotations

from typing import Final

EPCIS_2: Final = "urn:epcglobal:epcis:xsd:2"
EPCIS_1: Final = "urn:epcglobal:epcis:xsd:1"
QUERY_2: Final = "urn:epcglobal:epcis-query:xsd:2"
QUERY_1: Final = "urn:epcglobal:epcis-query:xsd:1"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
EPCIS_NAMESPACES: Final = frozenset({EPCIS_2, EPCIS_1, QUERY_2, QUERY_1})

EVENT_TYPES: Final = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)

# Where XML writes a CBV standard value as a URN and JSON-LD as the bare word (EPCIS 2.0
# section 10: "urn:epcglobal:cbv:bizstep:shipping" and "shipping" are the same value).
BIZ_STEP: Final = "urn:epcglobal:cbv:bizstep:"
DISPOSITION: Final = "urn:epcglobal:cbv:disp:"
BIZ_TRANSACTION_TYPE: Final = "urn:epcglobal:cbv:btt:"
SOURCE_DEST_TYPE: Final = "urn:epcglobal:cbv:sdt:"
ERROR_REASON: Final = "urn:epcglobal:cbv:er:"
# Sensor attributes are written with GS1 Web Vocabulary / CBV compact IRIs in XML.
MEASUREMENT_TYPE: Final = "gs1:"
COMPONENT: Final = "cbv:Comp-"

# The XML namespace of each prefix that the standard EPCIS 2.0 JSON-LD context already
# defines: such a namespace needs no @context entry of its own.
STANDARD_XML_NAMESPACES: Final = {
    "cbvmda": ("urn:epcglobal:cbv:mda", "urn:epcglobal:cbv:mda:"),
    "gs1": ("https://gs1.org/voc/",),
    "cbv": ("https://ref.gs1.org/cbv/",),
    "epcis": ("https://ref.gs1.org/epcis/",),
    "xsd": ("http://www.w3.org/2001/XMLSchema", "http://www.w3.org/2001/XMLSchema#"),
}
XSD: Final = "http://www.w3.org/2001/XMLSchema"
# JSON-LD's native types and the XML Schema types they stand for (JSON-LD 1.1 section 8.6):
# an extension element typed so (xsi:type) is that JSON value, and back.
XSD_BOOLEAN: Final = frozenset({"boolean"})
XSD_INTEGER: Final = frozenset({"integer", "int", "long", "short", "byte", "nonNegativeInteger"})
XSD_DOUBLE: Final = frozenset({"double", "float", "decimal"})
# The namespace written for such a prefix when a JSON-LD document names no other.
DEFAULT_XML_NAMESPACE: Final = {prefix: uris[0] for prefix, uris in STANDARD_XML_NAMESPACES.items()}

# Attributes of sensorMetadata / sensorReport that are numbers or booleans in JSON-LD.
NUMBER_ATTRIBUTES: Final = frozenset(
    {"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"}
)
BOOLEAN_ATTRIBUTES: Final = frozenset({"booleanValue"})

EPC_LISTS: Final = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_LISTS: Final = (
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
)

# EPCIS 2.0 XML order of each event type's standard fields (EPCglobal-epcis-2_0.xsd).
_HEAD: Final = (
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
)
_TAIL: Final = (
    "sourceList",
    "destinationList",
    "sensorElementList",
    "persistentDisposition",
)
_WHERE: Final = ("bizStep", "disposition", "readPoint", "bizLocation")
FIELD_ORDER_2: Final = {
    "ObjectEvent": (
        *_HEAD,
        "epcList",
        "action",
        *_WHERE,
        "bizTransactionList",
        "quantityList",
        *_TAIL,
        "ilmd",
    ),
    "AggregationEvent": (
        *_HEAD,
        "parentID",
        "childEPCs",
        "action",
        *_WHERE,
        "bizTransactionList",
        "childQuantityList",
        *_TAIL,
    ),
    "TransactionEvent": (
        *_HEAD,
        "bizTransactionList",
        "parentID",
        "epcList",
        "action",
        *_WHERE,
        "quantityList",
        *_TAIL,
    ),
    "TransformationEvent": (
        *_HEAD,
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
        *_WHERE,
        "bizTransactionList",
        *_TAIL,
        "ilmd",
    ),
    "AssociationEvent": (
        *_HEAD,
        "parentID",
        "childEPCs",
        "childQuantityList",
        "action",
        *_WHERE,
        "bizTransactionList",
        *_TAIL,
    ),
}
# EPCIS 1.2: what sits in the event itself, and what in its <extension> (EPCglobal-epcis-1_2.xsd).
# Everything else 1.2 does not know goes one <extension> deeper, as 1.2 systems do.
FIELDS_1_2: Final = {
    "ObjectEvent": (
        (
            *("epcList", "action", "bizStep", "disposition", "readPoint", "bizLocation"),
            "bizTransactionList",
        ),
        ("quantityList", "sourceList", "destinationList", "ilmd"),
    ),
    "AggregationEvent": (
        (
            *("parentID", "childEPCs", "action", "bizStep", "disposition", "readPoint"),
            *("bizLocation", "bizTransactionList"),
        ),
        ("childQuantityList", "sourceList", "destinationList"),
    ),
    "TransactionEvent": (
        (
            *("bizTransactionList", "parentID", "epcList", "action", "bizStep"),
            *("disposition", "readPoint", "bizLocation"),
        ),
        ("quantityList", "sourceList", "destinationList"),
    ),
    "TransformationEvent": (
        (
            *("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList"),
            *("transformationID", "bizStep", "disposition", "readPoint", "bizLocation"),
            *("bizTransactionList", "sourceList", "destinationList", "ilmd"),
        ),
        (),
    ),
}
BASE_EXTENSION_1_2: Final = ("eventID", "errorDeclaration")
