"""Reminders before a deadline and overdue notices after it, by e-mail.

Run daily by the background task in nrs.collection.tasks (or `nrs notify`).
Who is expected, and who has not submitted, comes from compliance.matrix; the
recipients are the active reporters of each unit. Each (regime, unit, period,
kind) is sent at most once, recorded in Notice in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop as _

from nrs.accounts.models import Grant, Role
from nrs.collection import compliance
from nrs.collection.models import Notice
from nrs.i18n import Pair, bilingual
from nrs.lib import periods
from nrs.registry.models import Frequency, Regime

REMIND_DAYS = (3, 1)       # working-day-agnostic: calendar days before the deadline
OVERDUE_DAYS = range(1, 8)  # a week after the deadline


@dataclass(frozen=True)
class Due:
    regime: Regime
    unit_id: int
    unit_name: str
    period: periods.Period
    deadline: date
    kind: str  # reminder | overdue


def due_notices(today: date) -> list[Due]:
    found: list[Due] = []
    for regime in Regime.objects.exclude(frequency="").filter(regime_type="periodic"):
        kind = Frequency(regime.frequency).period_kind
        current = periods.Period.containing(kind, today)
        for period in (current.previous(), current, current.next()):
            found.extend(_for_period(regime, period, today))
    return found


def _for_period(regime: Regime, period: periods.Period, today: date) -> list[Due]:
    deadline = regime.schedule_for(period).deadline
    days_left = (deadline - today).days
    if days_left in REMIND_DAYS:
        kind, wanted = "reminder", {compliance.PENDING, compliance.RETURNED}
    elif -days_left in OVERDUE_DAYS:
        kind, wanted = "overdue", {compliance.MISSING, compliance.RETURNED}
    else:
        return []
    return [Due(regime, row.org_unit_id, row.org_unit_name, period, deadline, kind)
            for row in compliance.matrix(regime, period, today=today) if row.status in wanted]


def _recipients(unit_id: int) -> list[str]:
    """The unit's own reporters (a province's reporters are not pinged for its communes)."""
    emails = (Grant.objects.active().filter(role=Role.REPORTER, org_unit_id=unit_id,
                                            user__is_active=True)
              .exclude(user__email="").values_list("user__email", flat=True))
    return sorted(set(emails))


def _message(due: Due) -> tuple[str, str]:
    """Subject and body: the Vietnamese line, then the English one (which has never named the unit)."""
    when = f"{due.deadline:%d/%m/%Y}"
    params = {"regime": Pair(due.regime.name_vi, due.regime.name_en),
              "period": Pair(periods.label(due.period, "vi", style="inline"), periods.label(due.period, "en")),
              "unit": Pair(f", {due.unit_name}", ""), "date": Pair(when, f"{due.deadline:%Y-%m-%d}")}
    if due.kind == "reminder":
        title = bilingual(_("Report due"))
        subject = f"[NRS] {title.vi} / {title.en} {when}: {due.regime.code} {due.period}"
        # Translators: %(unit)s is ", <the unit's name>" in Vietnamese and empty in English.
        line = bilingual(_("%(regime)s, period %(period)s%(unit)s: due on %(date)s."), **params)
    else:
        subject = "[NRS] {} / {}: {} {}".format(*bilingual(_("Report overdue")), due.regime.code, due.period)
        # Translators: %(unit)s is ", <the unit's name>" in Vietnamese and empty in English.
        line = bilingual(_("%(regime)s, period %(period)s%(unit)s: overdue since %(date)s."), **params)
    return subject, f"{line.vi}\n{line.en}\n"


def send_due(today: date) -> int:
    """Send every notice due today that was not sent before. Returns how many."""
    sent = 0
    for due in due_notices(today):
        recipients = _recipients(due.unit_id)
        if recipients and _send_once(due, recipients):
            sent += 1
    return sent


def _send_once(due: Due, recipients: list[str]) -> bool:
    try:
        with transaction.atomic():
            Notice.objects.create(regime=due.regime, org_unit_id=due.unit_id,
                                  period=due.period.sdmx, kind=due.kind, recipients=recipients)
            subject, body = _message(due)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except IntegrityError:
        return False  # already sent
    return True
