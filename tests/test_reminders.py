"""Reminders before the deadline, overdue notices after it, each sent once."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from nrs.collection import actions, reminders
from nrs.collection.models import Notice
from nrs.collection.tasks import send_report_notices
from nrs.registry.models import Regime
from tests.test_compliance import SENT_AT, draft

pytestmark = pytest.mark.django_db


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


def test_the_daily_task_runs_the_same_code(reporters) -> None:  # type: ignore[no-untyped-def]
    sent = send_report_notices.call_local()
    assert sent == len(mail.outbox)
