"""Reminders before the deadline, overdue notices after it, each sent once."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from nrs.collection import actions, reminders
from nrs.collection.models import Notice
from nrs.collection.tasks import send_report_notices
from nrs.registry.models import Regime
from tests.test_compliance import SENT_AT, draft

pytestmark = pytest.mark.django_db
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def reporters(make_user):  # type: ignore[no-untyped-def]
    hanoi = make_user("hn.reporter", "reporter", "01")
    hai_phong = make_user("hp.reporter", "reporter", "31")
    for user, email in ((hanoi, "baocao@hanoi.gov.vn"), (hai_phong, "baocao@haiphong.gov.vn")):
        user.email = email
        user.save(update_fields=["email"])
    return hanoi, hai_phong


def monthly_mail() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if "PROV_KTXH_M 2026-10" in m.subject]


def test_reminder_three_days_before_then_overdue(reporters) -> None:  # type: ignore[no-untyped-def]
    hanoi, _ = reporters
    regime = Regime.objects.get(code="PROV_KTXH_M")
    report = draft(regime, hanoi, "01", "2026-10")
    actions.submit_submission(report, actor=hanoi, at=SENT_AT[0])
    reminders.send_due(date(2026, 10, 17))  # deadline 20/10/2026
    reminded = monthly_mail()
    assert [m.to for m in reminded] == [["baocao@haiphong.gov.vn"]]  # Hà Nội already submitted
    assert "Nhắc hạn" in reminded[0].subject and "Report due" in reminded[0].subject
    reminders.send_due(date(2026, 10, 17))
    assert len(monthly_mail()) == 1  # never twice
    reminders.send_due(date(2026, 10, 21))
    overdue = [m for m in monthly_mail() if "overdue" in m.subject]
    assert [m.to for m in overdue] == [["baocao@haiphong.gov.vn"]]
    assert Notice.objects.filter(kind="overdue", period="2026-10").count() == 1


def test_nothing_between_reminder_days(reporters) -> None:  # type: ignore[no-untyped-def]
    reminders.send_due(date(2026, 10, 18))  # two days before: not a reminder day
    assert monthly_mail() == []


# The daily task runs at 07:00 in Viet Nam (00:00 UTC), on Viet Nam's date; the October
# report's deadline is 20/10/2026.
TASK_RUNS = [(datetime(2026, 10, 17, 7, 0, tzinfo=VIETNAM), "reminder"),  # 3 days before
             (datetime(2026, 10, 19, 7, 0, tzinfo=VIETNAM), "reminder"),  # 1 day before
             (datetime(2026, 10, 21, 7, 0, tzinfo=VIETNAM), "overdue"),   # the day after
             (datetime(2026, 10, 27, 7, 0, tzinfo=VIETNAM), "overdue")]   # a week after


@pytest.mark.parametrize(("at", "kind"), TASK_RUNS, ids=[f"{at:%Y-%m-%d}-{kind}" for at, kind in TASK_RUNS])
def test_the_daily_task_runs_the_same_code(at, kind, reporters) -> None:  # type: ignore[no-untyped-def]
    """Under a fixed clock, the task always has a notice to send: it is not "0 == 0" on most days."""
    with time_machine.travel(at, tick=False):
        sent = send_report_notices.call_local()
        assert sent == len(mail.outbox) > 0
        monthly = monthly_mail()
        assert sorted(m.to[0] for m in monthly) == ["baocao@haiphong.gov.vn", "baocao@hanoi.gov.vn"]
        marker = "Report due" if kind == "reminder" else "Report overdue"
        assert all(marker in m.subject for m in monthly), [m.subject for m in monthly]
        assert Notice.objects.filter(kind=kind, period="2026-10").count() == 2
        assert send_report_notices.call_local() == 0  # each sent once


def test_the_daily_task_is_quiet_between_notice_days(reporters) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2026, 10, 18, 7, 0, tzinfo=VIETNAM), tick=False):
        send_report_notices.call_local()
        assert monthly_mail() == []  # two days before: neither a reminder nor overdue day
