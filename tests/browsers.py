"""What the real-browser tests share: Debian's Chromium (nothing is downloaded), the folder their
screenshots go to, and one launched browser per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"


def require_chromium() -> None:
    """At a module's top: skip it without Chromium, or fail where a browser is required."""
    if CHROMIUM.exists():
        return
    if os.environ.get("SIPAS_REQUIRE_BROWSER"):
        raise RuntimeError(
            "Chromium is required (SIPAS_REQUIRE_BROWSER) but /usr/bin/chromium is missing"
        )
    pytest.skip("Chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Chromium under Playwright, headless, with the screenshot folder made."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()
