"""Reading untrusted XML: no DTD, no entity, no network, bounded size and depth.

libxml2 with these settings never fetches or expands anything; a document type declaration
that could carry entities (an internal subset, a SYSTEM or PUBLIC identifier) is refused
outright. A bare ``<!DOCTYPE name>`` declares nothing, and GS1's own EPCIS examples carry
one, so it is accepted.
"""

from __future__ import annotations

from typing import Any, Final

from lxml import etree

from traceability.errors import InvalidInput, TooLarge

# The deepest EPCIS 2.0 element is about 8 levels down (document, body, list, event,
# sensorElementList, sensorElement, ...); user extensions nest a few more in GS1's examples.
MAX_DEPTH: Final = 64
_TOO_DEEP: Final = "boolean(/" + "*/" * MAX_DEPTH + "*)"


class _RefuseEverything(etree.Resolver):  # type: ignore[misc]
    """Defence in depth: were libxml2 ever to ask for an external resource, none is given."""

    def resolve(self, url: str, public_id: str, context: Any) -> Any:
        raise InvalidInput("external resources are not accepted", field="body", reason="xml_dtd")


def _parser() -> Any:
    # Not collect_ids=False: with it libxml2 reads a DOCTYPE's external subset from disk.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    parser.resolvers.add(_RefuseEverything())
    return parser


def _check_depth(root: Any) -> None:
    # One XPath in libxml2 rather than a Python walk of every element.
    if root.xpath(_TOO_DEEP):
        raise InvalidInput(
            f"the XML nests deeper than {MAX_DEPTH} elements", field="body", reason="xml_depth"
        )


def parse_xml(data: bytes, max_bytes: int) -> Any:
    """The root element of ``data``; :class:`InvalidInput` for anything unsafe or malformed,
    :class:`TooLarge` over ``max_bytes``."""
    if len(data) > max_bytes:
        raise TooLarge(f"the XML document is over {max_bytes} bytes", field="body")
    # Refused before libxml2 sees it, where it can be seen in the bytes (UTF-8 and ASCII
    # supersets); in any other encoding the check after parsing refuses it.
    if b"<!ENTITY" in data:
        raise InvalidInput(
            "entity declarations are not accepted (no DTD, no entity)",
            field="body",
            reason="xml_dtd",
        )
    try:
        tree = etree.fromstring(data, _parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"not well-formed XML: {exc}", field="body", reason="xml") from exc
    info = tree.docinfo
    subset = info.internalDTD
    declares = subset is not None and (any(subset.iterelements()) or any(subset.iterentities()))
    if declares or info.system_url or info.public_id:
        raise InvalidInput(
            "a document type declaration with an internal subset or an external identifier "
            "is not accepted (no DTD, no entity)",
            field="body",
            reason="xml_dtd",
        )
    # No entity can be declared (above) and an undeclared one is a syntax error: no entity
    # reference reaches the document.
    root = tree.getroot()
    _check_depth(root)
    return root
