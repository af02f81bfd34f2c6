"""The home page and the API documentation in a real headless Chromium with no internet.

The portal runs as ``traceability serve`` on 127.0.0.1; Chromium resolves no other host
(``--host-resolver-rules``), so anything a page tried to load from a CDN would fail. A page
that does pull Swagger UI from its CDN stays blank under the same rules, which shows the
block is real. Screenshots are kept under ``test-artifacts/``. Without /usr/bin/chromium
the tests skip, except in CI (CI set), where they fail.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.openapi.docs import get_swagger_ui_html
from PIL import Image

from tests.servers import serving
from tests.system.chromium import ARTIFACTS, NO_NETWORK, headless, require_chromium

CSP_REFUSAL = "Content Security Policy"
DESKTOP = (1280, 900)
PHONE = (390, 844)
TOP_BAR = (11, 90, 54)  # --brand in page.css: the top bar's colour
# Operations Swagger UI lists once it has read /openapi.json and drawn the page.
OPERATIONS = ("/healthz", "/log/checkpoint", "/api/v1/epcis/capture", "/01/{identifier}")


@pytest.fixture
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `traceability serve` for the module: nothing here writes, and each start costs."""
    data = tmp_path_factory.mktemp("offline") / "var"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("TRACE_DATABASE_URL", "TRACE_MASTER_KEY", "TRACE_LOG_SIGNING_KEY"):
            patch.delenv(name, raising=False)
        with serving({"TRACE_DATA_DIR": str(data)}) as url:
            yield url


def offline(
    chromium: Path, profile: Path, size: tuple[int, int], *args: str
) -> subprocess.CompletedProcess[str]:
    """Chromium with every host but 127.0.0.1 unresolvable, scripts given time to run."""
    result = headless(
        chromium,
        profile,
        size,
        "--enable-logging=stderr",
        "--v=0",
        NO_NETWORK,
        # Virtual time runs the page's scripts and fetches to the end before the dump.
        "--virtual-time-budget=10000",
        *args,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def colours(image: Image.Image) -> int:
    found = image.getcolors(maxcolors=image.size[0] * image.size[1])
    assert found is not None
    return len(found)


def screenshot(chromium: Path, url: str, name: str, profile: Path, size: tuple[int, int]) -> str:
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    result = offline(chromium, profile, size, f"--screenshot={path}", url)
    assert path.is_file(), result.stderr[-3000:]
    with Image.open(path) as image:
        shot = image.convert("RGB")
    assert shot.size == size
    assert colours(shot) > 64, f"{name} is (nearly) blank"
    return result.stderr


def test_swagger_ui_renders_the_api_with_no_internet(
    chromium: Path, server: str, tmp_path: Path
) -> None:
    result = offline(chromium, tmp_path / "dom", DESKTOP, "--dump-dom", f"{server}/docs")
    dom = result.stdout
    for path in OPERATIONS:
        assert f'data-path="{path}"' in dom, path
    assert "Traceability portal" in dom
    assert CSP_REFUSAL not in result.stderr

    log = screenshot(chromium, f"{server}/docs", "docs-offline.png", tmp_path / "shot", DESKTOP)
    assert CSP_REFUSAL not in log


def test_redoc_renders_the_api_with_no_internet(
    chromium: Path, server: str, tmp_path: Path
) -> None:
    result = offline(chromium, tmp_path / "dom", DESKTOP, "--dump-dom", f"{server}/redoc")
    assert "/api/v1/epcis/capture" in result.stdout
    assert "Traceability portal" in result.stdout


def test_a_page_that_pulls_swagger_ui_from_its_cdn_stays_blank_here(
    chromium: Path, server: str, tmp_path: Path
) -> None:
    """The control: the CDN page FastAPI makes by default shows nothing under these rules."""
    page = tmp_path / "cdn-docs.html"
    page.write_text(
        get_swagger_ui_html(openapi_url=f"{server}/openapi.json", title="CDN").body.decode(),
        encoding="utf-8",
    )
    result = offline(chromium, tmp_path / "dom", DESKTOP, "--dump-dom", page.as_uri())
    assert 'data-path="/healthz"' not in result.stdout


def test_the_home_page_renders_styled_on_a_phone(
    chromium: Path, server: str, tmp_path: Path
) -> None:
    result = offline(chromium, tmp_path / "dom", PHONE, "--dump-dom", f"{server}/")
    assert '<html lang="vi">' in result.stdout
    assert "Tra cứu nguồn gốc sản phẩm" in result.stdout
    assert 'action="/lookup"' in result.stdout
    assert CSP_REFUSAL not in result.stderr

    url = f"{server}/lookup?gtin=08930000000018&lot=LO-1&lang=en"
    log = screenshot(chromium, url, "home-lookup-error-en.png", tmp_path / "shot", PHONE)
    assert CSP_REFUSAL not in log
    with Image.open(ARTIFACTS / "home-lookup-error-en.png") as image:
        assert image.convert("RGB").getpixel((3, 3)) == TOP_BAR, "the stylesheets did not apply"
