"""The portal's home page: what it is, the lookup box, links for businesses and inspectors.

It is laid out by ``home.html`` on the provenance pages' base (their top bar, footer and
stylesheet) and adds one stylesheet of its own, ``home.css``, inline like theirs; both
hashes are in :data:`HOME_CONTENT_SECURITY_POLICY`. Unlike the provenance pages it holds
forms, so its policy lets a form go to this portal (``form-action 'self'``) and nowhere else.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Final

from markupsafe import Markup

from gateway.pages.home_messages import home_message, problem_message
from gateway.pages.messages import Lang
from gateway.pages.render import SECURITY_HEADERS, STYLE_HASH, TEMPLATES_DIR, build_environment
from traceability.identifiers.lookup import Unreadable

HOME_STYLE: Final[str] = (TEMPLATES_DIR / "home.css").read_text(encoding="utf-8")
if "</" in HOME_STYLE or "<!--" in HOME_STYLE:  # would end the <style> element early
    raise RuntimeError("home.css must not contain '</' or '<!--'")
HOME_STYLE_HASH: Final[str] = base64.b64encode(
    hashlib.sha256(HOME_STYLE.encode("utf-8")).digest()
).decode()

HOME_CONTENT_SECURITY_POLICY: Final[str] = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}' 'sha256-{HOME_STYLE_HASH}'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HOME_SECURITY_HEADERS: Final[dict[str, str]] = SECURITY_HEADERS | {
    "Content-Security-Policy": HOME_CONTENT_SECURITY_POLICY
}


@dataclass(frozen=True, slots=True)
class LookupInput:
    """What the reader typed, shown again in the form beside what was wrong with it."""

    gtin: str = ""
    lot: str = ""
    q: str = ""


class HomeRenderer:
    """Renders the home page; one instance serves every request (thread-safe)."""

    def __init__(self) -> None:
        env = build_environment()
        env.globals["home_style"] = Markup(HOME_STYLE)
        self._home = env.get_template("home.html")

    def render_home(
        self,
        lang: Lang,
        *,
        problem: Unreadable | None = None,
        typed: LookupInput | None = None,
    ) -> str:
        other: Lang = "en" if lang == "vi" else "vi"
        typed = typed or LookupInput()
        t: Callable[..., str] = partial(home_message, lang)
        return self._home.render(
            lang=lang,
            other_lang=other,
            t=t,
            switch_href=f"/?lang={other}",
            problem=problem_message(problem, lang) if problem else None,
            # The validator's own words are English: a Vietnamese page says only its own.
            detail=problem.detail if problem and lang == "en" else "",
            problem_field=problem.field if problem else None,
            gtin=typed.gtin,
            lot=typed.lot,
            q=typed.q,
        )


home_renderer = HomeRenderer()
