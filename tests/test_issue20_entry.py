"""Issue 20, the web data-entry form (parts 2, 3, 5 and 7): every refusal explains itself with
links to its rows; per-cell autosave through the one write path; the last period's value and
the same period last year beside each input; sections; input in the user's locale; every input
labelled with its indicator's name."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.collection.models import DataValue, State, Submission, SubmissionVersion
from nrs.registry.models import Indicator, OrgUnit, Regime
from tests.test_collection_api import PDF, SPECIAL

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
URL = "/report/PROV_KTXH_M/01/2026-10/"
# Seven approved months of Hà Nội's exports, all near 100: 5000 is an outlier against them
# (robust z = 0.6745 × (5000 − 100) / 2 ≈ 1652, far over 3.5).
EXPORT_HISTORY = {"2026-03": "100", "2026-04": "102", "2026-05": "98", "2026-06": "101",
                  "2026-07": "99", "2026-08": "103", "2026-09": "97"}


def browser(user, lang: str = "vi") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang  # the VI/EN switch's cookie
    client.force_login(user)
    return client


def approved(period: str, values: dict[str, str], unit: str = "01") -> None:
    """An approved past report of Hà Nội holding ``values`` (fixture data, written directly)."""
    from nrs.lib import periods

    regime = Regime.objects.get(code=REGIME)
    org = OrgUnit.objects.current().get(code=unit)
    p = periods.parse(period)
    submission, _ = Submission.objects.get_or_create(
        regime=regime, org_unit=org, period=p.sdmx,
        defaults={"period_start": p.start, "state": State.APPROVED})
    version, _ = SubmissionVersion.objects.get_or_create(
        submission=submission, number=1, defaults={"approved_at": timezone.now()})
    for code, value in values.items():
        DataValue.objects.create(version=version, indicator=Indicator.objects.get(code=code),
                                 org_unit=org, period=p.sdmx, period_start=p.start, value=Decimal(value))


def codes() -> list[str]:
    return sorted(Regime.objects.get(code=REGIME).indicators.filter(formula="").values_list("code", flat=True))


def local(value: str, lang: str = "vi") -> str:
    """A plain figure ("2.5") typed the way ``lang`` writes it ("2,5" in Vietnamese)."""
    return value.replace(".", ",") if lang == "vi" else value


def filled(lang: str = "vi", **overrides: str) -> dict[str, str]:
    return {f"v-{code}": local(overrides.get(code, SPECIAL.get(code, "100")), lang) for code in codes()}


def attach(client: Client) -> None:
    pdf = SimpleUploadedFile("bao-cao.pdf", PDF, content_type="application/pdf")
    client.post(URL, {"action": "attach", "document": pdf})


def state() -> str:
    return Submission.objects.get(period="2026-10").state


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- part 2: every refusal explains itself ---------------------------------------------

def _outlier_report(client: Client, lang: str) -> None:
    for period, value in EXPORT_HISTORY.items():
        approved(period, {"EXPORT_TOTAL": value})
    saved = client.post(URL, {**filled(lang, EXPORT_TOTAL="5000"), "action": "save"})
    assert saved.status_code == 200
    assert DataValue.objects.filter(period="2026-10").count() == len(codes())
    attach(client)


def test_refused_submit_with_an_uncommented_outlier_says_why_and_links_the_row(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter, "en")
    _outlier_report(client, "en")
    page = client.post(URL, {"action": "submit"}).content.decode()
    assert state() == "draft"
    summary = page.split('id="refusal"')[1].split("</section>")[0]
    assert "The report was not sent for approval" in text(summary)
    assert "1 outlier needs a comment" in text(summary)
    assert 'href="#v-EXPORT_TOTAL"' in summary
    assert "Export turnover" in text(summary) or "xport" in text(summary)  # the row is named
    # The row shows its own message, and its input points at it.
    row = page.split('data-code="EXPORT_TOTAL"')[1].split("</tr>")[0]
    assert 'data-issue="outlier"' in row and "explain in a comment" in row
    assert 'aria-invalid="true"' in row


def test_refused_submit_in_vietnamese(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter)
    _outlier_report(client, "vi")
    page = text(client.post(URL, {"action": "submit"}, HTTP_HX_REQUEST="true").content.decode())
    assert state() == "draft"
    assert "1 giá trị bất thường cần ghi chú" in page
    assert "Báo cáo chưa được gửi duyệt" in page


def test_commented_outlier_then_submits(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter, "en")
    _outlier_report(client, "en")
    client.post(URL, {"action": "submit"})
    assert state() == "draft"
    # Submitting sends the form's values too: the comment typed on the row counts.
    page = client.post(URL, {**filled("en", EXPORT_TOTAL="5000"), "c-EXPORT_TOTAL": "New export contract",
                             "action": "submit"}).content.decode()
    assert state() == "submitted", text(page)[:2000]
    assert 'id="refusal"' not in page


def test_refused_approval_and_return_explain_themselves(hanoi_reporter, make_user) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter, "en")
    client.post(URL, {**filled("en"), "action": "save"})
    attach(client)
    client.post(URL, {"action": "submit"})
    assert state() == "submitted"
    approver = browser(make_user("hanoi.approver", "approver", "01"), "en")
    page = approver.post(URL, {"action": "return", "comment": ""}).content.decode()
    assert state() == "submitted"
    summary = text(page.split('id="refusal"')[1].split("</section>")[0])
    assert "The report was not returned" in summary and "a reason is required" in summary
    assert 'href="#comment"' in page.split('id="refusal"')[1].split("</section>")[0]
    # The reporter may not approve their own report: the refusal says so.
    own = client.post(URL, {"action": "approve"})
    assert own.status_code == 403 or "was not approved" in text(own.content.decode())


def test_refused_save_names_the_cells(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter, "en")
    page = client.post(URL, {**filled("en", EXPORT_TOTAL="abc", IMPORT_TOTAL="1.2.3"), "action": "save"}
                       ).content.decode()
    assert not DataValue.objects.exists()
    summary = page.split('id="refusal"')[1].split("</section>")[0]
    assert "2 values cannot be read" in text(summary)
    assert 'href="#v-EXPORT_TOTAL"' in summary and 'href="#v-IMPORT_TOTAL"' in summary


# -- part 3: per-cell autosave through the one write path ------------------------------

def cell(client: Client, code: str, value: str, comment: str = "", flag: str = ""):  # type: ignore[no-untyped-def]
    return client.post(URL, {"action": "cell", "cell": code, f"v-{code}": value, f"c-{code}": comment,
                             f"f-{code}": flag}, HTTP_HX_REQUEST="true")


def stored(code: str) -> list[Decimal | None]:
    return list(DataValue.objects.filter(indicator__code=code, period="2026-10").order_by("id")
                .values_list("value", flat=True))


def test_autosave_stores_one_draft_value_audited_and_answers_with_the_cells_state(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter)
    response = cell(client, "EXPORT_TOTAL", "1.234,5")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="msg-EXPORT_TOTAL"' in body and 'data-status="saved"' in body
    assert 'id="state" hx-swap-oob="true"' in body and 'data-state="draft"' in body
    assert stored("EXPORT_TOTAL") == [Decimal("1234.5")]
    assert state() == "draft"
    assert Event.objects.filter(event_type=EventType.VALUES_SAVED).count() == 1
    # A second autosave writes a new vintage (the old row is kept), never a submission.
    cell(client, "EXPORT_TOTAL", "1.300")
    assert stored("EXPORT_TOTAL") == [Decimal("1234.5"), Decimal("1300")]
    assert state() == "draft" and Event.objects.filter(event_type=EventType.VALUES_SAVED).count() == 2
    # The same value again stores nothing new.
    cell(client, "EXPORT_TOTAL", "1.300")
    assert len(stored("EXPORT_TOTAL")) == 2


def test_autosave_refuses_an_unreadable_value_naming_the_cell(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter, "en")
    body = text(cell(client, "EXPORT_TOTAL", "1.234,5").content.decode())  # Vietnamese, on an English page
    assert stored("EXPORT_TOTAL") == []
    assert "Not saved yet" in body
    assert "Merchandise exports: “1.234,5” cannot be read as a number; write it like 1,234.5" in body
    body = cell(client, "EXPORT_TOTAL", "1,234.5").content.decode()
    assert stored("EXPORT_TOTAL") == [Decimal("1234.5")] and 'data-status="saved"' in body


def test_autosave_shows_an_outlier_warning_but_stores_the_value(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    for period, value in EXPORT_HISTORY.items():
        approved(period, {"EXPORT_TOTAL": value})
    body = cell(browser(hanoi_reporter, "en"), "EXPORT_TOTAL", "5000").content.decode()
    assert stored("EXPORT_TOTAL") == [Decimal("5000")]
    assert 'data-status="saved"' in body and 'data-issue="outlier"' in body


def test_autosave_on_a_sent_report_stores_nothing(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter, "en")
    client.post(URL, {**filled("en"), "action": "save"})
    attach(client)
    client.post(URL, {"action": "submit"})
    assert state() == "submitted"
    before = DataValue.objects.count()
    body = text(cell(client, "EXPORT_TOTAL", "7").content.decode())
    assert DataValue.objects.count() == before and state() == "submitted"
    assert "Not saved: Merchandise exports" in body and "cannot be edited" in body


def test_autosave_outside_ones_units_is_forbidden(make_user) -> None:  # type: ignore[no-untyped-def]
    outsider = browser(make_user("haiphong.reporter", "reporter", "31"))
    assert cell(outsider, "EXPORT_TOTAL", "5").status_code == 403
    assert not DataValue.objects.exists()


def test_the_form_wires_autosave_and_loads_its_script_without_inline_code(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    page = browser(hanoi_reporter).get(URL).content.decode()
    row = page.split('data-code="EXPORT_TOTAL"')[1].split("</tr>")[0]
    assert 'hx-trigger="change"' in row and '"action": "cell"' in row and 'hx-target="#msg-EXPORT_TOTAL"' in row
    assert "/static/nrs/entry.js" in page and "/static/nrs/entry.css" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
    assert " on" not in " ".join(re.findall(r"<[^>]+ on[a-z]+=", page))  # no inline handlers


def test_last_period_and_same_period_last_year_beside_each_input(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    approved("2026-09", {"EXPORT_TOTAL": "2500.5", "IMPORT_TOTAL": "1073036.7"})
    approved("2025-10", {"EXPORT_TOTAL": "-9.78"})
    for lang, last, year_ago, imports in (("vi", "2.500,5", "−9,8", "1.073.036,7"),
                                          ("en", "2,500.5", "−9.8", "1,073,036.7")):
        page = browser(hanoi_reporter, lang).get(URL).content.decode()
        row = page.split('data-code="EXPORT_TOTAL"')[1].split("</tr>")[0]
        cells = re.findall(r'<td class="ref"[^>]*>(.*?)</td>', row)
        assert [text(c).strip() for c in cells] == [last, year_ago]
        assert imports in page.split('data-code="IMPORT_TOTAL"')[1].split("</tr>")[0]
    page = browser(hanoi_reporter).get(URL).content.decode()
    assert "Tháng 9/2026" in page and "Tháng 10/2025" in page  # the columns name their periods


def test_indicators_are_grouped_in_sections_of_the_catalogue(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    from nrs.registry.models import Area

    page = browser(hanoi_reporter, "en").get(URL).content.decode()
    regime = Regime.objects.get(code=REGIME)
    areas = sorted(set(regime.indicators.filter(formula="").values_list("area", flat=True)))
    titles = re.findall(r'<h2 id="sec-(\d+)" class="section-title">(.*?)</h2>', page)
    with translation.override("en"):
        assert titles == [(str(a), str(Area(a).label)) for a in areas]
    assert len(areas) > 1
    for area, _title in titles:
        section = page.split(f'<h2 id="sec-{area}"')[1].split("</section>")[0]
        shown = set(re.findall(r'<tr id="row-([A-Z0-9_]+)"', section))
        assert shown == set(regime.indicators.filter(formula="", area=int(area)).values_list("code", flat=True))


# -- part 5: numbers typed in the user's language --------------------------------------

@pytest.mark.parametrize(("lang", "typed", "expected"), [
    ("vi", "1.234,5", Decimal("1234.5")), ("vi", "1234,5", Decimal("1234.5")), ("vi", "120", Decimal("120")),
    ("en", "1,234.5", Decimal("1234.5")), ("en", "1234.5", Decimal("1234.5")),
])
def test_the_form_reads_numbers_in_the_users_language(hanoi_reporter, lang: str, typed: str,  # type: ignore[no-untyped-def]
                                                     expected: Decimal) -> None:
    page = browser(hanoi_reporter, lang).post(URL, {**filled(lang), "v-EXPORT_TOTAL": typed, "action": "save"})
    assert 'id="message"' in page.content.decode()
    assert stored("EXPORT_TOTAL") == [expected]


@pytest.mark.parametrize(("lang", "typed", "example"), [
    ("vi", "1234.5", "1.234,5"), ("vi", "1.23,4", "1.234,5"), ("vi", "1,234.5", "1.234,5"),
    ("en", "1.234,5", "1,234.5"), ("en", "12,34", "1,234.5"),
])
def test_a_number_not_written_the_pages_way_is_refused_naming_the_cell(hanoi_reporter, lang: str, typed: str,  # type: ignore[no-untyped-def]
                                                                       example: str) -> None:
    page = browser(hanoi_reporter, lang).post(URL, {**filled(lang), "v-EXPORT_TOTAL": typed, "action": "save"}
                                              ).content.decode()
    assert not DataValue.objects.exists()
    row = text(page.split('data-code="EXPORT_TOTAL"')[1].split("</tr>")[0])
    name = "Merchandise exports" if lang == "en" else "Kim ngạch xuất khẩu hàng hóa"
    assert f"{name}: “{typed}”" in row and example in row
    assert f'value="{typed}"' in page  # what was typed stays in the box


def test_inputs_are_prefilled_in_the_users_language_without_losing_precision(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter)
    client.post(URL, {**filled("vi", EXPORT_TOTAL="1073036.7", IMPORT_TOTAL="0.5", EXPORT_GROWTH="-9.8"),
                      "action": "save"})
    for lang, values in (("vi", ("1.073.036,7", "0,5", "-9,8")), ("en", ("1,073,036.7", "0.5", "-9.8"))):
        page = browser(hanoi_reporter, lang).get(URL).content.decode()
        for code, value in zip(("EXPORT_TOTAL", "IMPORT_TOTAL", "EXPORT_GROWTH"), values, strict=True):
            assert f'name="v-{code}" value="{value}"' in page, (lang, code)
    # Sending the form back unchanged stores nothing new: the prefilled text reads back exactly.
    page = client.get(URL).content.decode()
    again = dict(re.findall(r'name="(v-[A-Z0-9_]+)" value="([^"]*)"', page))
    before = DataValue.objects.count()
    client.post(URL, {**again, "action": "save"})
    assert DataValue.objects.count() == before


# -- part 7: every input labelled with its indicator's name ----------------------------

class Controls(HTMLParser):
    """The form controls of a page, and the text of every element with an id."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "col", "source", "wbr", "area", "base"}

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}  # for= -> text
        self.texts: dict[str, str] = {}
        self.stack: list[tuple[str, str | None, str | None]] = []  # tag, id, label-for

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append({"tag": tag, **a})
        if tag not in self.VOID:
            self.stack.append((tag, a.get("id"), a.get("for") if tag == "label" else None))
            for _tag, ident, label_for in self.stack:
                if ident:
                    self.texts.setdefault(ident, "")
                if label_for:
                    self.labels.setdefault(label_for, "")

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _tag, ident, label_for in self.stack:
            if ident:
                self.texts[ident] = self.texts.get(ident, "") + data
            if label_for:
                self.labels[label_for] = self.labels.get(label_for, "") + data


def accessible_name(control: dict[str, str], page: Controls) -> str:
    if control.get("aria-labelledby"):
        return " ".join(" ".join(page.texts.get(i, "").split()) for i in control["aria-labelledby"].split())
    if control.get("aria-label"):
        return control["aria-label"]
    return " ".join(page.labels.get(control.get("id", ""), "").split())


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_control_of_the_form_is_labelled_with_its_indicators_name(hanoi_reporter, lang: str) -> None:  # type: ignore[no-untyped-def]
    page = Controls()
    page.feed(browser(hanoi_reporter, lang).get(URL).content.decode())
    assert len(page.controls) > 150
    unnamed = [c.get("name") for c in page.controls if not accessible_name(c, page).strip()]
    assert unnamed == []
    column = {"v": ("Giá trị", "Value"), "f": ("Cờ", "Flag"), "c": ("Ghi chú", "Comment")}
    for indicator in Indicator.objects.filter(regimes__code=REGIME, formula=""):
        name = indicator.name_en if lang == "en" else indicator.name_vi
        for prefix, words in column.items():
            control = next(c for c in page.controls if c.get("name") == f"{prefix}-{indicator.code}")
            label = accessible_name(control, page)
            assert label.startswith(name), label
            assert label.endswith(words[1] if lang == "en" else words[0]), label
            assert indicator.code not in label
