"""GS1's EPCIS XML examples (conformance folder) and what tests compare them by."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from lxml import etree

from tests.conformance import epcis_dir

XML_DIR = epcis_dir() / "xml"
XML_EXAMPLES = sorted(XML_DIR.rglob("*.xml"))
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# EPCIS's versioning wrappers: where a field sits in them is the version's layout, not data.
_WRAPPERS = {"extension", "baseExtension"}
# xsi:type is schema typing, which the JSON-LD mapping has no member for (GS1's JSON-LD twins
# drop it too); xsi:nil says "no value", as an absent member does.
_NOT_DATA = {f"{{{XSI}}}type", f"{{{XSI}}}nil"}


def example_id(path: Path | None) -> str:
    return str(path.relative_to(XML_DIR)) if path else "not-configured"


def _events(root: Any) -> list[Any]:
    found = []
    for element in root.iter():
        if (
            isinstance(element.tag, str)
            and etree.QName(element).localname
            in (
                "ObjectEvent",
                "AggregationEvent",
                "TransactionEvent",
                "TransformationEvent",
                "AssociationEvent",
            )
            and etree.QName(element).namespace is None
        ):
            found.append(element)
    return found


def _number_or_text(element: Any, text: str) -> str:
    """A number typed xsd:double is the same number written "20" or "20.0"."""
    declared = element.get(f"{{{XSI}}}type", "")
    if declared.endswith((":double", ":decimal", ":float")):
        return repr(float(text))
    return text


def _facts(element: Any, path: tuple[str, ...], into: Counter[tuple[str, ...]]) -> None:
    # An attribute is a member like a child element: JSON-LD has no attributes, and an
    # extension element's attributes come back as child elements.
    attributes = {n: v for n, v in element.attrib.items() if n not in _NOT_DATA}
    for name, value in attributes.items():
        into[(*path, name, value.strip())] += 1
    children = [c for c in element if isinstance(c.tag, str) and c.get(f"{{{XSI}}}nil") != "true"]
    text = (element.text or "").strip()
    if not children and (text or not attributes):
        into[(*path, _number_or_text(element, text))] += 1
    for child in children:
        if etree.QName(child).namespace is None and etree.QName(child).localname in _WRAPPERS:
            _facts(child, path, into)
        else:
            _facts(child, (*path, child.tag), into)


def xml_facts(data: bytes) -> list[Counter[tuple[str, ...]]]:
    """Each event's data as a multiset of (element path..., text or attribute): what a
    conversion must keep, whatever the order of different elements and the wrappers."""
    root = etree.fromstring(data, etree.XMLParser(remove_comments=True, resolve_entities=False))
    facts = []
    for event in _events(root):
        counter: Counter[tuple[str, ...]] = Counter()
        _facts(event, (event.tag,), counter)
        facts.append(counter)
    return facts
