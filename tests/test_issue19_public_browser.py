"""The public explorer in Chromium (issue 19, part 3): an anonymous visitor sees the released
figures with the map drawn (both archipelagos labelled), on a desktop (1280×800) and a phone
(390×844) with no sideways scrolling; screenshots go to NRS_SHOTS_DIR when it is set.

Chromium's requests are answered by Django's test client (Playwright's request routing), in
the test's own transaction: pytest-django's live_server would flush the session's registry."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.db import connections
from django.test import Client

from nrs.exchange.public import scope
from tests.conftest import CHROMIUM, chromium_available
from tests.test_issue19_public import (
    AUG_01,
    CODE,
    VN,
    figures,  # noqa: F401 (the fixture, used by name)
    forms,
)

pytestmark = pytest.mark.django_db
SHOTS = os.environ.get("NRS_SHOTS_DIR", "")
BASE = "http://nrs.test"
TYPES = {".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml",
         ".png": "image/png", ".geojson": "application/json"}


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _answer(client: Client, connection: Any, route: Any) -> None:
    """A request of the page, answered by Django (static files from the finders) on the test's
    own database connection (Playwright calls back in another context, which would open another)."""
    connections["default"] = connection
    url = urlsplit(route.request.url)
    if url.path.startswith("/static/"):
        found = finders.find(url.path.removeprefix("/static/"))
        if found is None:
            route.fulfill(status=404, body="")
            return
        route.fulfill(status=200, body=Path(found).read_bytes(),
                      headers={"Content-Type": TYPES.get(Path(found).suffix, "application/octet-stream")})
        return
    response = client.get(url.path + (f"?{url.query}" if url.query else ""), HTTP_ACCEPT_LANGUAGE="vi")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    route.fulfill(status=response.status_code, body=body,
                  headers={k: v for k, v in response.items() if k.lower() != "content-length"})


@pytest.mark.usefixtures("figures")
def test_explorer_in_a_browser(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Playwright's sync API runs an event loop in this thread, where Django refuses database
    # calls unless told that this (single-threaded) use is safe.
    from playwright.sync_api import sync_playwright

    if not chromium_available():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The per-address rate (its own test in test_issue19_public.py) keeps its counts in a database
    # cache table that SQLite locks inside this test's transaction.
    monkeypatch.setattr(scope, "throttle", lambda request: None)
    client, connection = Client(), connections["default"]
    with (time_machine.travel(datetime(2026, 11, 16, 8, 0, tzinfo=VN), tick=True), sync_playwright() as playwright):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        for width, height, name in ((1280, 800, "desktop"), (390, 844, "phone")):
            context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500,
                                          locale="vi-VN")
            context.route(f"{BASE}/**", lambda route: _answer(client, connection, route))
            page = context.new_page()
            page.goto(f"{BASE}/public/")
            assert page.locator(f"[data-indicator='{CODE}']").count() == 1
            _shot(page, f"public-index-{name}")
            page.goto(f"{BASE}/public/{CODE}/?period=2026-08")
            page.wait_for_selector("#map[data-drawn='1']", timeout=60000)
            text = page.inner_text("body")
            assert any(form in text for form in forms(AUG_01))
            assert "Hoàng Sa" in page.inner_html("#map") and "Trường Sa" in page.inner_html("#map")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: {overflow}px sideways"
            _shot(page, f"public-indicator-{name}")
            page.goto(f"{BASE}/public/{CODE}/history/?unit=01&period=2026-08")
            _shot(page, f"public-history-{name}")
            context.close()
        browser.close()
