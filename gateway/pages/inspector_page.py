"""The inspector's HTML page of a lot: who owns it, its chain audit, its genealogy and recall
scope drawn inline, and links to download them.

It uses the public pages' Jinja environment (autoescape, strict undefined, the number and
quantity filters) with a template and stylesheet of its own. Like the provenance page it
carries no script and one inline ``<style>`` whose hash is the only style its CSP allows;
the pictures are inline SVG styled by presentation attributes, which the CSP does not
govern, so they need nothing more.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import partial
from typing import Final
from urllib.parse import quote

from markupsafe import Markup

from gateway.pages.genealogy_picture import inline_svg
from gateway.pages.inspector_messages import inspector_message
from gateway.pages.messages import Lang
from gateway.pages.render import TEMPLATES_DIR, build_environment
from traceability.services.audit import LotAudit
from traceability.services.trace.maps import TraceMap

INSPECTOR_STYLE: Final[str] = (TEMPLATES_DIR / "inspector.css").read_text(encoding="utf-8")
if "</" in INSPECTOR_STYLE or "<!--" in INSPECTOR_STYLE:  # would end the <style> early
    raise RuntimeError("inspector.css must not contain '</' or '<!--'")
_STYLE_HASH: Final = base64.b64encode(
    hashlib.sha256(INSPECTOR_STYLE.encode("utf-8")).digest()
).decode()
INSPECTOR_PAGE_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    # What an inspector reads about a business is not kept by shared caches or the browser.
    "Cache-Control": "private, no-store",
}


@dataclass(frozen=True)
class InspectorView:
    """What the page shows: the genealogy both ways, the recall scope (the forward map) and
    the chain audit (None when no event names the lot yet)."""

    trace: TraceMap
    recall: TraceMap
    audit: LotAudit | None


class InspectorPageRenderer:
    """Renders the inspector's lot page; one instance serves every request."""

    def __init__(self) -> None:
        self._template = build_environment().get_template("inspector.html")

    def render(self, view: InspectorView, lang: Lang) -> str:
        t = partial(inspector_message, lang)
        lot = view.trace.lot
        other: Lang = "en" if lang == "vi" else "vi"
        gtin, code = quote(lot.gtin or "", safe=""), quote(lot.lot or "", safe="")
        base = f"/api/v1/audit/lots/{gtin}/{code}"
        return self._template.render(
            lang=lang,
            other_lang=other,
            t=t,
            switch_href=f"{base}/page?lang={other}",
            title=t("page.title", lot=lot.lot),
            product=lot.product_name or t("box.unknown_product"),
            lot=lot,
            province=view.trace.province_of(lot.owner_id),
            audit=view.audit,
            trace_svg=Markup(inline_svg(view.trace, lang)),
            recall_svg=Markup(inline_svg(view.recall, lang, recall=True)),
            recall_counts={
                "lots": len(view.recall.nodes),
                "places": len({v.place.gln for v in view.recall.visits}),
            },
            organizations=[(o.name, o.province) for o in view.recall.organizations],
            links=[
                ("trace_svg", f"{base}/trace.svg?download=1&lang={lang}"),
                ("recall_svg", f"{base}/recall.svg?download=1&lang={lang}"),
                ("csv", f"{base}/export.csv"),
                ("bundle", f"{base}/bundle"),
                ("trace_json", f"{base}/trace"),
                ("recall_json", f"{base}/recall"),
            ],
            inspector_style=Markup(INSPECTOR_STYLE),
        )
