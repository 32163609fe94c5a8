"""Issue 20, "Done when": the approver's and the leader's days walked in a real Chromium from
their landing pages, in Vietnamese, at 1280×800 and at 390×844.

- Approver: lands on the inbox, which lists the reports Hà Nội's reporter sent; opens the
  text report from the inbox (served inline as a PDF), opens one report and approves it,
  returns another with a reason; the reporter's list then flags the returned one with it.
- Leader: lands on the overview, opens an indicator page from a card, picks an earlier day in
  the "as known on" picker, sees the freshness line say so, and follows the link back to
  today's figures.

On every page: no serious or critical axe-core violation, no sideways overflow at 390 px, and a
screenshot in artifacts/screenshots/walk-<role>-<size>-<step>.png. One real `nrs serve` (tests/
live.py) for the whole module, seeded through `nrs shell`: two approved months of history
(approved 30 days ago, so an earlier "known on" day has figures) and four submitted reports
with a PDF attached, sent by the reporter (the approver is another person: separation of duties)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser_helpers import axe_ids, settle
from tests.live import PASSWORD, LiveNode, copy_of_database
from tests.test_collection_api import PDF

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]

SHOTS = Path(os.environ.get("NRS_SCREENSHOTS", Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"))
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Months back from the server's month: each walk approves its first and returns its second.
WALK_MONTHS = {"desktop": (2, 1), "phone": (6, 5)}
HISTORY_MONTHS = (4, 3)  # approved 30 days ago

SEED = """
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from nrs.accounts import actions as accounts
from nrs.accounts.models import Role
from nrs.collection import actions, bulk
from nrs.lib import periods
from nrs.registry.models import OrgUnit, Regime
from nrs.web import demo_values

def unit(code):
    return OrgUnit.objects.current().get(code=code)

def user(name, role, code):
    person, _ = accounts.create_user(name, @PASSWORD@, full_name=name)
    accounts.grant_role(person, Role(role), unit(code))
    return person

service = user("walk.system", "system", "CP")
accounts.grant_role(service, Role.APPROVER, unit("CP"))
reporter = user("hn.reporter", "reporter", "01")
user("hn.approver", "approver", "01")
user("leader", "leader", "CP")
regime, hanoi = Regime.objects.get(code="PROV_KTXH_M"), unit("01")
indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
today = timezone.localdate()
month = periods.Period.containing(periods.Kind.MONTH, today)
then = timezone.now() - timedelta(days=30)
with transaction.atomic():
    result = bulk.import_reports(
        [bulk.Report(regime=regime, unit=hanoi, period=month.shift(-back),
                     rows=demo_values.values_for(indicators, "01", 1.0, month.shift(-back)),
                     submitted_at=then, approved_at=then, backfill=True) for back in @HISTORY@],
        actor=service, today=today)
    assert not result.issues, result.issues
for back in @WALKS@:
    period = month.shift(-back)
    saved = actions.check_and_save_values(regime, hanoi, period,
                                          demo_values.values_for(indicators, "01", 1.0, period),
                                          actor=reporter, backfill=True)
    assert saved.ok, saved.issues
    actions.attach_document(regime, hanoi, period, @PDF@, "bao-cao-thang.pdf", actor=reporter)
    actions.submit_submission(saved.submission, actor=reporter)
print(" ".join([today.isoformat()] + [month.shift(-back).sdmx for back in range(7)]))
""".replace("@PASSWORD@", repr(PASSWORD)).replace("@HISTORY@", repr(HISTORY_MONTHS)).replace(
    "@WALKS@", repr(tuple(b for pair in WALK_MONTHS.values() for b in pair))).replace("@PDF@", repr(PDF))


class Walk:
    """The seeded server: its base URL, its day and its months (index = months back)."""

    def __init__(self, live: LiveNode, line: str) -> None:
        day, *months = line.split()
        self.live, self.base, self.today, self.months = live, live.base, date.fromisoformat(day), months


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory, initialised_database: str) -> Iterator[Walk]:
    tmp = tmp_path_factory.mktemp("walks")
    with copy_of_database(initialised_database, tmp, "walks") as database:  # after `nrs init`
        live = LiveNode(database=database, var_dir=tmp / "var")
        live.env["NRS_DEMO"] = "1"  # plain http on 127.0.0.1, no second factor
        line = live.nrs("shell", "-c", SEED).stdout.strip().splitlines()[-1]
        live.start(workers=1)
        try:
            yield Walk(live, line)
        finally:
            live.stop()



class Pages:
    """One role's browser context at one size: every page visited is checked the same way."""

    def __init__(self, browser: Any, walk: Walk, role: str, size: str) -> None:
        self.walk, self.role, self.size = walk, role, size
        self.context = browser.new_context(viewport=VIEWPORTS[size], locale="vi-VN")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.problems: list[str] = []

    def sign_in(self, username: str, landing: str) -> None:
        page, base = self.page, self.walk.base
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(re.compile(re.escape(base) + r"/(report|dashboard|registry)/"))
        assert page.url.removeprefix(base) == landing, page.url
        assert page.get_attribute("html", "lang") == "vi"

    def check(self, step: str) -> None:
        """The page as it stands: settled, screenshot, no overflow on a phone, axe."""
        page = self.page
        settle(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"walk-{self.role}-{self.size}-{step}.png"), full_page=True)
        where = f"{self.role} {self.size} {step} {page.url.removeprefix(self.walk.base)}"
        if self.size == "phone":
            wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if wide[0] > wide[1]:
                self.problems.append(f"{where}: {wide[0]} px wide in a {wide[1]} px window")
        found = axe_ids(page)
        self.problems += [f"{where}: {line}" for line in found]

    def close(self) -> None:
        self.context.close()
        assert self.problems == [] and self.errors == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_approvers_day(walk: Walk, browser: Any, size: str) -> None:
    base = walk.base
    approve, send_back = (walk.months[back] for back in WALK_MONTHS[size])
    reason = f"Thiếu số liệu quý, đề nghị bổ sung ({size})"
    day = Pages(browser, walk, "approver", size)
    page = day.page
    day.sign_in("hn.approver", "/report/?view=inbox")
    for period in (approve, send_back):
        assert page.locator(f"#inbox tr[data-key='PROV_KTXH_M/01/{period}']").count() == 1, period
    day.check("1-inbox")

    # The text report, from the inbox: a PDF served inline (headless Chromium downloads PDFs
    # rather than showing them, so the answer is read through the context's own session).
    row = page.locator(f"#inbox tr[data-key='PROV_KTXH_M/01/{approve}']")
    link = row.locator("a[data-document]")
    href = link.get_attribute("href")
    assert href and link.get_attribute("target") == "_blank"
    answer = page.request.get(base + href)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline")
    assert answer.body() == PDF

    # Open the report and approve it.
    row.locator(f"a[href='/report/PROV_KTXH_M/01/{approve}/']").click()
    page.wait_for_url(f"{base}/report/PROV_KTXH_M/01/{approve}/")
    page.wait_for_selector("#state [data-state='submitted']")
    day.check("2-report")
    page.click("#approve")
    page.wait_for_selector("#state [data-state='approved']")
    # The answer names what happened, and the menu's count follows at once (an out-of-band swap).
    assert "phê duyệt" in page.inner_text("#message")
    after_approval = page.locator("[data-count='waiting']").text_content()
    day.check("3-approved")

    # Back to the inbox: the other report, returned with a reason.
    page.goto(f"{base}/report/?view=inbox")
    assert page.locator(f"#inbox tr[data-key='PROV_KTXH_M/01/{approve}']").count() == 0
    # The menu's count, read afresh, matches the inbox, and so did the count the approval's answer
    # swapped into the menu.
    waiting = page.locator("#inbox tr[data-submission]:not([data-conflict])").count()
    expected = f"({waiting})" if waiting else ""
    assert page.locator("[data-count='waiting']").text_content() == expected
    assert after_approval == expected
    page.locator(f"#inbox tr[data-key='PROV_KTXH_M/01/{send_back}'] "
                 f"a[href='/report/PROV_KTXH_M/01/{send_back}/']").click()
    page.wait_for_url(f"{base}/report/PROV_KTXH_M/01/{send_back}/")
    page.fill("#comment", reason)
    page.click("#return")
    page.wait_for_selector("#state [data-state='returned']")
    day.check("4-returned")
    states = dict(walk.live.query(
        "SELECT s.period, s.state FROM collection_submission s JOIN registry_orgunit u ON s.org_unit_id = u.id"
        " WHERE u.code = '01' AND s.period IN (%s, %s)", (approve, send_back)))
    assert states == {approve: "approved", send_back: "returned"}
    day.close()

    # The reporter's list flags the returned report with its reason.
    reporter = Pages(browser, walk, "reporter", size)
    reporter.sign_in("hn.reporter", "/report/")
    returned = reporter.page.locator(f"#my-reports tr[data-key='PROV_KTXH_M/01/{send_back}']")
    assert returned.get_attribute("data-state") == "returned"
    assert "is-returned" in (returned.get_attribute("class") or "")
    assert reason in returned.locator("[data-testid='return-reason']").inner_text()
    returned.scroll_into_view_if_needed()
    reporter.check("5-returned-flagged")
    reporter.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_leaders_day(walk: Walk, browser: Any, size: str) -> None:
    base = walk.base
    day = Pages(browser, walk, "leader", size)
    page = day.page
    day.sign_in("leader", "/dashboard/")
    assert page.locator("a.card .card-value").count() > 0  # the history's figures
    day.check("1-overview")

    # An indicator page, from a card with a figure.
    card = page.locator("a.card:has(.card-value)").first
    code = card.get_attribute("data-indicator")
    card.click()
    page.wait_for_url(re.compile(re.escape(f"{base}/dashboard/indicator/{code}/")))
    assert page.locator("[data-testid='known-on']").count() == 0
    day.check("2-indicator")

    # "As known on" an earlier day: a labelled date input and a button.
    earlier = walk.today - timedelta(days=10)
    assert page.locator("label[for='known-on-day']").count() == 1
    page.fill("#known-on-day", earlier.isoformat())
    page.click("[data-testid='known-on-form'] button[type='submit']")
    page.wait_for_url(re.compile(rf"known={earlier.isoformat()}"))
    line = page.inner_text("[data-testid='known-on']")
    assert earlier.strftime("%d/%m/%Y") in line
    assert page.input_value("#known-on-day") == earlier.isoformat()
    day.check("3-known-on")

    # Back to today's figures.
    page.click("[data-testid='known-now']")
    page.wait_for_load_state("load")
    assert "known=" not in page.url and page.url.startswith(f"{base}/dashboard/indicator/{code}/")
    assert page.locator("[data-testid='known-on']").count() == 0
    assert page.locator("[data-testid='freshness']").count() == 1
    day.check("4-today")
    day.close()
