"""Issue 20, a reporter's day in a real Chromium, at 1280×800 and at 390×844: the draft typed
down the grid with the keyboard and saved cell by cell (htmx), a value the page cannot read
shown on its cell and not stored, the unsaved-changes warning, a refused submit with its
message and a link to the row, the fix, and the submit.

The server is a real `nrs serve` on a database of its own (tests/live.py), set up with
`nrs init`; the history that makes one value an outlier is seven approved months written
through `nrs shell`. Screenshots go to /tmp/nrs20/shots/ (or $NRS_ENTRY_SHOTS)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser_helpers import axe_ids
from tests.live import PASSWORD, LiveNode, copy_of_database

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]

SHOTS = Path(os.environ.get("NRS_ENTRY_SHOTS", "/tmp/nrs20/shots"))
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Plausible figures for the rules (rules.yaml): shares at most 100, parts under their totals.
SPECIAL = {"EXPORT_FDI": "50", "DOSSIER_ONLINE": "50", "DOSSIER_RESOLVED_ONTIME": "50",
           "POOR_HOUSEHOLDS": "50"}
HISTORY = ("100", "102", "98", "101", "99", "103", "97")  # exports: 5000 is an outlier against these

SEED = """
from django.utils import timezone
from nrs.collection.models import DataValue, State, Submission, SubmissionVersion
from nrs.lib import periods
from nrs.registry.models import Indicator, OrgUnit, Regime
regime = Regime.objects.get(code="PROV_KTXH_M")
unit = OrgUnit.objects.current().get(code="01")
exports = Indicator.objects.get(code="EXPORT_TOTAL")
month = periods.Period.containing(periods.Kind.MONTH, timezone.localdate())
for back, value in enumerate(@HISTORY@, start=1):
    p = month.shift(-back)
    s = Submission.objects.create(regime=regime, org_unit=unit, period=p.sdmx, period_start=p.start,
                                  state=State.APPROVED)
    v = SubmissionVersion.objects.create(submission=s, number=1, approved_at=timezone.now())
    DataValue.objects.create(version=v, indicator=exports, org_unit=unit, period=p.sdmx,
                             period_start=p.start, value=value)
print(month.sdmx)
""".replace("@HISTORY@", repr(HISTORY))


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, initialised_database: str) -> Iterator[tuple[LiveNode, str]]:
    tmp = tmp_path_factory.mktemp("entry")
    with copy_of_database(initialised_database, tmp, "entry") as database:  # after `nrs init`
        live = LiveNode(database=database, var_dir=tmp / "var")
        live.env["NRS_DEMO"] = "1"  # plain http on 127.0.0.1, no second factor for the reporter
        live.user("hn.reporter", "reporter", "01")
        live.user("hp.reporter", "reporter", "31")
        month = live.nrs("shell", "-c", SEED).stdout.strip().splitlines()[-1]
        live.start(workers=1)
        try:
            yield live, month
        finally:
            live.stop()



def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(re.escape(f"{base}/report/") + "$"))


def _axe(page: Any) -> list[str]:
    # The form and its messages; the attachments block is the attachments helper's (checked by
    # tests/test_issue20_axe.py on the whole page).
    return axe_ids(page, {"include": [["#report-form"]], "exclude": [["#attachments"]]})


def _saved(page: Any, code: str) -> None:
    page.wait_for_selector(f"#msg-{code}[data-status='saved']")


def _in_view(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect();"
                              " return r.bottom > 0 && r.top < window.innerHeight; }", selector))


@pytest.mark.parametrize(("size", "lang"), [("desktop", "vi"), ("phone", "en")])
def test_a_reporter_enters_autosaves_is_refused_fixes_and_submits(node: tuple[LiveNode, str], browser: Any,
                                                                  size: str, lang: str) -> None:
    live, month = node
    base = live.base
    unit = "01" if size == "desktop" else "31"  # one report per walk: Hà Nội, then Hải Phòng
    user = "hn.reporter" if unit == "01" else "hp.reporter"
    if unit == "31":  # Hải Phòng's exports get the same history through the same seed, for its unit
        live.nrs("shell", "-c", SEED.replace('code="01"', 'code="31"'))
    context = browser.new_context(viewport=VIEWPORTS[size], locale="vi-VN")
    page = context.new_page()
    csp: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    context.add_init_script("document.addEventListener('securitypolicyviolation', e => console.error("
                            "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    if lang == "en":  # the VI/EN switch's cookie (on a phone the switch sits in the folded menu)
        context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    _sign_in(page, base, user)
    assert page.get_attribute("html", "lang") == lang
    form = f"{base}/report/PROV_KTXH_M/{unit}/{month}/"
    page.goto(form)
    assert page.locator("h2.section-title").count() > 1  # indicators grouped in sections
    assert _axe(page) == []
    _shot(page, f"entry-{size}-1-empty.png")

    # Type the whole draft down the value column: Enter moves to the next input and saves the row.
    codes = page.eval_on_selector_all("#entry-form td.value input", "els => els.map(e => e.id.slice(2))")
    page.focus(f"#v-{codes[0]}")
    for n, code in enumerate(codes):
        assert page.evaluate("() => document.activeElement.id") == f"v-{code}"
        value = "5000" if code == "EXPORT_TOTAL" else SPECIAL.get(code, "100")
        page.keyboard.type(value)
        page.keyboard.press("Enter")
        if n == 2:  # Shift+Enter goes back up the column
            page.keyboard.press("Shift+Enter")
            assert page.evaluate("() => document.activeElement.id") == f"v-{codes[2]}"
            page.keyboard.press("Enter")
    for code in codes:
        _saved(page, code)
    stored = live.query("SELECT COUNT(*) FROM collection_datavalue d JOIN collection_submissionversion v "
                        "ON d.version_id = v.id JOIN collection_submission s ON v.submission_id = s.id "
                        "WHERE s.period = %s AND d.org_unit_id = s.org_unit_id AND s.state = 'draft'", (month,))
    assert stored[0][0] >= len(codes)
    page.wait_for_selector("#state [data-state='draft']")  # the state line followed the first save
    # The outlier is saved, with its warning on its row.
    page.wait_for_selector("tr[data-code='EXPORT_TOTAL'].has-warning #msg-EXPORT_TOTAL [data-issue='outlier']")

    # A number not written the page's way: an error on its cell, nothing stored.
    bad = "1.2.3" if lang == "vi" else "1,23.4"
    page.fill("#v-IMPORT_TOTAL", bad)
    page.press("#v-IMPORT_TOTAL", "Enter")
    page.wait_for_selector("tr[data-code='IMPORT_TOTAL'].has-error #msg-IMPORT_TOTAL[data-error]")
    assert bad in page.inner_text("#msg-IMPORT_TOTAL")
    assert page.get_attribute("#v-IMPORT_TOTAL", "aria-invalid") == "true"
    _shot(page, f"entry-{size}-2-cell-error.png")

    # Leaving with that unsaved change: the browser asks first (dismissed: we stay).
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", answer)
    page.click(".crumbs a")
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"] and page.url == form
    page.fill("#v-IMPORT_TOTAL", "100")
    page.press("#v-IMPORT_TOTAL", "Enter")
    _saved(page, "IMPORT_TOTAL")
    assert page.evaluate("() => document.querySelector('#entry-form tr[data-dirty]')") is None

    # The text report, then "Submit": refused, the reason at the top, in view, with a link to the row.
    from tests.test_collection_api import PDF

    page.set_input_files("#document-file", {"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.click("#attach")
    page.wait_for_selector("#documents >> text=bao-cao.pdf")
    page.click("#submit")
    page.wait_for_selector("#refusal")
    assert _in_view(page, "#refusal")
    assert page.locator("#refusal [data-kind='outlier'] a[href='#v-EXPORT_TOTAL']").count() == 1
    if lang == "en":
        assert "The report was not sent for approval." in page.inner_text("#refusal")
        assert "1 outlier needs a comment" in page.inner_text("#refusal")
    else:
        assert "Kim ngạch xuất khẩu hàng hóa" in page.inner_text("#refusal")
    assert page.get_attribute("#state [data-state]", "data-state") == "draft"
    _shot(page, f"entry-{size}-3-refused.png")
    assert _axe(page) == []

    # The link puts the cursor on the row; the comment explains the figure; submit goes through.
    page.click("#refusal a[href='#v-EXPORT_TOTAL']")
    assert page.evaluate("() => document.activeElement.id") == "v-EXPORT_TOTAL"
    assert _in_view(page, "#v-EXPORT_TOTAL")
    page.fill("#c-EXPORT_TOTAL", "Hợp đồng xuất khẩu mới / a new export contract")
    page.press("#c-EXPORT_TOTAL", "Enter")
    _saved(page, "EXPORT_TOTAL")
    _shot(page, f"entry-{size}-4-fixed.png")
    page.click("#submit")
    page.wait_for_selector("#state [data-state='submitted']")
    assert page.locator("#refusal").count() == 0
    assert page.locator("#entry-form td.value input:not([disabled])").count() == 0
    _shot(page, f"entry-{size}-5-submitted.png")
    assert live.query("SELECT s.state FROM collection_submission s JOIN registry_orgunit u ON s.org_unit_id = u.id"
                      " WHERE s.period = %s AND u.code = %s", (month, unit)) == [("submitted",)]
    assert csp == [] and errors == []
    context.close()
