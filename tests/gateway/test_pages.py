"""The consumer's provenance page and the error page, rendered from presenters built here.

What a shopper relies on: the Circular 02 minimum data is all there, in Vietnamese by
default and in English on request; nothing a business typed can become markup or script;
a recall and a copied label are impossible to miss; and the page's one style element is
exactly what the Content-Security-Policy allows.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from gateway.pages import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, PageRenderer
from gateway.pages.messages import (
    BIZ_STEPS,
    DISPOSITIONS,
    MESSAGES,
    biz_step_name,
    disposition_name,
    lang_or_default,
)
from gateway.pages.problems import (
    FIELD_DETAILS,
    VERIFICATION_PROBLEMS,
    problem_detail,
    rate_limited_detail,
)
from gateway.pages.render import format_datetime, format_number, image_src, local_link
from gateway.pages.units import UNITS, WORDS, unit_name
from tests.factories.provenance import (
    GTIN,
    HACCP,
    LOT,
    LOT_PATH,
    MILLED_PATH,
    RICE_MILL,
    VIETGAP,
    at,
    lot_info,
    lot_page,
    product_info,
    product_page,
    recalled,
    serial_page,
    stage,
    verification,
)
from traceability.errors import InvalidInput, NotFound, TraceabilityError
from traceability.identifiers.gs1 import normalize_gtin, validate_gln, validate_lot
from traceability.services.provenance.model import (
    LotRef,
    Party,
    Place,
    ProductInfo,
    Provenance,
    ScanInfo,
    ScanWarning,
)

BASE = "https://truyxuat.example.vn"
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, ATTRIBUTE)


@pytest.fixture(scope="module")
def renderer() -> PageRenderer:
    return PageRenderer()


class Page(HTMLParser):
    """The parts of a rendered page the tests look at: tags, attributes, text. The stylesheet
    and a data script (the page's JSON-LD) are no text a reader sees."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self._in_script = False
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self._heading: str | None = None
        self._heading_text: list[str] = []
        self.feed(html)
        self.close()
        self.text = re.sub(r"\s+", " ", " ".join(self.text_parts))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag in ("script", "style")
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._heading_text = tag, []

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False
        if tag == self._heading:
            self.headings.append((tag, " ".join("".join(self._heading_text).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._in_script:
            return
        self.text_parts.append(data)
        if self._heading:
            self._heading_text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def hrefs(self) -> list[str | None]:
        return [attrs.get("href") for attrs in self.all("a")]


def style_text(html: str) -> str:
    match = re.search(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    assert match, "the page has no <style> element"
    return match.group(1)


def render(
    renderer: PageRenderer, view: Provenance, lang: str = "vi", *, today: date | None = None
) -> str:
    assert lang in ("vi", "en")
    return renderer.render_provenance(
        view,
        "vi" if lang == "vi" else "en",
        base_url=BASE,
        today=today or date(2026, 10, 1),
    )


# --- language ---------------------------------------------------------------------------------


def test_vietnamese_is_the_default_language(renderer: PageRenderer) -> None:
    html = render(renderer, lot_page())
    page = Page(html)
    assert page.all("html") == [{"lang": "vi"}]
    assert "Thông tin sản phẩm" in page.text
    assert "Hành trình sản phẩm" in page.text
    assert "Đã xác minh" in page.text
    assert "Đóng gói" in page.text and "Bán lẻ" in page.text  # packing, retail_selling
    assert "Đang vận chuyển" in page.text  # in_transit
    assert "1.900 sản phẩm" in page.text  # Vietnamese digit grouping, unit H87 in words
    assert page.headings[0] == ("h1", "Gạo ST25 Sóc Trăng túi 5 kg")
    assert lang_or_default(None) == "vi" and lang_or_default("fr") == "vi"


def test_english_page_uses_english_words_and_the_english_product_name(
    renderer: PageRenderer,
) -> None:
    page = Page(render(renderer, lot_page(), "en"))
    assert page.all("html") == [{"lang": "en"}]
    assert page.headings[0] == ("h1", "ST25 fragrant rice from Sóc Trăng, 5 kg bag")
    assert "Gạo ST25 Sóc Trăng túi 5 kg" in page.text  # the original name, marked as Vietnamese
    for words in ("Product details", "The product's journey", "Verified", "Packed", "Shipped"):
        assert words in page.text
    assert "In transit" in page.text and "1,900 items" in page.text
    assert "Hành trình" not in page.text
    assert lang_or_default("EN") == "en"


def test_language_switch_canonical_and_linkset_links(renderer: PageRenderer) -> None:
    vi, en = Page(render(renderer, lot_page())), Page(render(renderer, lot_page(), "en"))
    assert f"{LOT_PATH}?lang=en" in vi.hrefs()
    assert f"{LOT_PATH}?lang=vi" in en.hrefs()
    for page in (vi, en):
        links = page.all("link")
        assert {"rel": "canonical", "href": BASE + LOT_PATH} in links
        assert {
            "rel": "linkset",
            "type": "application/linkset+json",
            "href": f"{LOT_PATH}?linkType=linkset",
        } in links
        assert {"rel": "alternate", "hreflang": "en", "href": f"{BASE}{LOT_PATH}?lang=en"} in links


def test_both_languages_have_every_message_and_every_cbv_word() -> None:
    assert MESSAGES["vi"].keys() == MESSAGES["en"].keys()
    assert BIZ_STEPS["vi"].keys() == BIZ_STEPS["en"].keys()
    assert DISPOSITIONS["vi"].keys() == DISPOSITIONS["en"].keys()
    for word in ("commissioning", "shipping", "receiving", "packing", "retail_selling"):
        assert word in BIZ_STEPS["vi"]
    for word in ("in_transit", "active", "recalled", "in_progress"):
        assert word in DISPOSITIONS["vi"]
    assert biz_step_name("urn:epcglobal:cbv:bizstep:shipping", "en") == "Shipped"
    assert biz_step_name("https://ref.gs1.org/cbv/BizStep-receiving", "vi") == "Nhận hàng"
    assert biz_step_name("harvest_by_drone", "vi") == "harvest_by_drone"
    assert disposition_name("https://example.com/disp/x", "en") == "https://example.com/disp/x"


def test_unknown_business_step_is_shown_as_the_raw_word(renderer: PageRenderer) -> None:
    view = lot_page(stages=(stage("harvest_by_drone", "2026-08-01 06:00"),))
    assert "harvest_by_drone" in Page(render(renderer, view)).text


# --- Circular 02 minimum data -----------------------------------------------------------------


def test_every_piece_of_circular_02_minimum_data_is_on_a_serial_page(
    renderer: PageRenderer,
) -> None:
    view = serial_page(
        product=product_info(image_url="https://cdn.example.vn/gao-st25.jpg"), cpv="2A"
    )
    html = render(renderer, view)
    page = Page(html)
    text = page.text
    # product name and image
    assert "Gạo ST25 Sóc Trăng túi 5 kg" in text
    assert [img["src"] for img in page.all("img")] == ["https://cdn.example.vn/gao-st25.jpg"]
    # producer name and address (and province, tax code)
    assert RICE_MILL.name in text
    assert RICE_MILL.address and RICE_MILL.address in text
    assert "Cần Thơ" in text and "2200961029" in text
    # traceability code: GTIN, variant, lot, serial
    for code in (GTIN, "2A", LOT, "SN000123"):
        assert code in text
    # brand, applied standards, shelf life, production date, quantity
    assert "Kênh Xáng ST25" in text
    for standard in ("TCVN 11888:2017", "VietGAP", "HACCP"):
        assert standard in text
    assert "Hạn sử dụng" in text and "12/08/2027" in text
    assert "Ngày sản xuất" in text and "12/08/2026" in text
    assert "1.900 sản phẩm" in text
    # certifications with issuer, number and validity
    for cert in (VIETGAP, HACCP):
        assert cert.issuer and cert.issuer in text
        assert cert.number and cert.number in text
    assert "31/03/2028" in text and "31/12/2027" in text
    assert VIETGAP.url in page.hrefs()
    # every stage with its time and place
    for name in ("Đóng gói", "Lưu kho", "Xuất hàng, vận chuyển", "Nhận hàng", "Bán lẻ"):
        assert ("h3", name) in page.headings
    assert "08:00 ngày 12/08/2026" in text
    assert "Kho phân phối Sài Gòn Xanh – Bình Chánh" in text
    assert "Ghi nhận bởi: Công ty TNHH Thương mại Bếp Việt Mart" in text


def test_event_time_is_shown_on_the_clock_of_the_events_own_offset(
    renderer: PageRenderer,
) -> None:
    instant = datetime(2026, 8, 12, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội, 21:00 the day before
    view = lot_page(
        stages=(
            stage("shipping", "2026-08-12 08:00", time=instant, time_zone="+07:00"),
            stage("receiving", "2026-08-12 08:00", time=instant, time_zone="-04:00"),
        )
    )
    page = Page(render(renderer, view, "en"))
    assert "12 Aug 2026, 08:00" in page.text and "(UTC+07:00)" in page.text
    assert "11 Aug 2026, 21:00" in page.text and "(UTC-04:00)" in page.text
    times = [t["datetime"] for t in page.all("time")]
    assert "2026-08-12T08:00:00+07:00" in times and "2026-08-11T21:00:00-04:00" in times
    assert format_datetime(instant.replace(tzinfo=None), None, "vi") == "08:00 ngày 12/08/2026"


def test_numbers_are_grouped_the_way_each_language_writes_them() -> None:
    assert format_number(9600, "vi") == "9.600"
    assert format_number(8380.5, "vi") == "8.380,5"
    assert format_number(1234567.25, "en") == "1,234,567.25"


def test_expired_certificate_is_marked(renderer: PageRenderer) -> None:
    html = render(renderer, lot_page(), "en", today=date(2028, 1, 15))
    assert html.count("expired") == 1  # HACCP (2027-12-31), not VietGAP (2028-03-31)


# --- timeline ---------------------------------------------------------------------------------


def test_timeline_is_an_ordered_list_in_the_presenters_order_with_input_lots_linked(
    renderer: PageRenderer,
) -> None:
    html = render(renderer, lot_page())
    page = Page(html)
    steps = [text for tag, text in page.headings if tag == "h3"]
    assert steps == ["Đóng gói", "Lưu kho", "Xuất hàng, vận chuyển", "Nhận hàng", "Bán lẻ"]
    timeline = html[html.index('<ol class="timeline">') : html.index("</ol>")]
    assert timeline.count('<li class="stage') == 5
    assert f'<a href="{MILLED_PATH}">' in timeline
    assert "Làm từ:" in timeline and "Gạo ST25 xát trắng (bao 50 kg), lô" in Page(timeline).text


def test_lot_links_that_leave_the_portal_are_not_links(renderer: PageRenderer) -> None:
    evil = LotRef("08936901020019", "X", "javascript:alert(1)", "Evil")
    other_host = LotRef("08936901020019", "Y", "//evil.example/01/1/10/Y", "Elsewhere")
    view = lot_page(stages=(stage("packing", "2026-08-12 08:00", inputs=(evil, other_host)),))
    page = Page(render(renderer, view))
    assert not [h for h in page.hrefs() if h and ("javascript" in h or "evil" in h)]
    assert "Evil, lô X" in page.text and "Elsewhere, lô Y" in page.text
    assert local_link("/01/1/10/A") == "/01/1/10/A" and local_link("/\\evil") is None


def test_a_declared_error_is_shown_on_its_stage(renderer: PageRenderer) -> None:
    view = lot_page(stages=(stage("shipping", "2026-08-18 07:00", declared_error="Nhầm số lượng"),))
    page = Page(render(renderer, view))
    assert "Bản ghi này đã được đính chính sau đó: Nhầm số lượng" in page.text


def test_product_page_lists_its_lots_as_links_and_has_no_timeline(
    renderer: PageRenderer,
) -> None:
    page = Page(render(renderer, product_page()))
    assert LOT_PATH in page.hrefs()
    assert f"/01/{GTIN}/10/ST25-260701" in page.hrefs()
    assert ("h2", "Các lô hàng") in page.headings
    assert "Hành trình sản phẩm" not in page.text
    assert "Chưa xác minh" not in page.text  # no chain of its own: no badge


# --- status, recall, scans --------------------------------------------------------------------


def test_recall_banner_comes_first_and_replaces_the_verified_badge(
    renderer: PageRenderer,
) -> None:
    html = render(renderer, recalled(lot_page()))
    assert "SẢN PHẨM BỊ THU HỒI" in html
    assert html.index("SẢN PHẨM BỊ THU HỒI") < html.index("<h1")
    assert 'class="recall"' in html
    assert "Đã xác minh" not in html
    page = Page(html)
    assert "Thu hồi từ: 02/10/2026" in page.text
    assert "Lý do: Phát hiện mốc trong lô hàng" in page.text
    en = Page(render(renderer, recalled(lot_page()), "en")).text
    assert "PRODUCT RECALLED" in en and "Do not use this product" in en


def test_no_recall_banner_when_not_recalled(renderer: PageRenderer) -> None:
    html = render(renderer, lot_page())
    assert "THU HỒI" not in html and 'class="recall"' not in html


def test_a_broken_chain_shows_the_problem_badge_and_the_problem(renderer: PageRenderer) -> None:
    view = lot_page(verification=verification(intact=False, problem="event 3: hash mismatch"))
    page = Page(render(renderer, view, "en"))
    assert "Problem found" in page.text
    assert "does not match what was recorded" in page.text
    assert "event 3: hash mismatch" in page.text
    assert "Verified" not in page.text


def test_verification_panel_in_a_shoppers_words(renderer: PageRenderer) -> None:
    page = Page(render(renderer, lot_page(), "en"))
    assert "This product's history has not been altered since it was recorded." in page.text
    assert "signed by the business that recorded it" in page.text
    assert "Included in the national public log at checkpoint 1,234." in page.text
    assert "/log/proof/inclusion?index=42&size=1234" in page.hrefs()


@pytest.mark.parametrize(
    ("warning", "vi", "en"),
    [
        ("often", "Mã này bị quét nhiều bất thường", "This code has been scanned unusually often"),
        ("old", "Mã này được quét lần đầu từ rất lâu", "This code was first scanned long ago"),
    ],
)
def test_serial_page_warns_of_a_copied_label(
    renderer: PageRenderer, warning: ScanWarning, vi: str, en: str
) -> None:
    scans = ScanInfo(count=57, first_seen=at("2025-01-05 10:00"), warning=warning)
    view = serial_page(scans=scans)
    vi_page = Page(render(renderer, view))
    assert vi in vi_page.text and "Mã này đã được quét 57 lần." in vi_page.text
    en_page = Page(render(renderer, view, "en"))
    assert en in en_page.text and "This code has been scanned 57 times." in en_page.text
    if warning == "old":
        assert "first scanned on 5 Jan 2025" in en_page.text


def test_serial_page_without_warning_shows_the_count_only(renderer: PageRenderer) -> None:
    page = Page(render(renderer, serial_page()))
    assert "Mã này đã được quét 3 lần." in page.text
    assert "bất thường" not in page.text and "rất lâu" not in page.text


def test_a_code_scanned_once_says_once_in_both_languages(renderer: PageRenderer) -> None:
    view = serial_page(scans=ScanInfo(count=1, first_seen=None))
    assert "Mã này đã được quét 1 lần." in Page(render(renderer, view)).text
    english = Page(render(renderer, view, lang="en")).text
    assert "This code has been scanned once." in english and "1 times" not in english
    # What a count means: people, not page loads.
    assert "Each device counts once a day" in english


# --- nothing a business typed becomes markup --------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_supplied_text_is_escaped_everywhere(renderer: PageRenderer, payload: str) -> None:
    party = Party(name=payload, address=payload, province=payload, tax_code=payload)
    place = Place(gln="8936901029012", name=payload, address=payload, province=payload)
    view = serial_page(
        canonical_path=LOT_PATH,
        product=product_info(
            name=payload,
            name_en=payload,
            brand=payload,
            category=payload,
            description=payload,
            applied_standards=(payload,),
        ),
        producer=party,
        serial=payload,
        cpv=payload,
        lot=lot_info(
            lot=payload,
            origin=place,
            certifications=(replace(VIETGAP, scheme=payload, number=payload, issuer=payload),),
        ),
        stages=(
            stage(
                "packing",
                "2026-08-12 08:00",
                biz_step=payload,
                disposition=payload,
                place=place,
                party=party,
                inputs=(LotRef(GTIN, payload, MILLED_PATH, payload),),
                declared_error=payload,
            ),
        ),
        verification=verification(intact=False, problem=payload),
        scans=ScanInfo(count=2, first_seen=None),
    )
    for lang in ("vi", "en"):
        html = render(renderer, recalled(view, reason=payload), lang)
        assert payload not in html
        # The portal's own verifier is the one script; the payload's never became a tag.
        assert html.count("<script") == html.count('<script src="/static/verify.js" defer>')
        assert "<img" not in html  # the payload's <img> never became a tag
        page = Page(html)
        assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
        assert payload in page.text  # shown, as text
    error = renderer.render_error(404, payload, payload, "vi")
    assert payload not in error and payload in Page(error).text


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "/static/demo/gao-st25-5kg.jpg",
        "//evil.example/x.png",
        "http://cdn.example.vn/gao.jpg",  # the CSP allows https: images only
        "https:///no-host",
        "",
    ],
)
def test_an_image_url_that_is_not_https_is_dropped(renderer: PageRenderer, url: str) -> None:
    html = render(renderer, lot_page(product=product_info(image_url=url)))
    assert Page(html).all("img") == []
    assert image_src(url) is None
    if url:
        assert url not in html


def test_a_certificate_link_that_is_not_http_is_dropped(renderer: PageRenderer) -> None:
    cert = replace(VIETGAP, url="javascript:alert(1)")
    html = render(renderer, lot_page(lot=lot_info(certifications=(cert,))))
    assert "javascript:" not in html


# --- the page itself: no script, readable without CSS, CSP that matches -----------------------


def _all_pages(renderer: PageRenderer) -> list[str]:
    views = [lot_page(), serial_page(), product_page(), recalled(lot_page()), bare_lot()]
    pages = [render(renderer, view, lang) for view in views for lang in ("vi", "en")]
    pages += [
        renderer.render_error(status, "", "detail", lang)
        for status in (400, 404, 429, 500)
        for lang in ("vi", "en")
    ]
    return pages


def bare_lot() -> Provenance:
    """A lot with nothing but what the model requires."""
    return Provenance(
        level="lot",
        canonical_path=LOT_PATH,
        product=ProductInfo(gtin=GTIN, name="X"),
        producer=Party(name="P"),
        lot=lot_info(
            production_date=None, expiry_date=None, quantity=None, origin=None, certifications=()
        ),
        stages=(stage("other", "2026-01-01 00:00", time=None, time_zone=None, place=None),),
    )


def test_no_page_has_script_inline_handlers_or_style_attributes(renderer: PageRenderer) -> None:
    """The one script is the portal's verifier, loaded from its own file by lot and item pages
    with an audited chain (the CSP allows 'self' and nothing inline)."""
    for html in _all_pages(renderer):
        page = Page(html)
        for script in page.all("script"):
            assert script == {"src": "/static/verify.js", "defer": None}
        for _, attrs in page.tags:
            assert not [name for name in attrs if name.startswith("on") or name == "style"]
        assert "javascript:" not in html


def test_csp_hash_is_the_sha256_of_every_pages_style_element(renderer: PageRenderer) -> None:
    for html in _all_pages(renderer):
        digest = hashlib.sha256(style_text(html).encode("utf-8")).digest()
        expected = base64.b64encode(digest).decode()
        assert f"style-src 'sha256-{expected}'" in CONTENT_SECURITY_POLICY
        assert html.count("<style") == 1


def test_security_headers_forbid_everything_the_page_does_not_use() -> None:
    assert SECURITY_HEADERS["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none'; style-src 'sha256-")
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    for directive in ("img-src https: data:", "base-uri 'none'", "form-action 'none'"):
        assert directive in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert SECURITY_HEADERS["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_page_structure_reads_well_without_css(renderer: PageRenderer) -> None:
    for view in (lot_page(), serial_page(), recalled(lot_page())):
        html = render(renderer, view)
        page = Page(html)
        levels = [tag for tag, _ in page.headings]
        assert levels[0] == "h1" and levels.count("h1") == 1
        assert set(levels) <= {"h1", "h2", "h3"}
        assert html.index("<dl") < html.index('<ol class="timeline">')
        assert html.index("<h1") < html.index("<dl")
        assert len(page.all("main")) == 1 and len(page.all("footer")) == 1
        for svg in page.all("svg"):  # icons keep a small size even without the stylesheet
            assert svg["width"] and svg["height"] and svg["aria-hidden"] == "true"


def test_minimal_presenters_render_in_both_languages(renderer: PageRenderer) -> None:
    minimal = [
        bare_lot(),
        Provenance(
            level="product",
            canonical_path=f"/01/{GTIN}",
            product=ProductInfo(gtin=GTIN, name="X"),
            producer=Party(name="P"),
        ),
        Provenance(
            level="serial",
            canonical_path=f"{LOT_PATH}/21/1",
            product=ProductInfo(gtin=GTIN, name="X"),
            producer=Party(name="P"),
            serial="1",
            scans=ScanInfo(count=1, first_seen=None, warning="old"),
        ),
    ]
    for view in minimal:
        for lang in ("vi", "en"):
            assert "<h1>X</h1>" in render(renderer, view, lang)


# --- error page -------------------------------------------------------------------------------


def test_error_page_says_what_was_wrong_in_the_language(renderer: PageRenderer) -> None:
    detail = "Số kiểm tra của mã GTIN 08936901020056 không đúng (phải là 7)."
    page = Page(renderer.render_error(400, "", detail, "vi"))
    assert page.all("html") == [{"lang": "vi"}]
    assert ("h1", "Mã không hợp lệ") in page.headings
    assert detail in page.text and "Lỗi 400" in page.text
    assert "quét lại mã" in page.text
    assert "?lang=en" in page.hrefs()
    en = Page(renderer.render_error(404, "", "No lot ST25-999 of this product.", "en"))
    assert en.all("html") == [{"lang": "en"}]
    assert ("h1", "Not found") in en.headings and "not registered on the portal" in en.text
    busy = Page(renderer.render_error(429, "Slow down", "Try in 30 s.", "en"))
    assert ("h1", "Slow down") in busy.headings and "Wait a moment" in busy.text
    assert {"name": "robots", "content": "noindex"} in busy.all("meta")


# --- one language per page: error details, units, the product's own texts ------------------

# Words of an English sentence that no Vietnamese sentence of these pages contains.
ENGLISH_WORDS = re.compile(r"\b(the|is|has|must|expected|not|no|of|contains|should|was)\b")


def error_of(check: Callable[[], object]) -> TraceabilityError:
    """The error ``check`` raises (as the code a shopper scans meets it)."""
    try:
        check()
    except TraceabilityError as error:
        return error
    raise AssertionError("no error raised")


def test_an_error_page_words_the_problem_in_the_pages_language_with_its_values(
    renderer: PageRenderer,
) -> None:
    error = error_of(lambda: normalize_gtin("08936901020058"))
    assert error.message == "GTIN 08936901020058 has check digit 8, expected 7"  # API: as is
    vi = Page(renderer.render_error(400, "", problem_detail(error, 400, "vi"), "vi"))
    assert "Mã GTIN 08936901020058 có số kiểm tra cuối là 8, nhưng đúng ra phải là 7." in vi.text
    assert "check digit" not in vi.text
    en = Page(renderer.render_error(400, "", problem_detail(error, 400, "en"), "en"))
    assert "The GTIN 08936901020058 ends in check digit 8, but it should be 7." in en.text


@pytest.mark.parametrize(
    ("error", "values"),
    [
        (error_of(lambda: normalize_gtin("0893690102005")), ["0893690102005", "5", "6"]),
        (error_of(lambda: normalize_gtin("08936901O20057")), ["08936901O20057"]),
        (error_of(lambda: normalize_gtin("089369")), ["089369", "6", "8, 12, 13, 14"]),
        (error_of(lambda: validate_gln("8936901029013")), ["8936901029013", "3", "2"]),
        (error_of(lambda: validate_lot("LÔ-1")), ["LÔ-1", "'Ô'"]),
        (error_of(lambda: validate_lot("L" * 21)), ["21"]),
        (NotFound("x", field="gtin", reason="unknown_product", facts={"gtin": GTIN}), [GTIN]),
        (
            NotFound("x", field="lot", reason="unknown_lot", facts={"gtin": GTIN, "lot": "NO-1"}),
            [GTIN, "NO-1"],
        ),
        (
            NotFound(
                "x",
                field="serial",
                reason="item_in_other_lot",
                facts={"serial": "SN9", "lot": "A", "recorded": "B"},
            ),
            ["SN9", "lô A", "lô B"],
        ),
    ],
    ids=lambda value: getattr(value, "reason", None) or "values",
)
def test_every_reason_a_shopper_can_meet_is_worded_in_vietnamese_with_its_values(
    error: TraceabilityError, values: list[str]
) -> None:
    vi = problem_detail(error, 400, "vi")
    assert not ENGLISH_WORDS.search(vi), vi
    for value in values:
        assert value in vi, (value, vi)
    assert problem_detail(error, 400, "en") != vi


def test_an_error_of_no_known_reason_falls_back_to_its_field_then_its_status() -> None:
    uri = InvalidInput("Digital Link path has no /01/{gtin} segment", field="uri")
    assert problem_detail(uri, 400, "vi") == FIELD_DETAILS["vi"]["uri"]
    assert problem_detail(uri, 400, "en") == "Digital Link path has no /01/{gtin} segment"
    odd = NotFound("something else went missing", field="weird")
    assert problem_detail(odd, 404, "vi") == "Không tìm thấy sản phẩm hoặc lô hàng này trên cổng."
    assert problem_detail(odd, 404, "en") == "Something else went missing"
    # A reason whose facts are missing is worded by its field rather than failing.
    short = InvalidInput("lot too long", field="lot", reason="text_length")
    assert problem_detail(short, 400, "vi") == FIELD_DETAILS["vi"]["lot"]
    assert (
        rate_limited_detail(30, "vi")
        == "Thiết bị của bạn đã gửi quá nhiều yêu cầu. Hãy thử lại sau 30 giây."
    )


@pytest.mark.parametrize(
    ("unit", "quantity", "vi", "en"),
    [
        ("H87", 1900, "sản phẩm", "items"),
        ("KGM", 9600, "kg", "kg"),
        ("TNE", 2, "tấn", "tonnes"),
        ("LTR", 1, "lít", "litre"),
        ("XBO", 24, "chai", "bottles"),
        ("bottle", 24, "chai", "bottles"),
        ("Bottles", 1, "chai", "bottle"),
        ("bag", 10, "túi", "bags"),
        ("sacks", 10, "bao", "sacks"),
        ("box", 3, "hộp", "boxes"),
        ("carton", 3, "thùng các-tông", "cartons"),
        ("chai", 6, "chai", "bottles"),
        ("  kg ", 5, "kg", "kg"),
        ("hogshead", 2, "hogshead", "hogshead"),  # nobody listed it: shown as typed
    ],
)
def test_units_are_named_in_the_pages_language(
    renderer: PageRenderer, unit: str, quantity: float, vi: str, en: str
) -> None:
    assert unit_name(unit, "vi", quantity) == vi
    assert unit_name(unit, "en", quantity) == en
    view = lot_page(lot=lot_info(quantity=quantity, unit=unit))
    assert f"{format_number(quantity, 'vi')} {vi}" in Page(render(renderer, view)).text
    assert f"{format_number(quantity, 'en')} {en}" in Page(render(renderer, view, "en")).text


def test_every_unit_word_names_a_unit_with_a_vietnamese_name() -> None:
    assert set(WORDS.values()) <= UNITS.keys()
    for code, name in UNITS.items():
        assert name.vi and name.en and name.en_plural, code
        assert unit_name(code.lower(), "vi") == name.vi


def test_category_and_description_follow_the_pages_language(renderer: PageRenderer) -> None:
    vi = Page(render(renderer, lot_page()))
    assert "Lương thực – gạo" in vi.text and "Staple food" not in vi.text
    assert "thơm mùi lá dứa" in vi.text and "pandan" not in vi.text
    en = Page(render(renderer, lot_page(), "en"))
    assert "Staple food – rice" in en.text and "Lương thực – gạo" not in en.text
    assert "smells of pandan leaves" in en.text and "lá dứa" not in en.text


def test_a_text_given_in_one_language_only_is_shown_marked_with_its_language(
    renderer: PageRenderer,
) -> None:
    only_vi = product_info(category_en=None, description_en=None)
    en_html = render(renderer, lot_page(product=only_vi), "en")
    assert '<dd lang="vi">Lương thực – gạo</dd>' in en_html
    assert '<p class="description" lang="vi">' in en_html
    only_en = product_info(category=None, description=None)
    vi_html = render(renderer, lot_page(product=only_en))
    assert '<dd lang="en">Staple food – rice</dd>' in vi_html
    assert '<p class="description" lang="en">' in vi_html
    both = render(renderer, lot_page())
    assert "<dd>Lương thực – gạo</dd>" in both and 'class="description">' in both


PADDY_GTIN = "08936901010010"
PADDY = ("Lúa tươi ST25 vụ Hè Thu", "Fresh ST25 paddy, summer–autumn crop")


def paddy(lot: str) -> LotRef:
    return LotRef(PADDY_GTIN, lot, f"/01/{PADDY_GTIN}/10/{lot}", *PADDY)


def test_an_upstream_step_of_several_lots_is_shown_once_naming_each_lot(
    renderer: PageRenderer,
) -> None:
    both = (paddy("HT26-MX-T01"), paddy("HT26-MX-T02"))
    view = lot_page(
        stages=(
            stage("commissioning", "2026-08-03 06:30", upstream=both[:1]),
            stage("commissioning", "2026-08-04 06:45", upstream=both[1:]),
            stage("shipping", "2026-08-05 08:00", upstream=both),
        )
    )
    page = Page(render(renderer, view))
    steps = [text for tag, text in page.headings if tag == "h3"]
    assert steps == ["Sản xuất, tạo lô hàng", "Sản xuất, tạo lô hàng", "Xuất hàng, vận chuyển"]
    text = read_as_text(page)
    assert "Nguyên liệu: Lúa tươi ST25 vụ Hè Thu — lô HT26-MX-T01 " in text
    assert "Nguyên liệu: Lúa tươi ST25 vụ Hè Thu — các lô HT26-MX-T01, HT26-MX-T02" in text
    assert text.count("Lúa tươi ST25 vụ Hè Thu") == 3  # once per step, never once per lot
    for ref in both:
        assert page.hrefs().count(ref.path) == 2
    en = read_as_text(Page(render(renderer, view, "en")))
    assert f"Ingredient: {PADDY[1]} — lots HT26-MX-T01, HT26-MX-T02" in en
    assert PADDY[0] not in en


def read_as_text(page: Page) -> str:
    """The page's text as a reader sees it: no space before a comma where a link ends."""
    return re.sub(r" ([,;)])", r"\1", page.text)


def test_a_verification_problem_is_worded_in_the_pages_language(renderer: PageRenderer) -> None:
    check = verification(
        intact=False, problem="event 3: stored hash does not match", problem_kind="hash_mismatch"
    )
    vi = Page(render(renderer, lot_page(verification=check)))
    assert VERIFICATION_PROBLEMS["hash_mismatch"] in vi.text
    assert "stored hash" not in vi.text
    en = Page(render(renderer, lot_page(verification=check), "en"))
    assert "event 3: stored hash does not match" in en.text
