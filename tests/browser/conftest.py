"""Fixtures for tests in a real headless Chromium, driven by Playwright.

Chromium is Debian's package (/usr/bin/chromium, or ELT_CHROMIUM); Playwright is only the driver and
never downloads a browser. Without either, the tests skip with the reason, except in CI (CI=true),
where they fail: CI installs the browser with `scripts/browser-deps`; playwright comes with the README's
test command (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("ELT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: needs headless Chromium (scripts/browser-deps) and playwright")


def _missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"Chromium is not installed at {CHROMIUM} (scripts/browser-deps installs it)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (the README's test command has it: pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for a test module. Not for the whole session: playwright's thread would
    outlive the module, and tests that need a single-threaded process (forked compile workers) skip."""
    reason = _missing()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class PageProblems(list):
    """Console errors and warnings, uncaught exceptions and non-file requests seen by a page."""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh 1400x900 page; `page.problems` collects what a clean page must not produce."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    problems = PageProblems()
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
           if msg.type in ("error", "warning") else None)
    tab.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    tab.on("request", lambda request: problems.append(f"network request: {request.url}")
           if not request.url.startswith(("file:", "data:")) else None)
    tab.problems = problems
    try:
        yield tab
    finally:
        context.close()
