"""What a scanner, a phone or an app gets from the resolver, decided from its headers."""

from __future__ import annotations

import pytest

from gateway.public.negotiation import language, representation


@pytest.mark.parametrize(
    ("accept", "link_type", "expected"),
    [
        (None, None, "html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, "html"),
        ("application/json", None, "json"),
        ("application/ld+json", None, "json"),
        ("application/json;q=0.5, text/html", None, "html"),
        ("text/html;q=0.4, application/json", None, "json"),
        ("application/linkset+json", None, "linkset"),
        ("*/*", None, "html"),
        ("text/html", "linkset", "linkset"),
        ("application/json", "gs1:pip", "json"),
        ("image/png", None, "html"),
        ("application/json;q=0", None, "html"),
        ("application/json;q=abc", None, "html"),
    ],
)
def test_representation(accept: str | None, link_type: str | None, expected: str) -> None:
    assert representation(accept, link_type) == expected


@pytest.mark.parametrize(
    ("lang", "accept_language", "expected"),
    [
        (None, None, "vi"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        (None, "en;q=0.5,vi;q=0.9", "vi"),
        (None, "fr-FR", "vi"),
        ("en", "vi", "en"),
        ("vi", "en", "vi"),
        ("xx", "en", "vi"),
    ],
)
def test_language(lang: str | None, accept_language: str | None, expected: str) -> None:
    assert language(lang, accept_language) == expected
