"""Running connectors: the scheduler's sweep, one run, retries with backoff, the run log.

A run is: fetch (outside any transaction: the network is slow), then in ONE transaction
store the values through the write path, write the run log row's outcome, move the
connector's schedule and record CONNECTOR_RUN (the run log and the schedule are written
by nrs.exchange.connectors.actions). A fetch that fails (network, timeout, HTTP error) is
retried after 1, 2, 4… minutes up to NRS_CONNECTOR_ATTEMPTS attempts, each attempt a row
of the run log; content that is wrong is not retried (the next scheduled run reads it
again). A run still "running" when its claim expires was interrupted (its worker
stopped): the next claim marks it failed.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.exchange.connectors import actions, kinds, refusals, writer
from nrs.exchange.connectors.http import DestinationRefused, FetchError
from nrs.exchange.connectors.models import Connector, ConnectorRun, RunStatus
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=15)  # a claimed connector is not picked again for this long
SWEEP_LIMIT = 50  # connectors per sweep; the rest wait a minute


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt``: 1, 2, 4, 8… minutes."""
    return timedelta(minutes=2 ** (attempt - 1))


def run_due(now: datetime | None = None) -> list[ConnectorRun]:
    """The scheduler's sweep (every minute): run each active connector whose time has come."""
    now = now or timezone.now()
    due = list(Connector.objects.filter(active=True, next_run_at__lte=now)
               .select_related("regime", "org_unit", "run_as").order_by("next_run_at")[:SWEEP_LIMIT])
    runs = []
    for connector in due:
        if not actions.claim_connector(connector, now, lease=LEASE):
            continue
        try:
            runs.append(run_connector(connector, now=now))
        except Exception:  # one broken connector must not stop the others; it is due again after the lease
            log.exception("connector %s: run failed", connector.name)
    return runs


def run_connector(connector: Connector, *, trigger: str = "schedule", now: datetime | None = None) -> ConnectorRun:
    """One attempt, logged; the next run is scheduled whatever happens."""
    now = now or timezone.now()
    run = actions.start_run(connector, trigger=trigger, now=now)
    try:
        kind = kinds.get(connector.kind)
        body = kind.fetch(connector)
    except FetchError as exc:
        return _failed(connector, run, exc, now, retry=True)
    except DestinationRefused as exc:  # the policy said no (checked again at every fetch: DNS changes)
        refusals.record_refused(exc, obj=connector, what="connector", actor=connector.run_as,
                                org_unit=connector.org_unit)
        return _failed(connector, run, exc, now, retry=False)
    except InputError as exc:  # unknown kind, unreadable credentials, a URL that is not http(s)
        return _failed(connector, run, exc, now, retry=False)
    run.content_sha256 = hashlib.sha256(body).hexdigest()
    run.bytes_read = len(body)
    with transaction.atomic():
        outcome = kind.store(connector, body, writer.run_key(connector, run.content_sha256))
        if not outcome.ok:
            run.values_read = outcome.read
            return _failed(connector, run, InputError(outcome.ref, outcome.vi, outcome.en), now, retry=False)
        run.values_read, run.values_stored = outcome.read, outcome.stored
        run.status = RunStatus.STORED if outcome.stored else RunStatus.UNCHANGED
        run.message_vi, run.message_en = bilingual(
            _("read %(read)s values, stored %(stored)s (content unchanged since a previous run)") if outcome.replayed
            else _("read %(read)s values, stored %(stored)s"), read=outcome.read, stored=outcome.stored)
        actions.finish_run(connector, run, now, next_at=now + timedelta(minutes=connector.interval_minutes),
                           attempt=1)
    return run


def _failed(connector: Connector, run: ConnectorRun, exc: InputError, now: datetime, *,
            retry: bool) -> ConnectorRun:
    run.ref, run.message_vi, run.message_en = exc.ref[:200], exc.vi, exc.en
    again = retry and run.attempt < settings.NRS_CONNECTOR_ATTEMPTS
    run.status = RunStatus.RETRYING if again else RunStatus.FAILED
    if again:
        next_at, attempt = now + backoff(run.attempt), run.attempt + 1
    else:
        next_at, attempt = now + timedelta(minutes=connector.interval_minutes), 1
    actions.finish_run(connector, run, now, next_at=next_at, attempt=attempt)
    log.warning("connector %s attempt %s: %s", connector.name, run.attempt, exc)
    return run
