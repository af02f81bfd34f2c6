"""The GS1 Resolver standard 1.2 description file (/.well-known/gs1resolver)."""

from __future__ import annotations

from pydantic import BaseModel


class ServedLinkType(BaseModel):
    linkType: str
    title: str


class SupportedLinkType(BaseModel):
    namespace: str
    prefix: str
    linkTypes: list[ServedLinkType]


class ResolverDescription(BaseModel):
    """GS1 Resolver standard 1.2 description file."""

    name: str
    resolverRoot: str
    supportedPrimaryKeys: list[str]
    supportedLinkType: list[SupportedLinkType]
    linkTypeDefaultCanBeLinkset: bool
