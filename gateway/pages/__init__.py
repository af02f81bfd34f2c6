"""Public HTML pages (provenance, errors): Jinja2 templates, words in two languages, CSP."""

from gateway.pages.messages import DEFAULT_LANG, LANGS, Lang, lang_or_default
from gateway.pages.render import (
    CONTENT_SECURITY_POLICY,
    HTML_MEDIA_TYPE,
    SECURITY_HEADERS,
    PageRenderer,
)

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "DEFAULT_LANG",
    "HTML_MEDIA_TYPE",
    "LANGS",
    "SECURITY_HEADERS",
    "Lang",
    "PageRenderer",
    "lang_or_default",
]
