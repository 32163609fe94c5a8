"""Compliance: expected reporters come from the regime; statuses from the real workflow.

Reports are written through nrs.collection.actions; the time a report is sent is passed to the action (``clock``)
so that "first submitted at" lands exactly where each test needs it around the
2026-10 deadline (20 October 2026), whatever the real date is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q
from django.utils import timezone

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.collection import actions, compliance
from nrs.collection.models import DataValue, Submission
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Indicator, Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME, PERIOD = "PROV_KTXH_M", "2026-10"
DEADLINE = date(2026, 10, 20)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SPECIAL = {"EXPORT_FDI": "50", "DOSSIER_ONLINE": "50", "DOSSIER_RESOLVED_ONTIME": "50",
           "POOR_HOUSEHOLDS": "50", "UNEMPLOYMENT_RATE": "2.5", "CPI_MOM": "0.3"}
# A real one-page PDF: attach_document parses it (issue 18, finding 11).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
       b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n"
       b"0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
       b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n")


@pytest.fixture
def regime() -> Regime:
    return Regime.objects.get(code=REGIME)


SENT_AT: list[datetime | None] = [None]


@pytest.fixture
def clock() -> Iterator[Callable[..., None]]:
    """The Hà Nội wall-clock time the next submissions are sent at (passed to the
    action as ``at``; nothing is patched)."""

    def set_to(year: int, month: int, day: int, hour: int, minute: int) -> None:
        SENT_AT[0] = datetime(year, month, day, hour, minute, tzinfo=HANOI).astimezone(ZoneInfo("UTC"))

    yield set_to
    SENT_AT[0] = None


def form_rows(regime: Regime, unit: str) -> list[Row]:
    codes = sorted(regime.indicators.values_list("code", flat=True))
    return [Row(ref=f"r{i}", indicator=code, org_unit=unit, value=SPECIAL.get(code, "100"))
            for i, code in enumerate(codes)]


def draft(regime: Regime, user, unit: str, period: str = PERIOD) -> Submission:  # type: ignore[no-untyped-def]
    """A complete report (every value and the text part), saved but not submitted."""
    org_unit, when = current(unit), periods.parse(period)
    saved = actions.check_and_save_values(regime, org_unit, when, form_rows(regime, unit), actor=user)
    assert saved.ok and saved.submission is not None, saved.issues
    actions.attach_document(regime, org_unit, when, PDF, "bao-cao.pdf", actor=user)
    return saved.submission


def submitted(regime: Regime, user, unit: str, period: str = PERIOD) -> Submission:  # type: ignore[no-untyped-def]
    return actions.submit_submission(draft(regime, user, unit, period), actor=user, at=SENT_AT[0])


def by_code(rows: list[compliance.Status]) -> dict[str, compliance.Status]:
    return {row.org_unit_code: row for row in rows}


@pytest.fixture
def hanoi_approver(make_user):  # type: ignore[no-untyped-def]
    return make_user("hanoi.approver", "approver", "01")


def test_expected_units_come_from_the_regime_on_the_period_end(regime: Regime) -> None:
    old = compliance.matrix(regime, "2025-05", today=date(2026, 11, 22))
    new = compliance.matrix(regime, periods.parse(PERIOD), today=date(2026, 11, 22))
    assert (len(old), len(new)) == (63, 34)
    assert [r.org_unit_code for r in new] == sorted(r.org_unit_code for r in new)
    assert "35" in by_code(old) and "35" not in by_code(new)  # Hà Nam merged into Ninh Bình
    assert {r.status for r in old + new} == {"missing"}
    assert all(r.state == "" and r.submission_id is None and not r.approved for r in new)
    hanoi = by_code(new)["01"]
    assert (hanoi.org_unit_name, hanoi.deadline) == ("Thành phố Hà Nội", DEADLINE)


def test_before_the_deadline_nobody_is_missing_yet(regime: Regime) -> None:
    rows = compliance.matrix(regime, PERIOD, today=DEADLINE)
    assert compliance.summary(rows) == {"on_time": 0, "late": 0, "returned": 0, "missing": 0,
                                        "pending": 34, "backfill": 0}
    assert compliance.summary(compliance.matrix(regime, PERIOD, today=date(2026, 10, 21)))["missing"] == 34


def test_statuses_of_one_period(regime: Regime, clock, hanoi_reporter, hanoi_approver,  # type: ignore[no-untyped-def]
                                make_user) -> None:
    clock(2026, 10, 20, 23, 30)  # 16:30 UTC on the deadline day: on time
    hanoi = submitted(regime, hanoi_reporter, "01")
    actions.approve_submission(hanoi, actor=hanoi_approver)
    clock(2026, 10, 21, 0, 30)  # still 20 October in UTC, but the 21st in Hà Nội: late
    submitted(regime, make_user("hcm.reporter", "reporter", "79"), "79")
    danang = submitted(regime, make_user("danang.reporter", "reporter", "48"), "48")
    actions.return_submission(danang, actor=make_user("danang.approver", "approver", "48"),
                              comment="thiếu số liệu")
    draft(regime, make_user("haiphong.reporter", "reporter", "31"), "31")  # never submitted

    rows = by_code(compliance.matrix(regime, PERIOD, today=date(2026, 11, 22)))
    assert {code: (rows[code].status, rows[code].state, rows[code].approved)
            for code in ("01", "79", "48", "31", "96")} == {
        "01": ("on_time", "approved", True),
        "79": ("late", "submitted", False),
        "48": ("returned", "returned", False),
        "31": ("missing", "draft", False),
        "96": ("missing", "", False),
    }
    assert rows["01"].submission_id == hanoi.pk
    assert timezone.localtime(rows["79"].submitted_at).date() == date(2026, 10, 21)
    assert rows["31"].submitted_at is None and rows["31"].submission_id is not None
    counts = compliance.summary(list(rows.values()))
    assert counts == {"on_time": 1, "late": 1, "returned": 1, "missing": 31, "pending": 0, "backfill": 0}
    assert sum(counts.values()) == len(rows) == 34


def test_an_unsubmitted_draft_is_pending_until_the_deadline(regime: Regime, clock, make_user) -> None:  # type: ignore[no-untyped-def]
    clock(2026, 10, 10, 9, 0)
    draft(regime, make_user("haiphong.reporter", "reporter", "31"), "31")
    before = by_code(compliance.matrix(regime, PERIOD, today=DEADLINE))["31"]
    after = by_code(compliance.matrix(regime, PERIOD, today=date(2026, 10, 21)))["31"]
    assert (before.status, before.state) == ("pending", "draft")
    assert (after.status, after.state) == ("missing", "draft")


def test_today_defaults_to_the_local_date(regime: Regime) -> None:
    today = timezone.localdate()
    assert compliance.matrix(regime, PERIOD) == compliance.matrix(regime, PERIOD, today=today)
    assert {r.status for r in compliance.matrix(regime, PERIOD, today=DEADLINE)} == {"pending"}
    assert {r.status for r in compliance.matrix(regime, PERIOD, today=date(2026, 10, 21))} == {"missing"}


def test_timeliness_counts_from_the_first_submission(regime: Regime, clock, hanoi_reporter,  # type: ignore[no-untyped-def]
                                                    hanoi_approver) -> None:
    clock(2026, 10, 19, 10, 0)
    report = submitted(regime, hanoi_reporter, "01")
    clock(2026, 10, 22, 10, 0)
    actions.return_submission(report, actor=hanoi_approver, comment="thiếu số liệu")
    assert by_code(compliance.matrix(regime, PERIOD))["01"].status == "returned"
    actions.submit_submission(report, actor=hanoi_reporter, at=SENT_AT[0])  # resubmitted after the deadline
    row = by_code(compliance.matrix(regime, PERIOD))["01"]
    assert (row.status, row.state) == ("on_time", "submitted")
    actions.approve_submission(report, actor=hanoi_approver)
    actions.revise_submission(report, actor=hanoi_reporter, reason="Cục Thống kê điều chỉnh")
    row = by_code(compliance.matrix(regime, PERIOD))["01"]
    assert (row.status, row.state, row.approved) == ("on_time", "draft", False)


def test_scope_limits_the_rows(regime: Regime, make_user, hanoi_approver) -> None:  # type: ignore[no-untyped-def]
    two = compliance.matrix(regime, PERIOD, scope=Q(code__in=["01", "31"]))
    assert [r.org_unit_code for r in two] == ["01", "31"]
    hanoi_leader, national = make_user("hanoi.leader", "leader", "01"), make_user("leader", "leader", "CP")
    scoped = compliance.matrix(regime, PERIOD, scope=access.scope_q(hanoi_leader, Perm.VIEW_COMPLIANCE, field=""))
    assert [r.org_unit_code for r in scoped] == ["01"]
    everything = access.scope_q(national, Perm.VIEW_COMPLIANCE, field="")
    assert len(compliance.matrix(regime, PERIOD, scope=everything)) == 34
    # An approver has no compliance view: nothing.
    assert compliance.matrix(regime, PERIOD, scope=access.scope_q(hanoi_approver, Perm.VIEW_COMPLIANCE,
                                                                  field="")) == []


def test_matrix_uses_three_queries(regime: Regime, clock, hanoi_reporter, make_user,  # type: ignore[no-untyped-def]
                                   django_assert_num_queries) -> None:
    """Expected units, submissions, and (for a regime with a text report) its documents' signatures."""
    clock(2026, 10, 18, 10, 0)
    submitted(regime, hanoi_reporter, "01")
    draft(regime, make_user("haiphong.reporter", "reporter", "31"), "31")
    assert regime.content in ("text", "both")
    with django_assert_num_queries(3):
        rows = compliance.matrix(regime, PERIOD, today=date(2026, 11, 1), scope=Q(level="province"))
    assert len(rows) == 34
    documents = {r.org_unit_code: r.document for r in rows}
    assert documents["01"] == "unsigned" and documents["79"] == "none"  # a test PDF without a signature; no report


def test_coverage_counts_indicators_with_approved_values(regime: Regime, clock, hanoi_reporter,  # type: ignore[no-untyped-def]
                                                        hanoi_approver) -> None:
    total = Indicator.objects.count()
    assert total == 206
    assert compliance.coverage(PERIOD) == (0, total)
    clock(2026, 10, 18, 10, 0)
    report = submitted(regime, hanoi_reporter, "01")
    on_form = regime.indicators.count()
    assert compliance.coverage(PERIOD) == (0, total)  # submitted, not approved yet
    assert compliance.coverage("202610", approved_only=False) == (on_form, total)
    actions.approve_submission(report, actor=hanoi_approver)
    assert compliance.coverage(PERIOD) == (on_form, total)
    assert compliance.coverage("2026-09", approved_only=False) == (0, total)
    assert DataValue.objects.filter(period=PERIOD).values("indicator").distinct().count() == on_form
