"""Debian's Chromium, headless, through Playwright (never `playwright install`), for the real-browser tests.

Without Chromium or the playwright package the tests that take ``browser_ready`` are skipped, except in CI
(CI set), where their absence fails. Screenshots go to $COURSE_ARTIFACTS, or the test's temporary folder.
"""
import contextlib
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _requirements():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return "chromium is not installed (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="module")
def browser_ready():
    missing = _requirements()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test, but {missing}")
        pytest.skip(missing)


def screenshot_path(tmp_path, name):
    folder = Path(os.environ.get("COURSE_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@contextlib.contextmanager
def chromium_page(tmp_path, width, height, screenshot):
    """A page in a fresh headless Chromium (throwaway profile, a ``width`` × ``height`` window); a full-page
    screenshot is written to ``screenshot`` when the block ends, whether it passed or failed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height})
        page = context.new_page()
        try:
            yield page
        finally:
            page.screenshot(path=str(screenshot), full_page=True)
            print(f"browser screenshot: {screenshot}")
            context.close()
