"""Server-rendered public pages: the provenance page of a product, lot or item, and error pages.

One Jinja2 environment, autoescaping everything and failing on any undefined name.
Templates only lay out a :class:`~traceability.services.provenance.model.Provenance`; words come
from :mod:`gateway.pages.messages`, and dates, numbers and URLs go through the filters
below. Their only style is one inline ``<style>`` element whose SHA-256 is in
:data:`CONTENT_SECURITY_POLICY`; their only script is the portal's own verifier
(``/static/verify.js``), which checks the lot's evidence in the browser. The pages work
without it. Routes that send :data:`SECURITY_HEADERS` forbid every other style, script,
frame and form.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from gateway.pages.jsonld import product_document, script_hash, script_text
from gateway.pages.messages import (
    ALARMING_DISPOSITIONS,
    Lang,
    disposition_name,
    error_hint,
    error_title,
    message,
    stage_name,
)
from gateway.pages.problems import verification_problem
from gateway.pages.units import unit_name
from traceability.identifiers.digital_link import DigitalLink, digital_link_path
from traceability.services.provenance.model import LotRef, Provenance, Stage, Verification

TEMPLATES_DIR: Final = Path(__file__).resolve().parent.parent / "templates"
PageStatus = Literal["recalled", "problem", "verified", "unverified"]

# The page's whole stylesheet, put verbatim inside <style>; its hash is what the CSP allows.
STYLE: Final[str] = (TEMPLATES_DIR / "page.css").read_text(encoding="utf-8")
if "</" in STYLE or "<!--" in STYLE:  # would end the <style> element early
    raise RuntimeError("page.css must not contain '</' or '<!--'")
STYLE_HASH: Final[str] = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode()


def content_security_policy(script_sources: Sequence[str] = ()) -> str:
    """The pages' policy. The only script that runs is the portal's own verifier
    (/static/verify.js), which may only ask the portal for the lot's evidence: nothing inline,
    nothing from another origin; ``script_sources`` (hashes) add a page's own data scripts
    (JSON-LD, which browsers never run but the policy still names)."""
    scripts = " ".join(("'self'", *script_sources))
    return (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src https: data:; "
        f"script-src {scripts}; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def security_headers(script_sources: Sequence[str] = ()) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(script_sources),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


CONTENT_SECURITY_POLICY: Final[str] = content_security_policy()
SECURITY_HEADERS: Final[dict[str, str]] = security_headers()
HTML_MEDIA_TYPE: Final = "text/html; charset=utf-8"

# Times with no offset of their own (recall date, first scan) are shown in Vietnam's time.
VIETNAM_TIME: Final = timezone(timedelta(hours=7))
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
# Browsers ignore leading/trailing spaces and control characters inside a URL's scheme,
# so "java\tscript:" is still javascript: and such URLs are refused outright.
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


# --- pure formatting (also used by the filters) ----------------------------------------------


def parse_offset(value: str | None) -> timezone | None:
    """The UTC offset of an EPCIS ``eventTimeZoneOffset`` ("+07:00", "-05:30", "Z")."""
    if not value:
        return None
    if value in {"Z", "z"}:
        return UTC
    match = _OFFSET.match(value.strip())
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta >= timedelta(hours=24):
        return None
    return timezone(-delta if sign == "-" else delta)


def in_offset(value: datetime, offset: str | None) -> datetime:
    """``value`` on the clock of the event's own offset (Vietnam's time when it has none)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(parse_offset(offset) or VIETNAM_TIME)


def format_date(value: date | None, lang: Lang) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = in_offset(value, None).date()
    if lang == "vi":
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    return f"{value.day} {value.strftime('%b')} {value.year}"


def format_datetime(value: datetime | None, offset: str | None, lang: Lang) -> str:
    """Date and time as the clock on the wall showed them where the event happened."""
    if value is None:
        return message(lang, "timeline.unknown_time")
    local = in_offset(value, offset)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    day = format_date(local.date(), lang)
    return f"{clock} ngày {day}" if lang == "vi" else f"{day}, {clock}"


def format_offset(value: datetime | None, offset: str | None, lang: Lang) -> str:
    """The offset a time is shown in, e.g. "UTC+07:00"."""
    if value is None:
        return ""
    local = in_offset(value, offset)
    text = local.strftime("%z")
    return message(lang, "time.offset", offset=f"{text[:3]}:{text[3:]}")


def iso_datetime(value: datetime | None, offset: str | None) -> str:
    return in_offset(value, offset).isoformat() if value is not None else ""


def format_number(value: float | int, lang: Lang) -> str:
    """Grouped digits: 9.600,5 in Vietnamese, 9,600.5 in English."""
    number = float(value)
    text = f"{number:,.0f}" if number.is_integer() else f"{number:,.3f}".rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_quantity(value: float | None, unit: str | None, lang: Lang) -> str:
    if value is None:
        return ""
    name = unit_name(unit, lang, value)
    return f"{format_number(value, lang)} {name}" if name else format_number(value, lang)


def image_src(url: str | None) -> str | None:
    """An absolute https URL of a product photo, or None: anything else is dropped.

    Only https, because the page's CSP allows images from https: (and data:) only; a
    javascript:, data:, relative or plain-http URL never reaches the page.
    """
    if not url or _UNSAFE_URL_CHARS.search(url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() == "https" and parts.netloc else None


def web_link(url: str | None) -> str | None:
    """An absolute http(s) URL to link to (a certificate), or None."""
    if not url or _UNSAFE_URL_CHARS.search(url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in {"http", "https"} and parts.netloc else None


def local_link(path: str | None) -> str | None:
    """A path on this portal ("/01/…"), or None: never another host or another scheme."""
    if not path or _UNSAFE_URL_CHARS.search(path):
        return None
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path


# Inline SVG icons (24×24, drawn in the text colour), sized by attributes as well so the
# page stays tidy even where its stylesheet does not load.
ICONS: Final[dict[str, str]] = {
    "ok": "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm-1.2 14.2-4-4 1.4-1.4 2.6 2.6 5.6-5.6 "
    "1.4 1.4-7 7z",
    "bad": "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zM8.4 7l3.6 3.6L15.6 7 17 8.4 13.4 12l3.6 "
    "3.6-1.4 1.4-3.6-3.6L8.4 17 7 15.6l3.6-3.6L7 8.4 8.4 7z",
    "warn": "M12 2 1 21h22L12 2zm-1 7h2v6h-2V9zm0 8h2v2h-2v-2z",
    "info": "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm-1 5h2v2h-2V7zm0 4h2v6h-2v-6z",
    "log": "M5 2h10l4 4v16H5V2zm3 7h8v2H8V9zm0 4h8v2H8v-2zm0 4h5v2H8v-2z",
    "shield": "M12 1 3 5v6c0 5.5 3.8 10.7 9 12 5.2-1.3 9-6.5 9-12V5l-9-4zm-1.5 15.5-4-4 1.4-1.4 "
    "2.6 2.6 6.1-6.1 1.4 1.4-7.5 7.5z",
}


def icon(name: str, size: int = 24) -> Markup:
    """An inline SVG icon; decorative (hidden from screen readers), never user data."""
    path = ICONS[name]
    return Markup(
        f'<svg class="icon icon-{name}" width="{int(size)}" height="{int(size)}" '
        'viewBox="0 0 24 24" fill="currentColor" aria-hidden="true" focusable="false">'
        f'<path fill-rule="evenodd" d="{path}"/></svg>'
    )


def evidence_path(view: Provenance) -> str | None:
    """Where the page's script fetches the lot's evidence; None when there is none to check
    (a product page, or a lot with no audited chain)."""
    if view.lot is None or view.verification is None or view.verification.checked == 0:
        return None
    return f"/api/v1/evidence/lots/{view.product.gtin}/{quote(view.lot.lot, safe='')}"


def page_status(view: Provenance) -> PageStatus:
    """The one word the big badge says: a recall outranks everything else."""
    if view.recall.recalled:
        return "recalled"
    check = view.verification
    if check is None or check.checked == 0:
        return "unverified"
    if check.intact and check.signatures_valid and check.problem is None:
        return "verified"
    return "problem"


def display_name(view: Provenance, lang: Lang) -> str:
    if lang == "en" and view.product.name_en:
        return view.product.name_en
    return view.product.name


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page and the headers that must travel with it (its CSP names its scripts' hashes)."""

    html: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Shown:
    """A text a business gave in Vietnamese, English or both, and the language shown."""

    text: str
    lang: Lang


def in_language(vietnamese: str | None, english: str | None, lang: Lang) -> Shown | None:
    """The text in the page's language, else in the other one (marked, for screen readers)."""
    preferred, other = (english, vietnamese) if lang == "en" else (vietnamese, english)
    if preferred:
        return Shown(preferred, lang)
    if other:
        return Shown(other, "vi" if lang == "en" else "en")
    return None


# --- Jinja filters: the language comes from the template context -----------------------------


def _lang(context: Context) -> Lang:
    lang: Lang = context["lang"]
    return lang


@pass_context
def _date_filter(context: Context, value: date | None) -> str:
    return format_date(value, _lang(context))


@pass_context
def _datetime_filter(context: Context, value: datetime | None, offset: str | None = None) -> str:
    return format_datetime(value, offset, _lang(context))


@pass_context
def _offset_filter(context: Context, value: datetime | None, offset: str | None = None) -> str:
    return format_offset(value, offset, _lang(context))


@pass_context
def _stage_name_filter(context: Context, stage: Stage) -> str:
    return stage_name(stage.biz_step, stage.event_type, _lang(context))


@pass_context
def _disposition_filter(context: Context, word: str | None) -> str:
    return disposition_name(word, _lang(context)) or ""


@pass_context
def _number_filter(context: Context, value: float | int) -> str:
    return format_number(value, _lang(context))


@pass_context
def _quantity_filter(context: Context, value: float | None, unit: str | None = None) -> str:
    return format_quantity(value, unit, _lang(context))


@pass_context
def _product_name_filter(context: Context, ref: LotRef) -> str | None:
    if _lang(context) == "en" and ref.product_name_en:
        return ref.product_name_en
    return ref.product_name


@pass_context
def _by_product_filter(
    context: Context, refs: Sequence[LotRef]
) -> list[tuple[str | None, list[LotRef]]]:
    """Lots grouped under their product's name, in the order the products first appear."""
    groups: dict[str, tuple[str | None, list[LotRef]]] = {}
    for ref in refs:
        name = _product_name_filter(context, ref)
        groups.setdefault(ref.gtin, (name, []))[1].append(ref)
    return list(groups.values())


@pass_context
def _verification_problem_filter(context: Context, check: Verification) -> str | None:
    return verification_problem(check.problem, check.problem_kind, _lang(context))


def _iso_filter(value: datetime | date | None, offset: str | None = None) -> str:
    if isinstance(value, datetime):
        return iso_datetime(value, offset)
    return value.isoformat() if value is not None else ""


def _alarming_test(word: str | None) -> bool:
    return word in ALARMING_DISPOSITIONS


def _past_test(value: date | None, today: date) -> bool:
    return value is not None and value < today


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        {
            "date": _date_filter,
            "datetime": _datetime_filter,
            "offset": _offset_filter,
            "iso": _iso_filter,
            "stage_name": _stage_name_filter,
            "disposition": _disposition_filter,
            "number": _number_filter,
            "quantity": _quantity_filter,
            "product_name": _product_name_filter,
            "by_product": _by_product_filter,
            "verification_problem": _verification_problem_filter,
            "image_src": image_src,
            "web_link": web_link,
            "local_link": local_link,
        }
    )
    env.tests.update({"alarming": _alarming_test, "before": _past_test})
    env.globals["style"] = Markup(STYLE)
    env.globals["icon"] = icon
    return env


def _parent_path(view: Provenance) -> str:
    """The lot's page of an item (the product's when its lot is unknown)."""
    lot = view.lot.lot if view.lot is not None else None
    return digital_link_path(DigitalLink(gtin=view.product.gtin, lot=lot))


class PageRenderer:
    """Renders the public HTML pages; one instance serves every request (thread-safe)."""

    def __init__(self) -> None:
        self.env = build_environment()
        self._provenance = self.env.get_template("provenance.html")
        self._error = self.env.get_template("error.html")

    def _common(self, lang: Lang, path: str | None) -> dict[str, Any]:
        other: Lang = "en" if lang == "vi" else "vi"
        t: Callable[..., str] = partial(message, lang)
        return {
            "lang": lang,
            "other_lang": other,
            "t": t,
            "switch_href": f"{path}?lang={other}" if path else f"?lang={other}",
        }

    def render_provenance_page(
        self, view: Provenance, lang: Lang, *, base_url: str, today: date | None = None
    ) -> RenderedPage:
        """:meth:`render_provenance` with its security headers: the CSP allows the page's
        JSON-LD by its hash and nothing else."""
        jsonld = script_text(product_document(view, base_url))
        html = self.render_provenance(view, lang, base_url=base_url, today=today, jsonld=jsonld)
        return RenderedPage(html, security_headers([script_hash(jsonld)]))

    def render_provenance(
        self,
        view: Provenance,
        lang: Lang,
        *,
        base_url: str,
        today: date | None = None,
        jsonld: str | None = None,
    ) -> str:
        """The consumer's page for a product, a lot or a serialised item.

        ``base_url`` is the portal's public origin (``TRACE_BASE_URL``) for the canonical
        link; ``today`` (Vietnam's date by default) decides which certificates have expired;
        ``jsonld`` is the product's data (gateway.pages.jsonld), put verbatim in the page.
        A lot or item page with an audited chain loads the in-browser verifier, which checks
        the lot's evidence against the log key the portal publishes at /log/key (the page
        does not carry it: one demo seeded twice gives the same pages).
        """
        path = local_link(view.canonical_path)
        unknown_item = view.level == "serial" and view.issued is False
        name = display_name(view, lang)
        status = page_status(view)
        if view.level == "serial" and view.serial is not None:
            title = message(lang, "page.title.serial", name=name, serial=view.serial)
        elif view.lot is not None:
            title = message(lang, "page.title.lot", name=name, lot=view.lot.lot)
        else:
            title = message(lang, "page.title.product", name=name)
        return self._provenance.render(
            **self._common(lang, path),
            view=view,
            status=status,
            name=name,
            original_name=view.product.name if name != view.product.name else None,
            category=in_language(view.product.category, view.product.category_en, lang),
            description=in_language(view.product.description, view.product.description_en, lang),
            monogram=name.strip()[:1].upper(),
            image=image_src(view.product.image_url),
            # The recall banner replaces the badge; a product page has no chain of its own,
            # so it shows no badge rather than "not verified".
            show_status=status != "recalled"
            and not (view.level == "product" and view.verification is None),
            unknown_item=unknown_item,
            parent_href=_parent_path(view) if unknown_item else None,
            jsonld=Markup(jsonld) if jsonld is not None else None,
            title=title,
            canonical_url=base_url.rstrip("/") + path if path else None,
            linkset_href=f"{path}?linkType=linkset" if path else None,
            today=today or datetime.now(VIETNAM_TIME).date(),
            evidence_href=evidence_path(view),
        )

    def render_error(self, status: int, title: str, detail: str, lang: Lang) -> str:
        """A readable error page: what was wrong (``detail``) and what the reader can do.

        An empty ``title`` gets the usual one for ``status`` in ``lang``.
        """
        return self._error.render(
            **self._common(lang, None),
            status=status,
            tone="unverified" if status == 429 else "problem",
            title=title or error_title(status, lang),
            detail=detail,
            hint=error_hint(status, lang),
        )
