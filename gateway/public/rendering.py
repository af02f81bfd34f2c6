"""The one page renderer of the process (its Jinja2 environment is built once)."""

from __future__ import annotations

from gateway.pages.render import PageRenderer

renderer = PageRenderer()
