"""The ``/verify`` page: check a lot's evidence bundle, or the lot a Digital Link names, in the
browser, against a log key the reader pins (and, if they wish, witness keys and a quorum).

One self-contained HTML file: its stylesheet and its script (``verify.js`` and
``verify-page.js``) are inline, so a reader can save it and use it offline, trusting no
server. The Content-Security-Policy allows exactly those two inline elements by their
SHA-256, connections to this portal and to any https portal a Digital Link names, and
nothing else.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Final

from markupsafe import Markup

from gateway.pages.messages import MESSAGES, Lang
from gateway.pages.render import SECURITY_HEADERS, STYLE_HASH, build_environment

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
SCRIPT: Final[str] = "\n".join(
    (STATIC_DIR / name).read_text(encoding="utf-8") for name in ("verify.js", "verify-page.js")
)
if "</" in SCRIPT or "<!--" in SCRIPT:  # would end the <script> element early
    raise RuntimeError("the verifier's scripts must not contain '</' or '<!--'")
SCRIPT_HASH: Final[str] = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()

VERIFY_CONTENT_SECURITY_POLICY: Final[str] = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; script-src 'sha256-{SCRIPT_HASH}'; "
    "connect-src 'self' https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
VERIFY_SECURITY_HEADERS: Final[dict[str, str]] = SECURITY_HEADERS | {
    "Content-Security-Policy": VERIFY_CONTENT_SECURITY_POLICY
}

VERIFY_MESSAGES: Final[dict[Lang, dict[str, str]]] = {
    "vi": {
        "verifier.title": "Tự kiểm tra bằng chứng",
        "verifier.lead": "Kiểm tra tệp bằng chứng của một lô hàng, hoặc lô mà một đường dẫn "
        "Digital Link chỉ tới, ngay trong trình duyệt: chữ ký số, chuỗi liên kết và sổ cái "
        "công khai, không cần tin máy chủ nào.",
        "verifier.offline": "Có thể lưu trang này (Lưu trang) và dùng khi không có mạng.",
        "verifier.key": "Khóa sổ cái",
        "verifier.key_hint": "Khóa công khai của sổ cái (dạng tên+mã+base64), lấy từ nguồn "
        "bạn tin cậy (cổng thông tin công bố tại",
        "verifier.pinned": "Trình duyệt ghi nhớ khóa bạn dùng.",
        "verifier.witnesses": "Bên chứng thực (không bắt buộc)",
        "verifier.witnesses_hint": "Khóa của các bên chứng thực độc lập bạn tin (mỗi dòng một "
        "khóa, dạng tên+mã+base64). Sổ cái phải được ít nhất số bên dưới đây xác nhận "
        "(để trống: tất cả). Trình duyệt ghi nhớ các khóa và số này.",
        "verifier.quorum": "Số bên chứng thực tối thiểu",
        "verifier.bundle": "Tệp bằng chứng",
        "verifier.drop": "Thả tệp bằng chứng (.json) vào đây, hoặc bấm để chọn tệp.",
        "verifier.link": "Hoặc đường dẫn Digital Link của lô",
        "verifier.check": "Kiểm tra",
        "verifier.result": "Kết quả",
        "verifier.waiting": "Chưa kiểm tra.",
        "verifier.noscript": "Trang này cần JavaScript để kiểm tra.",
    },
    "en": {
        "verifier.title": "Check the evidence yourself",
        "verifier.lead": "Check a lot's evidence file, or the lot a Digital Link names, in "
        "your browser: digital signatures, the chain and the public log, trusting no server.",
        "verifier.offline": "You can save this page and use it without a network.",
        "verifier.key": "Log key",
        "verifier.key_hint": "The log's public key (name+id+base64), from a source you trust "
        "(the portal publishes it at",
        "verifier.pinned": "Your browser remembers the key you use.",
        "verifier.witnesses": "Witnesses (optional)",
        "verifier.witnesses_hint": "The keys of independent witnesses you trust (one per line, "
        "name+id+base64). The log must be cosigned by at least the number below (empty: all "
        "of them). Your browser remembers these keys and the number.",
        "verifier.quorum": "Witnesses required (quorum)",
        "verifier.bundle": "Evidence file",
        "verifier.drop": "Drop an evidence file (.json) here, or click to pick one.",
        "verifier.link": "Or the lot's Digital Link",
        "verifier.check": "Check",
        "verifier.result": "Result",
        "verifier.waiting": "Nothing checked yet.",
        "verifier.noscript": "This page needs JavaScript to check.",
    },
}


def verify_message(lang: Lang, key: str, **values: object) -> str:
    words = VERIFY_MESSAGES[lang].get(key) or MESSAGES[lang][key]
    return words.format(**values) if values else words


class VerifyPageRenderer:
    def __init__(self) -> None:
        env = build_environment()
        env.globals["script"] = Markup(SCRIPT)
        self._page = env.get_template("verify.html")

    def render(self, lang: Lang) -> str:
        """The page in ``lang``. Its key box starts empty (or with the key the reader pinned
        before): the portal does not fill in its own key, the reader brings it."""
        other: Lang = "en" if lang == "vi" else "vi"
        t: Callable[..., str] = partial(verify_message, lang)
        return self._page.render(
            lang=lang, other_lang=other, t=t, switch_href=f"/verify?lang={other}"
        )


verify_renderer: Final = VerifyPageRenderer()
