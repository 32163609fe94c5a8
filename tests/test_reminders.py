"""Reminders before the deadline, overdue notices after it, each sent once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
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


# The daily task runs at 07:00 in Viet Nam (00:00 UTC), on Viet Nam's date. The fixture's
# October report (PROV_KTXH_M, deadline: day 20 of the period's own month,
# 20/10/2026) expects Hà Nội and Hải Phòng, each with one reporter with an e-mail address.
# Reminders go 3 and 1 days before the deadline, overdue notices 1 to 7 days after it, each
# (regime, unit, period, kind) once; the counts below follow from that alone.
DEADLINE = date(2026, 10, 20)
UNITS_EXPECTED = 2  # Hà Nội and Hải Phòng
TASK_RUNS = [(datetime(2026, 10, 17, 7, 0, tzinfo=VIETNAM), "reminder"),  # 3 days before
             (datetime(2026, 10, 19, 7, 0, tzinfo=VIETNAM), "reminder"),  # 1 day before
             (datetime(2026, 10, 21, 7, 0, tzinfo=VIETNAM), "overdue"),   # the day after
             (datetime(2026, 10, 27, 7, 0, tzinfo=VIETNAM), "overdue")]   # a week after


@pytest.mark.parametrize(("at", "kind"), TASK_RUNS, ids=[f"{at:%Y-%m-%d}-{kind}" for at, kind in TASK_RUNS])
def test_the_daily_task_runs_the_same_code(at, kind, reporters) -> None:  # type: ignore[no-untyped-def]
    """Under a fixed clock, on a notice day, the task sends exactly one notice per expected unit."""
    with time_machine.travel(at, tick=False):
        sent = send_report_notices.call_local()
        assert sent == UNITS_EXPECTED
        assert len(mail.outbox) == UNITS_EXPECTED
        monthly = monthly_mail()
        assert sorted(m.to[0] for m in monthly) == ["baocao@haiphong.gov.vn", "baocao@hanoi.gov.vn"]
        marker = "Report due" if kind == "reminder" else "Report overdue"
        assert all(marker in m.subject for m in monthly), [m.subject for m in monthly]
        assert Notice.objects.filter(kind=kind, period="2026-10").count() == UNITS_EXPECTED
        assert send_report_notices.call_local() == 0  # each sent once
        assert len(mail.outbox) == UNITS_EXPECTED


def test_the_daily_task_is_quiet_between_notice_days(reporters) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime(2026, 10, 18, 7, 0, tzinfo=VIETNAM), tick=False):
        assert send_report_notices.call_local() == 0  # two days before: neither a reminder nor overdue day
        assert mail.outbox == []


def _expected_walk(submitted_on: date, submitter: str) -> dict[date, list[tuple[str, str]]]:
    """What each morning of 14-28 October should send, from the rules above alone: a unit that
    has submitted gets no overdue notice; everybody else gets each kind once, on its first day."""
    everyone = ["baocao@haiphong.gov.vn", "baocao@hanoi.gov.vn"]
    first_reminder = DEADLINE - timedelta(days=3)
    first_overdue = DEADLINE + timedelta(days=1)
    walk: dict[date, list[tuple[str, str]]] = {}
    for offset in range(15):
        day = date(2026, 10, 14) + timedelta(days=offset)
        if day == first_reminder:
            walk[day] = [("reminder", to) for to in everyone]
        elif day == first_overdue:
            walk[day] = [("overdue", to) for to in everyone if not (to == submitter and submitted_on < day)]
        else:
            walk[day] = []
    return walk


def test_a_fortnight_of_mornings_sends_exact_counts(reporters) -> None:  # type: ignore[no-untyped-def]
    """Fifteen mornings under a fixed clock, in one database: before the reminder day nothing,
    on it 2 reminders, on the 1-day reminder nothing new, on the deadline nothing, the day
    after 1 overdue notice (Hà Nội submitted on the 18th), then nothing for the rest of the
    week and after it."""
    hanoi, _ = reporters
    regime = Regime.objects.get(code="PROV_KTXH_M")
    submitted_on = date(2026, 10, 18)
    expected = _expected_walk(submitted_on, "baocao@hanoi.gov.vn")
    assert sum(len(v) for v in expected.values()) == 3 and len(expected[DEADLINE + timedelta(days=1)]) == 1
    got: dict[date, list[tuple[str, str]]] = {}
    for day in expected:
        with time_machine.travel(datetime.combine(day, time(7, 0), tzinfo=VIETNAM), tick=False):
            if day == submitted_on:
                actions.submit_submission(draft(regime, hanoi, "01", "2026-10"), actor=hanoi)
            before = len(mail.outbox)
            sent = send_report_notices.call_local()
            new = mail.outbox[before:]
            assert sent == len(new), day
            got[day] = sorted(("reminder" if "Report due" in m.subject else "overdue", m.to[0]) for m in new
                              if "PROV_KTXH_M 2026-10" in m.subject)
            assert len(got[day]) == len(new), [m.subject for m in new]  # nothing from another regime
    assert got == expected


@pytest.mark.parametrize(("at", "count"), [
    (datetime(2026, 10, 16, 23, 30, tzinfo=VIETNAM), 0),  # 16:30 UTC on the 16th: still the 16th in Viet Nam
    (datetime(2026, 10, 17, 0, 30, tzinfo=VIETNAM), 2),   # 17:30 UTC on the 16th: the 17th in Viet Nam
])
def test_the_notice_day_is_viet_nams_date(at, count, reporters) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        assert send_report_notices.call_local() == count
        assert len(monthly_mail()) == count
