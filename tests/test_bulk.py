"""Bulk import: same validation, batched writes, re-runnable."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from nrs.collection import bulk, compliance, queries
from nrs.collection.models import DataValue, State, Submission, Transition
from nrs.lib import periods
from nrs.registry.models import Regime
from nrs.web import demo_values
from tests.conftest import current

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 22)
SENT = datetime(2026, 10, 18, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def loader(make_user):  # type: ignore[no-untyped-def]
    from nrs.accounts import actions

    user = make_user("loader", "system", "CP")
    actions.grant_role(user, "approver", current("CP"))
    return user


def report(code: str = "01", period: str = "2026-10", **kw) -> bulk.Report:  # type: ignore[no-untyped-def]
    regime = Regime.objects.get(code="PROV_KTXH_M")
    indicators = list(regime.indicators.filter(formula="").select_related("unit"))
    rows = demo_values.values_for(indicators, code, 1.0, periods.parse(period))
    return bulk.Report(regime=regime, unit=current(code), period=periods.parse(period), rows=rows,
                       submitted_at=SENT, approved_at=SENT + timedelta(days=1), **kw)


def test_import_writes_whole_reports_once(loader) -> None:  # type: ignore[no-untyped-def]
    result = bulk.import_reports([report(), report("31")], actor=loader, today=TODAY)
    assert (result.reports, result.issues) == (2, [])
    assert result.values == DataValue.objects.count() > 100
    again = bulk.import_reports([report(), report("31")], actor=loader, today=TODAY)
    assert (again.reports, again.skipped) == (0, 2)
    assert list(Transition.objects.filter(submission__org_unit__code="01")
                .values_list("to_state", flat=True)) == ["draft", "submitted", "approved"]
    rows = compliance.matrix(Regime.objects.get(code="PROV_KTXH_M"), "2026-10", today=TODAY)
    assert {r.org_unit_code: r.status for r in rows if r.state}["01"] == "on_time"
    known = queries.values(scope=Q(), units=["01"], period="2026-10",
                           known_on=SENT + timedelta(days=2))
    assert known.count() == result.values // 2


def test_a_bad_row_stops_the_batch_and_stores_nothing(loader) -> None:  # type: ignore[no-untyped-def]
    bad = report("31")
    bad.rows[0].value = "not a number"
    result = bulk.import_reports([report(), bad], actor=loader, today=TODAY)
    assert result.reports == 0 and result.issues[0].code == "value_invalid"
    assert not Submission.objects.exists() and not DataValue.objects.exists()


def test_import_needs_permission(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        bulk.import_reports([report(state=State.APPROVED)], actor=hanoi_reporter, today=TODAY)
    assert not Submission.objects.exists()


def test_demo_values_keep_the_rules() -> None:
    regime = Regime.objects.get(code="PROV_KTXH_M")
    indicators = list(regime.indicators.filter(formula="").select_related("unit"))
    for code in ("01", "79", "37"):
        rows = {r.indicator: float(str(r.value)) for r in
                demo_values.values_for(indicators, code, 3.0, periods.parse("2026-02"))}
        assert rows["EXPORT_FDI"] <= rows["EXPORT_TOTAL"]
        assert rows["DOSSIER_RESOLVED_ONTIME"] <= rows["DOSSIER_RESOLVED"] <= rows["DOSSIER_RECEIVED"]
    sizes = {u.code: s for u, s in demo_values.provinces() if u.valid_to is None}
    old = {u.code: s for u, s in demo_values.provinces() if u.valid_to is not None}
    assert sizes["37"] == pytest.approx(old["35"] + old["36"] + old["37"])  # Ninh Bình = 3 old
