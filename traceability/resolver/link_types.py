"""The GS1 Web Vocabulary's link types (the instances of gs1:LinkType, https://gs1.org/voc/)
that a business may attach to its codes.

``gs1:defaultLink`` and ``gs1:defaultLinkMulti`` are not attached by name: a link becomes
the default with its ``default`` flag. ``gs1:handledBy`` hands a code to another resolver
(delegation), which is not a link a business manages here.
"""

from __future__ import annotations

import difflib
from typing import Final

from traceability.errors import InvalidInput

GS1_VOCABULARY: Final = "https://gs1.org/voc/"
CURIE_PREFIX: Final = "gs1:"
LINK_TYPES: Final = frozenset(
    {
        "activityIdeas",
        "allergenInfo",
        "brandHomepageClinical",
        "brandHomepagePatient",
        "careersInfo",
        "certificationInfo",
        "consumerHandlingStorageInfo",
        "defaultLink",
        "defaultLinkMulti",
        "epcis",
        "epil",
        "eventsInfo",
        "faqs",
        "handledBy",
        "hasRetailers",
        "homepage",
        "ingredientsInfo",
        "instructions",
        "jws",
        "leaveReview",
        "locationInfo",
        "logisticsInfo",
        "masterData",
        "menuInfo",
        "nutritionalInfo",
        "openingHoursInfo",
        "paymentLink",
        "pip",
        "productSustainabilityInfo",
        "promotion",
        "purchaseSuppliesOrAccessories",
        "quickStartGuide",
        "recallStatus",
        "recipeInfo",
        "registerProduct",
        "registryEntry",
        "relatedVideo",
        "review",
        "safetyInfo",
        "scheduleTime",
        "serviceInfo",
        "smartLabel",
        "smpc",
        "socialMedia",
        "statisticInfo",
        "support",
        "sustainabilityInfo",
        "traceability",
        "tutorial",
        "userAgreement",
        "verificationService",
        "whatsInTheBox",
    }
)
NOT_ATTACHABLE: Final[dict[str, str]] = {
    "defaultLink": "make a link the default with its default flag",
    "defaultLinkMulti": "make a link the default with its default flag",
    "handledBy": "handing a code to another resolver is not a business link",
}
_PREFIXES: Final = (CURIE_PREFIX, GS1_VOCABULARY, GS1_VOCABULARY.replace("https:", "http:"))


def curie(name: str) -> str:
    return CURIE_PREFIX + name


def iri(name: str) -> str:
    return GS1_VOCABULARY + name


def link_type_of(text: str) -> str | None:
    """'pip' for 'gs1:pip' or its IRI; None when it names no GS1 link type."""
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            name = text[len(prefix) :]
            return name if name in LINK_TYPES else None
    return None


def closest_link_type(text: str) -> str | None:
    """The GS1 link type ``text`` most likely meant (a typo, another case, no prefix)."""
    name = text
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            name = text[len(prefix) :]
            break
    by_lower = {known.lower(): known for known in LINK_TYPES if known not in NOT_ATTACHABLE}
    if name.lower() in by_lower:
        return curie(by_lower[name.lower()])
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return curie(by_lower[found[0]]) if found else None


def attachable_link_type(text: str) -> str:
    """The short name of a link type a business may attach, or InvalidInput naming it and
    the closest GS1 link type."""
    name = link_type_of(text)
    if name is None:
        suggestion = closest_link_type(text)
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        raise InvalidInput(
            f"{text!r} is not a GS1 link type (gs1:xxx or {GS1_VOCABULARY}xxx){hint}",
            field="linkType",
            reason="unknown_link_type",
            facts={"link_type": text, "suggestion": suggestion or ""},
        )
    if name in NOT_ATTACHABLE:
        raise InvalidInput(f"{curie(name)}: {NOT_ATTACHABLE[name]}", field="linkType")
    return name
