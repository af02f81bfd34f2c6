"""EPCIS XML (2.0 and 1.2) to and from the JSON-LD form the portal stores.

The mapping is the one EPCIS 2.0 section 10 ("XML and JSON/JSON-LD bindings") describes:
standard fields by name, CBV values written as URNs in XML and as bare words in JSON-LD,
user extension elements as ``prefix:local`` members whose namespaces become ``@context``
prefixes. Parsing refuses DTDs, entities, deep nesting and oversize input
(:mod:`~traceability.epcis.xml.safe_parse`).
"""

from traceability.epcis.xml.reading import xml_to_jsonld
from traceability.epcis.xml.safe_parse import parse_xml
from traceability.epcis.xml.writing import jsonld_to_xml

__all__ = ["jsonld_to_xml", "parse_xml", "xml_to_jsonld"]
