"""Headless Debian Chromium driven by Playwright (its Python package only; no browser download).

Why Playwright on the system Chromium: it uploads a file into the page and
waits for the words like a person would, and ``executable_path`` points it
at the Chromium that setup.sh installs from Debian, so nothing is fetched.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

#: the flags every run uses: no sandbox (root in CI), no GPU, nothing that phones home
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def why_no_browser() -> str | None:
    """None when the browser test can run; else the reason it is skipped."""
    if chromium_path() is None:
        return "Debian chromium is not installed (setup.sh installs it with apt-get where it can)"
    try:
        import playwright.sync_api  # noqa: F401  (only whether it imports)
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


def upload_and_screenshot(url: str, image: Path, screenshot: Path, expect: str, timeout_s: float = 180,
                          enhancer: str | None = None, ocr: str | None = None) -> str:
    """Open the page, choose ``image``, wait until ``expect`` is among the words, screenshot; returns the words."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="did-ocr-chromium-") as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(profile, executable_path=chromium_path(), headless=True,
                                                       args=CHROMIUM_FLAGS, viewport={"width": 1100, "height": 760})
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("document.getElementById('enhancer').options.length > 0")
            if enhancer:
                page.select_option("#enhancer", enhancer)
            if ocr:
                page.wait_for_function("document.getElementById('ocr').options.length > 1")
                page.select_option("#ocr", ocr)
            page.set_input_files("#file", str(image))
            page.wait_for_function(f"document.getElementById('words').innerText.includes({expect!r})",
                                   timeout=timeout_s * 1000)
            page.wait_for_function("document.getElementById('picture').complete")
            words = page.inner_text("#words")
            page.screenshot(path=str(screenshot), full_page=True)
            return words
        finally:
            browser.close()
