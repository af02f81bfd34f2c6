"""The product a page is about as JSON-LD in the GS1 Web Vocabulary, for search engines and
GS1 tools reading the page (``<script type="application/ld+json">``).

Only what the page itself shows: the product (GTIN, names with their languages, brand,
description, maker), and on a lot or item page the lot, its expiry and certifications, and
the serial of an item its producer issued. The text is escaped so that nothing a business
typed (``</script>`` in a product name) can end the element; the page's CSP allows the
element by the SHA-256 of exactly that text.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Final

import orjson

from traceability.identifiers.digital_link import DigitalLink, digital_link_path
from traceability.services.provenance.model import Certification, Provenance

GS1_VOCABULARY: Final = "https://gs1.org/voc/"
CONTEXT: Final[dict[str, str]] = {
    "gs1": GS1_VOCABULARY,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# Inside <script>, "<" could start "</script>" or "<!--"; ">" and "&" are escaped with it
# so the text reads the same whatever HTML parser meets it. Each stays the same JSON string.
_SCRIPT_ESCAPES: Final = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def _texts(*pairs: tuple[str | None, str]) -> list[dict[str, str]]:
    return [{"@value": text, "@language": lang} for text, lang in pairs if text]


def _date(value: object) -> dict[str, str]:
    return {"@value": str(value), "@type": "xsd:date"}


def _certification(cert: Certification) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "gs1:CertificationDetails",
        "gs1:certificationStandard": cert.scheme,
    }
    if cert.number:
        node["gs1:certificationIdentification"] = cert.number
    if cert.issuer:
        node["gs1:certificationAgency"] = {
            "@type": "gs1:Organization",
            "gs1:organizationName": cert.issuer,
        }
    if cert.valid_until:
        node["gs1:certificationEndDate"] = _date(cert.valid_until)
    return node


def product_document(view: Provenance, base_url: str) -> dict[str, Any]:
    """The page's product as a ``gs1:Product`` node, identified by its Digital Link URI (a
    serial its producer never issued is no item: the node is its lot, or its product)."""
    product = view.product
    node: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base_url.rstrip('/')}{subject_path(view)}",
        "@type": "gs1:Product",
        "gs1:gtin": product.gtin,
        "gs1:productName": _texts((product.name, "vi"), (product.name_en, "en")),
    }
    description = _texts((product.description, "vi"), (product.description_en, "en"))
    if description:
        node["gs1:productDescription"] = description
    if product.brand:
        node["gs1:brand"] = {"@type": "gs1:Brand", "gs1:brandName": product.brand}
    node["gs1:manufacturer"] = {
        "@type": "gs1:Organization",
        "gs1:organizationName": view.producer.name,
    }
    if view.lot is not None:
        node["gs1:hasBatchLotNumber"] = view.lot.lot
        if view.lot.expiry_date is not None:
            node["gs1:expirationDate"] = _date(view.lot.expiry_date)
        if view.lot.certifications:
            node["gs1:certificationInfo"] = [_certification(c) for c in view.lot.certifications]
    if view.level == "serial" and view.serial is not None and view.issued:
        node["gs1:hasSerialNumber"] = view.serial
    return node


def subject_path(view: Provenance) -> str:
    """The Digital Link path of what the page vouches for: the code itself, or for a serial
    its producer never issued, the lot (or product) the page offers instead."""
    if view.level != "serial" or view.issued is not False:
        return view.canonical_path
    lot = view.lot.lot if view.lot is not None else None
    return digital_link_path(DigitalLink(gtin=view.product.gtin, lot=lot))


def script_text(document: dict[str, Any]) -> str:
    """``document`` as the text of a ``<script type="application/ld+json">`` element."""
    return orjson.dumps(document).decode().translate(_SCRIPT_ESCAPES)


def script_hash(text: str) -> str:
    """The CSP source that allows exactly this script text (``'sha256-…'``)."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"
