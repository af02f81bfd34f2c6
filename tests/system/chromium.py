"""Debian's headless Chromium, as every browser test drives it.

Without /usr/bin/chromium (or $CHROMIUM) the tests that need it skip on a developer's
machine and fail in CI (CI set): a browser check that silently did not run proves nothing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pytest

CHROMIUM: Final = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
IN_CI: Final = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARTIFACTS: Final = Path(__file__).resolve().parents[2] / "test-artifacts"
# Every host but the portal's loopback address is unknown: a page that reached for a CDN fails.
NO_NETWORK: Final = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def require_chromium() -> Path:
    """Chromium's path; without it a skip on a developer's machine and a failure in CI."""
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is not installed: install chromium (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"CI requires a real browser: {message}")
        pytest.skip(message)
    ARTIFACTS.mkdir(exist_ok=True)
    return CHROMIUM


def headless(
    chromium: Path,
    profile: Path,
    size: tuple[int, int],
    *args: str,
    accept_language: str = "vi-VN,vi",
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """One headless run in a window of ``size`` CSS pixels with its own profile; ``args``
    say what to do (``--screenshot=…``, ``--dump-dom``) and end with the URL. The default
    language is a Vietnamese shopper's phone (headless Chromium would otherwise ask for
    English)."""
    return subprocess.run(
        [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--force-device-scale-factor=1",
            f"--window-size={size[0]},{size[1]}",
            f"--user-data-dir={profile}",
            f"--accept-lang={accept_language}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )
