"""Work first, per role (issue 20): each role lands on its work; the approver's inbox lists
exactly the reports waiting in its units; the reporter's list has a state column and flags a
returned report with its reason; the menu counts them; a skip link comes first. Real
database, real actions, the Django test client."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nrs.accounts import access
from nrs.accounts import actions as account_actions
from nrs.accounts.models import Role
from nrs.collection import actions, bulk, queries
from nrs.collection.models import State, Submission
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import OrgUnit, Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
T0 = datetime(2026, 2, 10, tzinfo=UTC)
INBOX = "/report/?view=inbox"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def service(make_user):  # type: ignore[no-untyped-def]
    user = make_user("svc", "system", "CP")
    account_actions.grant_role(user, Role.APPROVER, current("CP"))
    return user


def load(service, unit: OrgUnit, period: str, state: str) -> Submission:  # type: ignore[no-untyped-def]
    rows = [Row(ref="r", indicator="RETAIL_SALES", org_unit=unit.code, value="123")]
    report = bulk.Report(regime=Regime.objects.get(code=REGIME), unit=unit, period=periods.parse_sdmx(period),
                         rows=rows, state=state, submitted_at=T0,
                         approved_at=T0 if state == "approved" else None)
    result = bulk.import_reports([report], actor=service, today=date(2026, 11, 20))
    assert not result.issues, result.issues
    return Submission.objects.get(regime__code=REGIME, org_unit=unit, period=period)


def signed_in(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def landing(user) -> str:  # type: ignore[no-untyped-def]
    response = signed_in(user).get("/")
    assert response.status_code == 302, response.status_code
    return str(response["Location"])


def keys(html: str, table: str) -> list[str]:
    body = html[html.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    return re.findall(r'<tr [^>]*data-key="([^"]+)"', body)


# -- landing --------------------------------------------------------------------------------

def test_each_role_lands_on_its_work(service, make_user, leader, coordinator, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    approver = make_user("hn.approver", "approver", "01")
    both = make_user("hn.both", "reporter", "01")
    account_actions.grant_role(both, Role.APPROVER, current("01"))
    viewer = make_user("hn.viewer", "viewer", "01")
    boss = make_user("cp.boss", "leader", "CP")
    account_actions.grant_role(boss, Role.APPROVER, current("79"))
    assert landing(hanoi_reporter) == "/report/"
    assert landing(approver) == INBOX  # nothing waits yet: still the approver's own page
    assert landing(coordinator) == "/report/compliance/"
    assert landing(leader) == "/dashboard/"
    assert landing(viewer) == "/dashboard/"
    assert landing(both) == "/report/"  # nothing waits: the reports to fill in
    assert landing(boss) == "/dashboard/"  # nothing waits in Hồ Chí Minh: the leader's overview
    load(service, current("01"), "2026-09", "submitted")
    assert landing(approver) == INBOX
    assert landing(both) == INBOX  # work first: a report waits for them
    assert landing(boss) == "/dashboard/"  # Hà Nội is not theirs to approve
    load(service, current("79"), "2026-09", "submitted")
    assert landing(boss) == INBOX


# -- the approver's inbox -----------------------------------------------------------------------

def test_the_inbox_lists_exactly_the_reports_waiting_in_scope(service, make_user) -> None:  # type: ignore[no-untyped-def]
    approver = make_user("hn.approver", "approver", "01")
    hanoi = current("01")
    for period in ("2026-07", "2026-08", "2026-09"):
        load(service, hanoi, period, "submitted")
    load(service, hanoi, "2026-06", "approved")
    load(service, hanoi, "2026-05", "draft")
    load(service, current("79"), "2026-09", "submitted")  # another province's
    load(service, current("31"), "2026-08", "submitted")
    regime = Regime.objects.get(code=REGIME)
    waiting = Submission.objects.filter(state=State.SUBMITTED, org_unit__path__startswith=hanoi.path)
    expected = sorted(waiting, key=lambda s: regime.schedule_for(periods.parse(s.period)).deadline)
    page = signed_in(approver).get(INBOX).content.decode()
    assert keys(page, "inbox") == [f"{REGIME}/01/{s.period}" for s in expected]
    assert keys(page, "inbox") == [f"{REGIME}/01/2026-07", f"{REGIME}/01/2026-08", f"{REGIME}/01/2026-09"]
    assert "/report/PROV_KTXH_M/01/2026-09/" in page and "svc" in page  # the link and who sent it
    assert timezone.localdate().strftime("%d/%m/%Y") in page  # submitted at: the import's own time
    assert current("79").name_en not in page
    # A national approver sees all five.
    national = make_user("cp.approver", "approver", "CP")
    assert len(keys(signed_in(national).get(INBOX).content.decode(), "inbox")) == 5
    # A reporter has no inbox: an empty page, nobody else's reports.
    reporter = make_user("hn.reporter", "reporter", "01")
    assert "data-key" not in signed_in(reporter).get(INBOX).content.decode().split('id="content"')[1]


def test_an_approver_is_not_told_there_is_nothing_to_do(service, make_user) -> None:  # type: ignore[no-untyped-def]
    """The false "Bạn không có báo cáo nào cần nhập" while a report waited for approval."""
    approver = make_user("hn.approver", "approver", "01")
    load(service, current("01"), "2026-09", "submitted")
    for language, nothing in (("vi", "Bạn không có báo cáo nào cần nhập"), ("en", "You have no report to fill in")):
        page = signed_in(approver, language).get("/report/").content.decode()
        assert nothing not in page
        assert 'data-testid="waiting-notice"' in page and 'href="/report/?view=inbox"' in page


# -- the reporter's list ----------------------------------------------------------------------------

def test_the_reporters_list_has_states_deadlines_and_return_reasons(service, make_user, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    approver = make_user("hn.approver", "approver", "01")
    hanoi = current("01")
    returned = load(service, hanoi, "2026-08", "submitted")
    actions.return_submission(returned, actor=approver, comment="Thiếu số liệu xuất khẩu tháng 8")
    load(service, hanoi, "2026-07", "draft")
    load(service, current("79"), "2026-06", "draft")  # not Hà Nội's: not on the list
    page = signed_in(hanoi_reporter).get("/report/").content.decode()
    row = r'<tr data-state="([^"]+)" data-pressing="[a-z]+" data-key="([^"]+)"'
    rows = {key: state for state, key in re.findall(row, page)}
    assert rows[f"{REGIME}/01/2026-08"] == "returned" and rows[f"{REGIME}/01/2026-07"] == "draft"
    assert not any("/79/" in key for key in rows)
    # Hà Nội's own reports, not those of its communes (its grant covers them, but the communes report).
    assert {key.split("/")[1] for key in rows} == {"01"}
    assert "Thiếu số liệu xuất khẩu tháng 8" in page and 'data-testid="return-reason"' in page
    assert keys(page, "my-reports")[0] == f"{REGIME}/01/2026-08"  # the returned report first
    # This period's report of each regime Hà Nội reports, with its deadline.
    today = timezone.localdate()
    due = Regime.objects.get(code=REGIME).next_schedule(today)
    assert due is not None and f"{REGIME}/01/{due.period.sdmx}" in rows
    assert due.deadline.strftime("%d/%m/%Y") in page
    # The state column is in the page's language.
    assert ">Returned<" in page and ">Draft<" in page
    vi = signed_in(hanoi_reporter, "vi").get("/report/").content.decode()
    assert "Thiếu số liệu xuất khẩu tháng 8" in vi and ">Returned<" not in vi and ">Draft<" not in vi


# -- the menu's counts ------------------------------------------------------------------------------

def count(html: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">\((\d+)\)', html)
    return int(found.group(1)) if found else 0


def test_the_menu_counts_the_work(service, make_user, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    approver = make_user("hn.approver", "approver", "01")
    hanoi = current("01")
    first = load(service, hanoi, "2026-08", "submitted")
    load(service, hanoi, "2026-09", "submitted")
    load(service, current("79"), "2026-09", "submitted")
    client = signed_in(approver)
    assert count(client.get("/registry/").content.decode(), "waiting") == 2
    actions.return_submission(first, actor=approver, comment="Sai đơn vị tính")
    assert count(client.get("/registry/").content.decode(), "waiting") == 1  # at once, despite the cache
    mine = signed_in(hanoi_reporter).get("/report/").content.decode()
    listed = re.findall(r'<tr data-state="([^"]+)" data-pressing="(true|false)" data-key="[^"]+/(\d{2})/', mine)
    assert ("returned", "true", "01") in listed
    # Counted: sent back, in draft, overdue or due within a month; listed, not counted: a
    # report due months ahead, or one sent.
    today = timezone.localdate()
    expected = [state for state, _pressing, _unit in listed if state in ("draft", "returned")]
    for key in re.findall(r'<tr data-state="new" data-pressing="[a-z]+" data-key="([^"]+)"', mine):
        code, _unit, period = key.split("/")
        deadline = Regime.objects.get(code=code).schedule_for(periods.parse(period)).deadline
        if (deadline - today).days <= 31:
            expected.append(key)
    assert count(mine, "mine") == len(expected) == sum(p == "true" for _s, p, _u in listed)
    assert count(mine, "waiting") == 0 and 'data-nav="inbox"' not in mine  # a reporter approves nothing


def test_the_counts_cost_one_query_when_warm_and_none_for_a_leader(service, make_user, leader) -> None:  # type: ignore[no-untyped-def]
    approver = make_user("hn.approver", "approver", "01")
    load(service, current("01"), "2026-08", "submitted")
    today = timezone.localdate()
    assert queries.nav_counts(approver, today)["waiting"] == 1
    with CaptureQueriesContext(connection) as warm:
        assert queries.nav_counts(approver, today)["waiting"] == 1
    assert len(warm.captured_queries) == 1
    access.roles(leader)  # the grants, read once per request by every page anyway
    with CaptureQueriesContext(connection) as none:
        assert queries.nav_counts(leader, today) == {"waiting": 0, "mine": 0}
    assert len(none.captured_queries) == 0


# -- the skip link --------------------------------------------------------------------------------

FOCUSABLE = re.compile(r"<(a|button|input|select|textarea)\b[^>]*>")


@pytest.mark.parametrize("url", ["/report/", INBOX, "/registry/", "/dashboard/"])
def test_the_skip_link_comes_first(url: str, service, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    for language, label in (("vi", "Bỏ qua đến nội dung chính"), ("en", "Skip to main content")):
        html = signed_in(hanoi_reporter, language).get(url).content.decode()
        body = html[html.index("<body"):]
        first = FOCUSABLE.search(body[body.index(">") + 1:])
        assert first is not None and first.group(0) == '<a class="skip-link" href="#content">'
        target = html[html.index("<main>"):html.index("</main>")]
        assert 'id="content" tabindex="-1"' in target
        if language == "en":
            assert label in html


def test_a_report_one_sent_oneself_is_another_approvers_work(service, make_user) -> None:  # type: ignore[no-untyped-def]
    """Separation of duties: whoever entered or sent a report may not approve it, so it is
    marked in their inbox, left out of their count, and does not make the inbox their landing."""
    both = make_user("hn.both", "reporter", "01")
    account_actions.grant_role(both, Role.APPROVER, current("01"))
    load(both, current("01"), "2026-09", "submitted")
    client = signed_in(both)
    page = client.get(INBOX).content.decode()
    assert keys(page, "inbox") == [f"{REGIME}/01/2026-09"] and 'data-conflict="true"' in page
    assert count(page, "waiting") == 0
    assert landing(both) == "/report/"
    load(service, current("01"), "2026-08", "submitted")  # sent by someone else: theirs to approve
    page = client.get(INBOX).content.decode()
    assert page.count('data-conflict="true"') == 1 and count(page, "waiting") == 1
    assert landing(both) == INBOX


def test_a_national_reporters_list_stays_one_query_per_regime(service, make_user) -> None:  # type: ignore[no-untyped-def]
    national = make_user("cp.reporter", "reporter", "CP")
    load(service, current("79"), "2026-09", "draft")
    regimes = Regime.objects.exclude(frequency="").count()
    access.roles(national)
    with CaptureQueriesContext(connection) as read:
        rows = queries.worklist(national, timezone.localdate())
    assert len(read.captured_queries) <= regimes + 3  # the regimes, their reporting units, the reports, the reasons
    assert any(row.unit.code == "79" and row.period.sdmx == "2026-09" and row.state == "draft" for row in rows)
    assert signed_in(national).get("/report/").status_code == 200
