"""The portal's home page, its lookup box, and the API documentation served without internet.

What a visitor relies on: ``/`` says what the portal is in Vietnamese (English when asked),
the lookup box leads to the page a product's QR code opens, a mistyped code is answered
with the precise mistake in the page's language (never a 500, never another site), and
``/docs`` and ``/redoc`` load nothing from outside the portal.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.pages.home import HOME_CONTENT_SECURITY_POLICY
from tests.databases import database_url  # noqa: F401 (one database: see tests.databases)
from tests.factories.events import append
from tests.factories.lots import make_lots
from tests.factories.organizations import make_org
from traceability.chain.record import LotKey
from traceability.portal import Portal

GTIN = "08930000000019"  # valid check digit, under Vietnam's GS1 prefix
HTML = {"accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
ENGLISH = HTML | {"accept-language": "en-GB,en;q=0.9"}
# Every URL an HTML page names in an attribute.
URL_ATTRIBUTE = re.compile(r"""(?:src|href|action|url)\s*[=:]\s*["']([^"']*)["']""")


@pytest.fixture
async def lot(state: Portal) -> LotKey:
    org = await make_org(state)
    [made] = await make_lots(state, org)
    await append(state, org, [made], count=1)
    return made


def problem_text(page: str) -> str:
    found = re.search(r'role="alert".*?</div>', page, re.DOTALL)
    assert found, "the page shows no error"
    return re.sub(r"<[^>]+>", "", found.group(0))


# --- the home page ------------------------------------------------------------------------------


async def test_the_home_page_is_in_vietnamese_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == "vi"
    page = response.text
    assert '<html lang="vi">' in page
    assert "Tra cứu nguồn gốc sản phẩm" in page
    assert 'action="/lookup"' in page
    assert 'href="/?lang=en"' in page  # the language switch


@pytest.mark.parametrize(
    ("url", "headers"),
    [pytest.param("/?lang=en", HTML, id="query"), pytest.param("/", ENGLISH, id="accept-language")],
)
async def test_the_home_page_is_in_english_when_asked(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> None:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Check where a product comes from" in response.text
    assert 'href="/?lang=vi"' in response.text
    assert response.headers["vary"] == "Accept-Language"


async def test_the_home_page_links_businesses_and_inspectors(client: httpx.AsyncClient) -> None:
    page = (await client.get("/?lang=en")).text
    for path in ("/docs", "/redoc", "/openapi.json", "/log/checkpoint", "/log/key"):
        assert f'href="{path}"' in page, path
        assert (await client.get(path)).status_code == 200, path
    assert "/api/v1/audit" in page


async def test_the_home_page_runs_no_script_and_sends_forms_only_here(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    policy = response.headers["content-security-policy"]
    assert policy == HOME_CONTENT_SECURITY_POLICY
    assert "form-action 'self'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "<script" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_head_of_the_home_page_has_its_headers_and_no_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.head("/")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == HOME_CONTENT_SECURITY_POLICY


# --- the lookup ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "location"),
    [
        pytest.param(f"gtin={GTIN}&lot=LO-1", f"/01/{GTIN}/10/LO-1", id="gtin-and-lot"),
        pytest.param(f"gtin={GTIN[1:]}&lot=LO-1", f"/01/{GTIN}/10/LO-1", id="gtin13"),
        pytest.param(f"gtin={GTIN}&lot=", f"/01/{GTIN}", id="product"),
        pytest.param(f"gtin={GTIN}&lot=A%2FB", f"/01/{GTIN}/10/A%2FB", id="lot-with-slash"),
        pytest.param(f"q=(01){GTIN}(10)LO-1", f"/01/{GTIN}/10/LO-1", id="element-string"),
        pytest.param(
            f"q=https%3A%2F%2Fid.gs1.org%2F01%2F{GTIN}%2F10%2FLO-1",
            f"/01/{GTIN}/10/LO-1",
            id="digital-link",
        ),
        pytest.param(f"gtin={GTIN}&lot=LO-1&lang=en", f"/01/{GTIN}/10/LO-1?lang=en", id="en"),
    ],
)
async def test_a_lookup_redirects_to_the_canonical_digital_link_path(
    client: httpx.AsyncClient, query: str, location: str
) -> None:
    response = await client.get(f"/lookup?{query}")
    assert response.status_code == 303
    assert response.headers["location"] == location


async def test_a_lookup_leads_to_the_lot_page(client: httpx.AsyncClient, lot: LotKey) -> None:
    response = await client.get(
        "/lookup", params={"gtin": lot.gtin, "lot": lot.lot}, headers=HTML, follow_redirects=True
    )
    assert response.status_code == 200
    assert response.url.path == f"/01/{lot.gtin}/10/{lot.lot}"
    assert lot.lot in response.text


@pytest.mark.parametrize(
    "pasted",
    [
        f"https://evil.example/01/{GTIN}/10/LO-1",
        f"//evil.example/01/{GTIN}/10/LO-1",
        f"https://evil.example/login/01/{GTIN}/10/LO-1?next=https://evil.example",
        f"https://a@evil.example/01/{GTIN}/10/LO-1#https://evil.example",
        f"/\\evil.example/01/{GTIN}/10/LO-1",
    ],
)
async def test_a_pasted_foreign_url_is_no_open_redirect(
    client: httpx.AsyncClient, pasted: str
) -> None:
    response = await client.get("/lookup", params={"q": pasted})
    location = response.headers.get("location", "")
    assert response.status_code in (303, 400)
    assert "evil" not in location
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc
    if response.status_code == 303:
        assert location == f"/01/{GTIN}/10/LO-1"


@pytest.mark.parametrize(
    ("lang", "headline", "words"),
    [
        pytest.param("vi", "Không tra cứu được", "đúng ra phải là 9", id="vi"),
        pytest.param("en", "cannot be looked up", "should end in 9", id="en"),
    ],
)
async def test_a_bad_check_digit_is_named_in_the_pages_language(
    client: httpx.AsyncClient, lang: str, headline: str, words: str
) -> None:
    response = await client.get(
        "/lookup", params={"gtin": "08930000000018", "lot": "LO-1", "lang": lang}, headers=HTML
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == HOME_CONTENT_SECURITY_POLICY
    assert f'<html lang="{lang}">' in response.text
    shown = problem_text(response.text)
    assert headline in shown and "08930000000018" in shown and words in shown
    # What was typed stays in the form, marked, so it can be corrected.
    assert 'value="08930000000018"' in response.text
    assert 'aria-invalid="true"' in response.text


async def test_a_vietnamese_page_shows_no_english_validator_words(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/lookup", params={"gtin": GTIN, "lot": "Lô 1", "lang": "vi"}, headers=HTML
    )
    assert response.status_code == 400
    shown = problem_text(response.text)
    assert "Số lô không hợp lệ" in shown
    assert not any(word in shown.split() for word in ("the", "must", "invalid", "characters"))


@pytest.mark.parametrize(
    ("params", "words"),
    [
        pytest.param({}, "Enter a product code", id="empty"),
        pytest.param({"gtin": "", "lot": "LO-1"}, "with the lot number", id="lot-only"),
        pytest.param({"gtin": "0893abc"}, "may only hold the digits", id="letters"),
        pytest.param({"gtin": "12345"}, "has 5 digits", id="length"),
        pytest.param({"gtin": GTIN, "lot": "Lô 1"}, "lot number is not valid", id="lot"),
        pytest.param({"q": "xin chào"}, "could not be read", id="unreadable"),
        pytest.param({"q": "(10)LO-1"}, "holds no product code", id="no-gtin"),
        pytest.param({"q": "https://x.vn/01/08930000000011"}, "should end in 9", id="uri"),
        pytest.param({"q": "javascript:alert(1)//01/" + GTIN}, "could not be read", id="js"),
    ],
)
async def test_bad_input_shows_the_home_page_with_its_mistake(
    client: httpx.AsyncClient, params: dict[str, str], words: str
) -> None:
    response = await client.get("/lookup", params=params | {"lang": "en"}, headers=HTML)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert words in problem_text(response.text)


async def test_a_json_client_gets_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/lookup", params={"gtin": "08930000000018"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == "gtin"
    assert "should end in 9" in problem["detail"]


async def test_typed_text_is_shown_escaped(client: httpx.AsyncClient) -> None:
    typed = '"><script>alert(1)</script>'
    response = await client.get("/lookup", params={"q": typed}, headers=HTML)
    assert response.status_code == 400
    assert "<script>" not in response.text
    assert "&#34;&gt;&lt;script&gt;" in response.text


# --- the API documentation ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_api_documentation_names_only_its_own_files(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    urls = URL_ATTRIBUTE.findall(response.text)
    assert urls, "the page names no file"
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
    assert "http://" not in response.text and "https://" not in response.text
    policy = response.headers["content-security-policy"]
    assert "http" not in policy and "*" not in policy
    assert "default-src 'none'" in policy


async def test_the_swagger_ui_start_up_script_is_allowed_by_its_hash(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/docs")
    policy = response.headers["content-security-policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'sha256-" in script_src


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "text/javascript"),
        ("favicon.png", "image/png"),
    ],
)
async def test_the_documentation_assets_are_served_by_the_portal(
    client: httpx.AsyncClient, asset: str, content_type: str
) -> None:
    page = (await client.get("/docs")).text + (await client.get("/redoc")).text
    assert f"/docs/assets/{asset}" in page
    response = await client.get(f"/docs/assets/{asset}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) > 500


@pytest.mark.parametrize("path", ["/docs/assets/nothing.js", "/docs/assets/../../pyproject.toml"])
async def test_nothing_else_is_served_from_the_assets(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404
