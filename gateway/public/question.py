"""What a request asks of a Digital Link beside the link itself, and what answering it read."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from gateway.public.negotiation import Language
from traceability.resolver.links import LinkSpec


@dataclasses.dataclass(frozen=True, slots=True)
class Question:
    """What the request asks of a Digital Link beside the link itself."""

    kind: str
    language: Language
    link_type: str | None
    query: str
    # The compressed URI it was asked by, when it was.
    compressed: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Answering:
    """A question with what answering it has read: business links, scope generations."""

    question: Question
    business: Sequence[LinkSpec]
    scope_generations: list[int]
