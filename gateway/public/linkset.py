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
# GS1 Resolver standard 1.2: without a linkType the resolver "SHALL redirect to the default
# link unless" the request asks otherwise. The default link of every code is the portal's
# page at the code's own canonical URI, so the resolver is that link's server and answers
# it directly (200) rather than redirecting a request to itself: a consumer's scan costs no
# hop and the page is served from the public gate's cache.
DEFAULT_LINK_TYPE: Final = "pip"
# The GS1 linkset JSON-LD context (GS1 Resolver standard 1.2, artefacts): a Link header to it
# lets a JSON-LD processor read the linkset as linked data. The versioned file never changes.
LINKSET_CONTEXT: Final = "https://ref.gs1.org/standards/resolver/1.2.0/linkset-context"
JSON_LD_CONTEXT_REL: Final = "http://www.w3.org/ns/json-ld#context"
OWL_SAME_AS: Final = "http://www.w3.org/2002/07/owl#sameAs"


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


def level_of_path(path: str) -> str:
    """'product', or 'lot' for a canonical path naming a lot or an item (both have the same
    links). The path is read as AI/value pairs, so a value that reads "10" is not an AI."""
    ais = path.split("/")[1::2]
    return "lot" if "10" in ais or "21" in ais else "product"


def _link_value(href: str, rel: str, title: str, media_type: str | None = None) -> str:
    # RFC 8288: a quoted-string title; the titles are this module's own ASCII constants.
    value = f'<{href}>; rel="{rel}"; title="{title}"'
    return value + (f'; type="{media_type}"' if media_type else "")


def link_header(base_url: str, path: str) -> str:
    """The ``Link`` header every resolver answer carries: the linkset, then every link of the
    code with its title and type (as GS1 resolvers list them), then the default link."""
    links = [
        f'<{linkset_url(base_url, path)}>; rel="linkset"; type="{LINKSET_MEDIA_TYPE}"',
        *(
            _link_value(
                link_target(base_url, path, name), GS1_VOCABULARY + name, title, "text/html"
            )
            for name, (_, title, levels) in LINK_TYPES.items()
            if level_of_path(path) in levels
        ),
        _link_value(
            f"{base_url}{path}", GS1_VOCABULARY + "defaultLink", LINK_TYPES[DEFAULT_LINK_TYPE][1]
        ),
    ]
    return ", ".join(links)


def same_as_link(uncompressed: str) -> str:
    """GS1 Resolver standard 1.2: a resolver handling a compressed request URI "SHALL expose
    the uncompressed URI in the Link response header with a rel value of owl:sameAs"."""
    return f'<{uncompressed}>; rel="{OWL_SAME_AS}"'


def linkset_link_header(base_url: str, path: str) -> str:
    """The ``Link`` header of a linkset answer: the usual links and its JSON-LD context."""
    context = f'<{LINKSET_CONTEXT}>; rel="{JSON_LD_CONTEXT_REL}"; type="application/ld+json"'
    return f"{link_header(base_url, path)}, {context}"


def linkset(
    base_url: str,
    path: str,
    level: str,
    descriptions: list[tuple[str, str]],
    compressed: str | None = None,
) -> dict[str, Any]:
    """The linkset of a code; ``descriptions`` are its names as (text, language) pairs.

    Asked through a ``compressed`` URI, that URI is the anchor and ``owl:sameAs`` names the
    uncompressed one, which the links are built from."""
    page = f"{base_url}{path}"
    anchor = compressed or page
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
        {"href": page, "title": LINK_TYPES[DEFAULT_LINK_TYPE][1]}
    ]
    if compressed is not None:
        entry[OWL_SAME_AS] = [{"href": page}]
    return {"linkset": [entry]}


def resolver_description(base_url: str) -> dict[str, Any]:
    """The description file (GS1 Resolver standard 1.2, /.well-known/gs1resolver, validated by
    its description-file-schema): every primary key and link type this resolver serves."""
    return {
        "name": "Cổng truy xuất nguồn gốc sản phẩm quốc gia / National product traceability portal",
        "resolverRoot": base_url,
        # Only GTINs (AI 01), with their qualifiers 22, 10 and 21.
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [
            {
                "namespace": GS1_VOCABULARY,
                "prefix": "gs1:",
                # Beyond the schema's two members: what of the namespace this resolver serves.
                "linkTypes": [
                    {"linkType": f"gs1:{name}", "title": title}
                    for name, (_, title, _) in LINK_TYPES.items()
                ],
            }
        ],
        # The default answer is the portal's page, never the linkset.
        "linkTypeDefaultCanBeLinkset": False,
    }
