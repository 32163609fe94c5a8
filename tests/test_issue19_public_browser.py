"""The public explorer in Chromium (issue 19, part 3): an anonymous visitor sees the released
figures with the map drawn (both archipelagos labelled), on a desktop (1280×800) and a phone
(390×844) with no sideways scrolling; screenshots go to NRS_SHOTS_DIR when it is set."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.conftest import CHROMIUM, chromium_available
from tests.test_issue19_public import (
    AUG_01,
    CODE,
    VN,
    figures,  # noqa: F401 (the fixture, used by name)
    forms,
)

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("NRS_SHOTS_DIR", "")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.usefixtures("figures")
def test_explorer_in_a_browser(live_server) -> None:  # type: ignore[no-untyped-def]
    # Playwright started here, after the data: its sync API runs an event loop in this thread,
    # where Django would refuse database calls (the live server answers from its own thread).
    from playwright.sync_api import sync_playwright

    if not chromium_available():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with (time_machine.travel(datetime(2026, 11, 16, 8, 0, tzinfo=VN), tick=True), sync_playwright() as playwright):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        for width, height, name in ((1280, 800, "desktop"), (390, 844, "phone")):
            context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500,
                                          locale="vi-VN")
            page = context.new_page()
            page.goto(f"{live_server.url}/public/")
            assert page.locator(f"[data-indicator='{CODE}']").count() == 1
            _shot(page, f"public-index-{name}")
            page.goto(f"{live_server.url}/public/{CODE}/?period=2026-08")
            page.wait_for_selector("#map[data-drawn='1']", timeout=60000)
            text = page.inner_text("body")
            assert any(form in text for form in forms(AUG_01))
            assert "Hoàng Sa" in page.inner_html("#map") and "Trường Sa" in page.inner_html("#map")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: {overflow}px sideways"
            _shot(page, f"public-indicator-{name}")
            page.goto(f"{live_server.url}/public/{CODE}/history/?unit=01&period=2026-08")
            _shot(page, f"public-history-{name}")
            context.close()
        browser.close()
