"""Accessibility (issue 20, part 7): axe-core, from npm, run in Chromium on every main page
for every demo role, at 1280×800 and at 390×844: no serious or critical violation. Also
the skip link (Tab once from the top, then Enter: focus on #content) and a visible focus.

One demo server (as tests/test_demo_browser.py starts it: `nrs init`, `nrs demo`, `nrs serve`
under faketime on the 15th of a month), one browser, one context per role and viewport.
The pages keep their Content-Security-Policy: axe is evaluated through the DevTools protocol
(page.evaluate), which the policy does not govern, not added as an inline script tag."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import os
import re
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser_helpers import axe, settle
from tests.test_demo_browser import DEMO_AT

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REPORTS = Path(os.environ.get("NRS_SCREENSHOTS", Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"))


def _month() -> str:
    from nrs.lib import periods

    return periods.Period.containing(periods.Kind.MONTH, DEMO_AT.date()).sdmx


def _last_month() -> str:
    from nrs.lib import periods

    return periods.Period.containing(periods.Kind.MONTH, DEMO_AT.date()).previous().sdmx


# Each role's main pages, after its landing page ("/" redirects there). "{month}" is the
# server's month (Hà Nội's report left empty by the demo), "{last}" the month before.
# Registry and account pages are the same for everyone: they are walked by the reporter.
ROLES: dict[str, list[str]] = {
    "hanoi.baocao": [  # reporter
        "/", "@menu", "/report/", "/report/PROV_KTXH_M/01/{month}/",
        "/registry/", "/registry/units/", "/registry/units/?on=2025-06-30",
        "/registry/indicators/", "/registry/indicators/RETAIL_SALES/",
        "/registry/regimes/", "/registry/regimes/PROV_KTXH_M/", "@unit",
        "@refused",  # the form after a refused save: the errors in the grid and above it
        "/accounts/password/", "/accounts/password/done/", "/accounts/2fa/",
        "/accounts/2fa/backup-codes/", "@english",
        "/audit/",  # a reporter may not read the audit log: the 403 page
        "/no-such-page/",  # the 404 page
    ],
    "hanoi.duyet": [  # approver
        "/", "/report/?view=inbox", "/report/", "/report/PROV_KTXH_M/01/{last}/",
    ],
    "dieuphoi": [  # coordinator
        "/", "/report/compliance/", "/report/", "/report/PROV_KTXH_M/01/{last}/",
        "/briefings/", "/dashboard/", "/admin/", "/admin/registry/indicator/",
    ],
    "lanhdao": [  # leader
        "/", "@menu", "/dashboard/", "/dashboard/indicator/RETAIL_SALES/", "/dashboard/province/01/",
        "/dashboard/screen/", "/briefings/", "@briefing",
    ],
    "kiemtoan": [  # auditor
        "/", "/audit/", "/audit/1/", "/dashboard/",
    ],
    "ninhbinh.xem": [  # viewer
        "/", "/dashboard/province/37/",
    ],
    # Another reporter walks two-factor sign-in: enrolment on the first walk (a wrong code,
    # the right one, the backup codes), verification on the second; then the "on" page.
    "btc.baocao": ["@two-factor"],
}
ANONYMOUS = ["/accounts/login/", "@bad-password"]


def _sign_in(page: Any, base: str, username: str) -> None:
    from nrs.web.demo import DEMO_PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(re.escape(base) + r"/(report|dashboard|registry)/"))


def _axe(page: Any, label: str) -> list[str]:
    """axe-core on the page as it stands: one line per serious or critical violation
    (page, rule, impact, each target)."""
    return [f"{label} | {v['id']} ({v['impact']}: {v['help']}) | " + f"{n['target']} :: {n['summary']}"[:240]
            for v in axe(page) for n in v["nodes"]]


def _visit(page: Any, base: str, path: str, label: str) -> list[str]:
    page.goto(f"{base}{path}")
    settle(page)
    return _axe(page, f"{label} {path} -> {page.url.removeprefix(base)}")


SECRETS: dict[str, str] = {}  # the authenticator's key, from the enrolment page to the next walk


def _totp(secret: str, at: float) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), written here rather than taken from the code under test."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def _two_factor(page: Any, base: str, label: str) -> list[str]:
    found: list[str] = []
    answer = page.goto(f"{base}/accounts/2fa/")
    settle(page)
    enrol = page.locator("#totp-secret").count() == 1
    state = "enrol" if enrol else "verify"
    if enrol:
        SECRETS["btc.baocao"] = page.inner_text("#totp-secret").strip()
    found += _axe(page, f"{label} two-factor {state}")
    secret = SECRETS.get("btc.baocao")
    if secret is None:  # enrolled on a server reused from an earlier run (NRS_DEMO_BASE): key unknown
        page.fill("#id_code", "000000")
        page.click("#verify-code")
        page.wait_for_selector("p.error[role=alert]")
        return found + _axe(page, f"{label} two-factor {state}, wrong code")
    page.fill("#id_code", "000000" if _totp(secret, _server_time(answer)) != "000000" else "111111")
    page.click("#confirm-totp" if enrol else "#verify-code")
    page.wait_for_selector("p.error[role=alert]")
    found += _axe(page, f"{label} two-factor {state}, wrong code")
    # django-otp throttles a device after a failure (1 s, doubling): the right code, retried.
    for wait in (1.2, 2, 4, 8, 16):
        page.wait_for_timeout(wait * 1000)
        answer = page.goto(f"{base}/accounts/2fa/")
        page.fill("#id_code", _totp(SECRETS["btc.baocao"], _server_time(answer)))
        page.click("#confirm-totp" if enrol else "#verify-code")
        page.wait_for_load_state("load")
        if page.locator("p.error[role=alert]").count() == 0:
            break
    if enrol:  # the backup codes, shown once
        assert "/accounts/2fa/backup-codes/" in page.url, page.url
        settle(page)
        found += _axe(page, f"{label} backup codes {page.url.removeprefix(base)}")
    page.goto(f"{base}/accounts/2fa/")
    settle(page)
    assert page.locator("#totp-secret, #verify-code").count() == 0, page.url
    found += _axe(page, f"{label} two-factor on")
    return found


def _server_time(answer: Any) -> float:
    """The server's clock (it runs under faketime), from its Date header."""
    return email.utils.parsedate_to_datetime(answer.headers["date"]).timestamp()


def _open_menu(page: Any) -> None:
    """The menu collapses behind a button on a phone: open it, as a person would."""
    toggle = page.locator(".menu-toggle")
    if toggle.count() and toggle.first.is_visible() and toggle.first.get_attribute("aria-expanded") != "true":
        toggle.first.click()


def _special(page: Any, base: str, step: str, label: str) -> list[str]:
    if step == "@unit":  # a unit's page, reached from the tree as a person would
        page.goto(f"{base}/registry/units/")
        page.click("li[data-code=CP] > button.toggle")
        page.wait_for_selector("li[data-code='01'] > a")
        page.click("li[data-code='01'] > a")
        settle(page)
        return _axe(page, f"{label} unit page {page.url.removeprefix(base)}")
    if step == "@refused":  # a value that is not a number, saved: refused with its message
        page.goto(f"{base}/report/PROV_KTXH_M/01/{_month()}/")
        page.fill("input[name='v-EXPORT_TOTAL']", "abc")
        page.click("#save")
        page.wait_for_selector("[data-issue='value_invalid']")
        settle(page)
        return _axe(page, f"{label} refused save {page.url.removeprefix(base)}")
    if step == "@bad-password":  # the sign-in page with its error
        from nrs.web.demo import DEMO_PASSWORD

        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "hanoi.baocao")
        page.fill("#id_password", DEMO_PASSWORD + "-wrong")
        page.click("#sign-in")
        settle(page)
        return _axe(page, f"{label} refused sign-in {page.url.removeprefix(base)}")
    if step == "@english":  # the same pages in English: the reporter's list
        page.goto(f"{base}/report/")
        _open_menu(page)
        page.click("button[data-lang=en]")
        page.wait_for_selector("html[lang=en]")
        settle(page)
        found = _axe(page, f"{label} English {page.url.removeprefix(base)}")
        _open_menu(page)
        page.click("button[data-lang=vi]")
        page.wait_for_selector("html[lang=vi]")
        return found
    if step == "@menu":  # on a phone, the landing page with its menu opened
        page.goto(f"{base}/")
        settle(page)
        _open_menu(page)
        return _axe(page, f"{label} menu open {page.url.removeprefix(base)}")
    if step == "@two-factor":
        return _two_factor(page, base, label)
    if step == "@briefing":  # a briefing, generated by the worker, then its page
        page.goto(f"{base}/briefings/")
        page.select_option("select[name=kind]", "brief")
        page.select_option("select[name=period]", index=0)
        page.click("#generate")
        page.wait_for_selector("#briefing-status[data-status=done]", timeout=90_000)
        settle(page)
        return _axe(page, f"{label} briefing {page.url.removeprefix(base)}")
    raise AssertionError(step)


def _walk(browser: Any, base: str, viewport: dict[str, int], size: str) -> tuple[list[str], int]:
    found: list[str] = []
    times: list[str] = []
    pages = 0
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    for step in ANONYMOUS:
        if step.startswith("@"):
            found += _special(page, base, step, f"[{size}] anonymous")
        else:
            found += _visit(page, base, step, f"[{size}] anonymous")
        pages += 1
    context.close()
    month, last = _month(), _last_month()
    for username, steps in ROLES.items():
        # The briefing is generated once, on the desktop; the menu has its button on a phone.
        skip = "@briefing" if size == "390x844" else "@menu"
        steps = [s for s in steps if s != skip]
        context = browser.new_context(viewport=viewport, locale="vi-VN")
        page = context.new_page()
        _sign_in(page, base, username)
        for step in steps:
            label = f"[{size}] {username}"
            started = time.monotonic()
            if step.startswith("@"):
                found += _special(page, base, step, label)
            else:
                found += _visit(page, base, step.format(month=month, last=last), label)
            times.append(f"{time.monotonic() - started:6.2f} s  {label} {step}")
            pages += 1
        context.close()
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"axe-{size}-times.txt").write_text("\n".join(times) + "\n", encoding="utf-8")
    return found, pages


@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "1280x800"), (PHONE, "390x844")],
                         ids=["desktop", "phone"])
def test_axe_finds_no_serious_or_critical_violation(served_demo: str, browser: Any,
                                                     viewport: dict[str, int], size: str) -> None:
    found, pages = _walk(browser, served_demo, viewport, size)
    REPORTS.mkdir(parents=True, exist_ok=True)  # kept as a test artefact, like the screenshots
    (REPORTS / f"axe-{size}.txt").write_text("\n".join(found) + "\n", encoding="utf-8")
    assert pages >= 40
    assert found == [], f"{len(found)} serious or critical violations:\n" + "\n".join(found)


def test_skip_link_moves_focus_to_the_content_and_focus_is_visible(served_demo: str, browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    _sign_in(page, served_demo, "hanoi.baocao")
    page.goto(f"{served_demo}/registry/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert focused == ["skip-link", "#content"]
    # Focused by the keyboard, the link shows (on screen) with an outline.
    style = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                          " const r = document.activeElement.getBoundingClientRect();"
                          " return [s.outlineStyle, parseFloat(s.outlineWidth), r.top >= 0 && r.bottom > 0] }")
    assert style[0] != "none" and style[1] >= 2 and style[2], style
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'content'")
    # The next Tab reaches the first link inside the content, not the menu.
    page.keyboard.press("Tab")
    inside = page.evaluate("() => document.getElementById('content').contains(document.activeElement)")
    assert inside
    # Every focusable kind shows its focus: a link, a button and an input, reached by Tab.
    page.goto(f"{served_demo}/registry/indicators/")
    seen: set[str] = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        info = page.evaluate("() => { const e = document.activeElement; const s = getComputedStyle(e);"
                             " return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth),"
                             " e.matches(':focus-visible')] }")
        tag, outline, width, visible = info
        if tag == "BODY":
            continue
        assert visible and outline != "none" and width >= 2, info
        seen.add(tag)
    assert {"A", "INPUT"} <= seen, seen
    context.close()


def test_axe_reports_what_it_finds(served_demo: str, browser: Any) -> None:
    """The check is not vacuous: axe, loaded the same way under the same policy, reports an
    unlabelled input and a grey too light to read, added to a real page."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{served_demo}/accounts/login/")
    page.evaluate("() => { const c = document.getElementById('content');"
                  " c.insertAdjacentHTML('beforeend', '<input id=\"probe\"><p id=\"faint\">Chữ quá nhạt để đọc</p>');"
                  " document.getElementById('faint').style.color = '#bbb'; }")
    found = _axe(page, "probe")
    assert any("| label (critical" in line and "#probe" in line for line in found), found
    assert any("| color-contrast (serious" in line and "#faint" in line for line in found), found
    context.close()
