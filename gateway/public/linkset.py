"""The resolver's links for one Digital Link (RFC 9264 linkset) and its description file.

Every link points at this portal's own page for the code, at the part of it the link type
is about; the page itself is the default link. GS1 Resolver standard 1.2; the linkset is RFC
9264: in its context object every member but ``anchor`` is an array of target objects.
"""

from __future__ import annotations

from typing import Any, Final

from gateway.public.negotiation import LINKSET_MEDIA_TYPE

GS1_VOCABULARY: Final = "https://gs1.org/voc/"
# link type -> (fragment of the page it points at, title, levels that have it)
LINK_TYPES: Final[dict[str, tuple[str, str, frozenset[str]]]] = {
    "pip": ("", "Product information", frozenset({"product", "lot", "serial"})),
    "traceability": ("#timeline", "Traceability: where it came from", frozenset({"lot", "serial"})),
    "certificationInfo": ("#certifications", "Certifications", frozenset({"lot", "serial"})),
    "recallStatus": ("#recall", "Recall status", frozenset({"lot", "serial"})),
    "verificationService": (
        "#verification",
        "Verification against the public log",
        frozenset({"lot", "serial"}),
    ),
}
DEFAULT_LINK_TYPE: Final = "pip"
# The GS1 linkset JSON-LD context (GS1 Resolver standard 1.2, artefacts): a Link header to it
# lets a JSON-LD processor read the linkset as linked data. The versioned file never changes.
LINKSET_CONTEXT: Final = "https://ref.gs1.org/standards/resolver/1.2.0/linkset-context"
JSON_LD_CONTEXT_REL: Final = "http://www.w3.org/ns/json-ld#context"


def link_type_name(requested: str, level: str) -> str | None:
    """'pip' for 'gs1:pip' or its full URI (``gs1:defaultLink`` names the default link);
    None when it is not a GS1 link type this resolver holds for a code of ``level``."""
    for prefix in ("gs1:", GS1_VOCABULARY, GS1_VOCABULARY.replace("https:", "http:")):
        if requested.startswith(prefix):
            name = requested[len(prefix) :]
            if name == "defaultLink":
                name = DEFAULT_LINK_TYPE
            known = name in LINK_TYPES and level in LINK_TYPES[name][2]
            return name if known else None
    return None


def link_target(base_url: str, path: str, name: str) -> str:
    return f"{base_url}{path}{LINK_TYPES[name][0]}"


def linkset_url(base_url: str, path: str) -> str:
    return f"{base_url}{path}?linkType=linkset"


def link_header(base_url: str, path: str) -> str:
    """The ``Link`` header every resolver answer carries."""
    return (
        f'<{linkset_url(base_url, path)}>; rel="linkset"; type="{LINKSET_MEDIA_TYPE}", '
        f'<{base_url}{path}>; rel="{GS1_VOCABULARY}{DEFAULT_LINK_TYPE}"; type="text/html"'
    )


def linkset_link_header(base_url: str, path: str) -> str:
    """The ``Link`` header of a linkset answer: the usual links and its JSON-LD context."""
    context = f'<{LINKSET_CONTEXT}>; rel="{JSON_LD_CONTEXT_REL}"; type="application/ld+json"'
    return f"{link_header(base_url, path)}, {context}"


def linkset(
    base_url: str, path: str, level: str, descriptions: list[tuple[str, str]]
) -> dict[str, Any]:
    """The linkset of a code; ``descriptions`` are its names as (text, language) pairs."""
    anchor = f"{base_url}{path}"
    entry: dict[str, Any] = {
        "anchor": anchor,
        # GS1 linksets describe the item as internationalised target attributes (RFC 9264
        # 4.2.4.2): an array of objects, never a bare string.
        "itemDescription": [{"value": text, "language": lang} for text, lang in descriptions],
    }
    for name, (_, title, levels) in LINK_TYPES.items():
        if level not in levels:
            continue
        entry[GS1_VOCABULARY + name] = [
            {
                "href": link_target(base_url, path, name),
                "title": title,
                "type": "text/html",
                "hreflang": ["vi", "en"],
            }
        ]
    # GS1 Resolver standard 1.2: the default link SHALL NOT carry optional attributes (type,
    # hreflang, context); the title every link needs stays.
    entry[GS1_VOCABULARY + "defaultLink"] = [
        {"href": anchor, "title": LINK_TYPES[DEFAULT_LINK_TYPE][1]}
    ]
    return {"linkset": [entry]}


def resolver_description(base_url: str) -> dict[str, Any]:
    return {
        "name": "Cổng truy xuất nguồn gốc sản phẩm quốc gia / National product traceability portal",
        "resolverRoot": base_url,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": GS1_VOCABULARY, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
    }
