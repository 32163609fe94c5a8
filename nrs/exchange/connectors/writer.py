"""Records read by a connector go through the one write path, like every submission:
nrs.collection.actions.check_and_save_values, once per period, all in one transaction.

The run is idempotent: an Idempotency-Key per connector and fetched content (with the
connector's configuration) makes a re-run of unchanged upstream content store nothing,
exactly as a retried API request with the same key (nrs.collection.idempotency).
Any error rolls the whole run back: nothing partial is stored.

A refusal names the place (line, item, field) and what is wrong, never the fetched content
itself: the run log must not become a way to read an internal service's answer (issue 18).
Messages of the shared validation that quote the value are replaced here by position-only
ones (``position_only``); messages written by the regime's rules are kept."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_noop as _

from nrs.collection import actions, idempotency
from nrs.collection.validation import Row, errors
from nrs.i18n import bilingual
from nrs.lib import periods
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit

if TYPE_CHECKING:  # pragma: no cover
    from nrs.exchange.connectors.kinds import Record
    from nrs.exchange.connectors.models import Connector


# Validation codes whose message comes from the configuration, not from the fetched content.
_KEEP = frozenset({"required_missing", "period_kind", "period_not_open", "idempotency", "forbidden"})
_WHAT = {  # code: English msgid (the Vietnamese in django.po), position-only
    "value_invalid": _("the value is not a valid number"),
    "indicator_not_in_regime": _("the indicator is not in the regime"),
    "indicator_derived": _("the indicator is derived, not entered"),
    "unit_unknown": _("unknown org unit"),
    "unit_not_valid": _("the org unit is not valid for the period"),
    "unit_ended": _("the org unit is not valid for the period"),
    "breakdown_invalid": _("invalid breakdown"),
    "flag_unknown": _("unknown flag"),
    "duplicate_row": _("the value appears twice"),
    "unmapped": _("the code is not in the mapping table"),
}


def position_only(code: str, vi: str, en: str) -> tuple[str, str]:
    """The message of a refused record without anything quoted from the record."""
    if code.startswith("rule:") or code in _KEEP:
        return vi, en
    return bilingual(_WHAT.get(code, _("the value is not accepted")))


@dataclass
class Outcome:
    ok: bool
    read: int = 0
    stored: int = 0
    replayed: bool = False
    ref: str = ""
    vi: str = ""
    en: str = ""

    @classmethod
    def refused(cls, ref: str, vi: str, en: str, read: int = 0) -> Outcome:
        return cls(ok=False, read=read, ref=ref, vi=vi, en=en)


class _Refused(Exception):
    """Raised inside the run's transaction to roll it back."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.en)
        self.outcome = outcome


def run_key(connector: Connector, content_sha256: str) -> str:
    """The Idempotency-Key of a run: the connector and a hash of the content and of
    everything that decides what the content means (mapping, regime, unit)."""
    config = json.dumps([connector.kind, connector.mapping, connector.regime_id, connector.org_unit_id],
                        sort_keys=True, default=str)
    digest = hashlib.sha256(content_sha256.encode() + config.encode()).hexdigest()
    return f"connector:{connector.pk}:{digest}"


def _unit_for(connector: Connector, period: periods.Period) -> OrgUnit:
    """The version of the connector's unit valid at the period's end (as the API resolves it)."""
    versions = OrgUnit.objects.filter(code=connector.org_unit.code).order_by("-valid_from")
    return next((u for u in versions if u.is_valid_on(period.end)), connector.org_unit)


def _by_period(records: list[Record]) -> dict[periods.Period, list[Row]]:
    groups: dict[periods.Period, list[Row]] = defaultdict(list)
    for record in records:
        try:
            period = periods.parse(record.period)
        except periods.PeriodError:  # its message quotes the fetched text: the place only
            raise InputError(record.row.where("period"), *bilingual(_("invalid period"))) from None
        groups[period].append(record.row)
    return groups


def write(connector: Connector, records: list[Record], key: str) -> Outcome:
    """Store the records through the action, all or nothing, at most once per key."""
    try:
        groups = _by_period(records)
    except InputError as exc:
        return Outcome.refused(exc.ref, exc.vi, exc.en, read=len(records))
    actor = connector.run_as

    def work() -> tuple[int, dict[str, Any]]:
        stored = 0
        for period, rows in sorted(groups.items(), key=lambda item: item[0].start):
            unit = _unit_for(connector, period)
            for row in rows:  # no org unit column: the connector's reporting unit
                row.org_unit = row.org_unit or unit.code
            result = actions.check_and_save_values(connector.regime, unit, period, rows, actor=actor)
            problems = errors(result.issues)
            if problems:
                first = problems[0]
                vi, en = position_only(first.code, first.vi, first.en)
                raise _Refused(Outcome.refused(first.ref, vi, en, read=len(records)))
            stored += result.saved
        return 200, {"stored": stored, "read": len(records)}

    try:
        _status, body = idempotency.run_once(actor, key, key.rsplit(":", 1)[-1], work)
    except _Refused as exc:
        return exc.outcome
    except PermissionDenied:
        return Outcome.refused("run_as", *bilingual(_("the user '%(actor)s' may not enter data "
                                                      "for this org unit"),
                                                    actor=actor), read=len(records))
    replayed = bool(body.get("replayed"))
    return Outcome(ok=True, read=len(records), stored=0 if replayed else int(body["stored"]), replayed=replayed)
