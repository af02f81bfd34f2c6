"""The API documentation, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, with no internet.

Their scripts, stylesheet and icon are the files the ``fastapi-offline`` package ships
(Swagger UI 5, which reads OpenAPI 3.1, and ReDoc 2), served from ``/docs/assets/``. Each
page's Content-Security-Policy allows this portal's own files and nothing from elsewhere:
Swagger UI's one inline start-up script by its hash, and the styles both put inline.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.staticfiles import PathLike
from starlette.types import Scope

from gateway.pages.render import SECURITY_HEADERS

ASSETS_DIR: Final = Path(str(files("fastapi_offline") / "static"))
ASSETS_URL: Final = "/docs/assets"
OPENAPI_URL: Final = "/openapi.json"
_INLINE_SCRIPT: Final = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# The files change only when the package does; browsers still ask again after a day.
ASSETS_CACHE_CONTROL: Final = "public, max-age=86400"


def script_hashes(html: str) -> list[str]:
    """CSP sources for each inline ``<script>`` of ``html``, exactly as written."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def documentation_policy(html: str) -> str:
    """Only this portal's files, the page's own inline scripts, and the inline styles and
    blob: workers the two viewers make at run time."""
    scripts = " ".join(["'self'", *script_hashes(html)])
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _page(html: str) -> Response:
    headers = SECURITY_HEADERS | {
        "Content-Security-Policy": documentation_policy(html),
        "cache-control": "public, max-age=300",
    }
    return Response(html, media_type="text/html; charset=utf-8", headers=headers)


class DocumentationAssets(StaticFiles):
    """The viewers' files, each kept by browsers and proxies for a day."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = ASSETS_CACHE_CONTROL
        return response


def swagger_ui_html(title: str) -> str:
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=title,
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        # The public validator would be sent the spec: nothing leaves the portal.
        swagger_ui_parameters={"validatorUrl": None},
    )
    return bytes(page.body).decode()


def redoc_html(title: str) -> str:
    page = get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=title,
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )
    return bytes(page.body).decode()


def install_documentation(app: FastAPI) -> None:
    """``/docs``, ``/redoc`` and their assets; create the app with ``docs_url=None`` and
    ``redoc_url=None`` so FastAPI's own pages (from a CDN) are not made."""
    swagger = swagger_ui_html(f"{app.title}: API")
    redoc = redoc_html(f"{app.title}: API")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> Response:
        return _page(swagger)

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page() -> Response:
        return _page(redoc)

    app.mount(ASSETS_URL, DocumentationAssets(directory=ASSETS_DIR), name="docs-assets")
