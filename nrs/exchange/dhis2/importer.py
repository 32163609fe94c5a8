"""Import a DHIS2 dataValueSets message (JSON, CSV) or an ADX message.

    import_payload(body, media_type, *, actor, token=None, system="", dry_run=False,
                   idempotency_key="") -> ImportSummary

parse (parsers.py) → translate the other side's ids through the partner system's
mapping tables (or, with no system, as NRS codes) → group by regime × org unit × period →
save every group through nrs.collection.actions.check_and_save_values, the write path
and validation every other submission uses, all in ONE transaction: if any group fails,
nothing is stored. A dry run goes the same way and is rolled back, so its counts are
exactly what a real import would do. Bad input never raises out of here: the summary
says ok=False and lists the conflicts, each naming its place in the message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_noop as _

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.collection import actions, context, idempotency
from nrs.collection.models import Submission
from nrs.collection.validation import Issue, Row
from nrs.exchange.dhis2 import parsers
from nrs.exchange.dhis2 import periods as dhis2_periods
from nrs.exchange.dhis2.models import (
    DataElementMap,
    DataSetMap,
    OrgUnitMap,
    PartnerSystem,
)
from nrs.exchange.dhis2.options import CODE, ImportOptions, resolve
from nrs.i18n import bilingual
from nrs.lib import periods
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit, Regime

DEFAULT_COMBOS = frozenset({"", "default", "(default)"})


@dataclass
class ImportSummary:
    """What DHIS2 answers an import with (status, importCount, conflicts), plus our
    bilingual message. ``status_code`` is the HTTP status the API gives it."""

    ok: bool
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    status_code: int = 200
    dry_run: bool = False
    submissions: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False

    @property
    def status(self) -> str:
        if not self.ok:
            return "ERROR"
        return "WARNING" if self.conflicts else "SUCCESS"

    def as_dict(self) -> dict[str, Any]:
        vi, en = self._message()
        found: dict[str, Any] = {
            "responseType": "ImportSummary", "status": self.status, "dryRun": self.dry_run,
            "importCount": {"imported": self.imported, "updated": self.updated,
                            "ignored": self.ignored, "deleted": self.deleted},
            "conflicts": self.conflicts, "submissions": self.submissions,
            "message_vi": vi, "message_en": en}
        if self.replayed:
            found["replayed"] = True
        return found

    def _message(self) -> tuple[str, str]:
        if not self.ok:
            return bilingual(_("nothing stored: %(count)s error(s)"), count=len(self.conflicts))
        counts = bilingual(_("%(imported)s imported, %(updated)s updated, %(ignored)s unchanged"),
                           imported=self.imported, updated=self.updated, ignored=self.ignored)
        if self.deleted:
            counts = bilingual(_("%(counts)s, %(deleted)s deleted"), counts=counts, deleted=self.deleted)
        if self.dry_run:
            return bilingual(_("dry run, nothing stored: %(counts)s"), counts=counts)
        return bilingual(_("imported: %(counts)s"), counts=counts)

    @classmethod
    def from_answer(cls, status_code: int, body: dict[str, Any]) -> ImportSummary:
        """The summary back from a stored answer (an Idempotency-Key replay), or from
        idempotency's own refusals, which carry only a message."""
        counts = body.get("importCount", {})
        conflicts = body.get("conflicts")
        if conflicts is None:  # idempotency's own answer (a bad or reused key)
            conflicts = [_conflict(Issue("Idempotency-Key", "Idempotency-Key", "idempotency",
                                         "error", body.get("message_vi", ""),
                                         body.get("message_en", "")))]
        return cls(ok=body.get("status") in ("SUCCESS", "WARNING"), imported=counts.get("imported", 0),
                   updated=counts.get("updated", 0), ignored=counts.get("ignored", 0),
                   deleted=counts.get("deleted", 0), conflicts=conflicts, status_code=status_code,
                   dry_run=bool(body.get("dryRun")), submissions=body.get("submissions", []),
                   replayed=bool(body.get("replayed")))


def _conflict(issue: Issue) -> dict[str, Any]:
    """A DHIS2 conflict ({object, value}) whose object is the place in the message."""
    return {"object": issue.ref, "value": issue.en, "code": issue.code,
            "severity": issue.severity, "message_vi": issue.vi, "message_en": issue.en}


def _input_conflict(exc: InputError, code: str = "invalid") -> dict[str, Any]:
    return _conflict(Issue(exc.ref, exc.ref, code, "error", exc.vi, exc.en))


def _failed(status_code: int, conflicts: list[dict[str, Any]], dry_run: bool) -> ImportSummary:
    return ImportSummary(ok=False, conflicts=conflicts, status_code=status_code, dry_run=dry_run)


def option_refused(exc: InputError) -> ImportSummary:
    """The summary of an import refused for one of its options (409, the option named)."""
    return _failed(409, [_input_conflict(exc, "option_refused")], False)


# -- translation ------------------------------------------------------------------------

@dataclass
class Group:
    """The values of one report: regime × org unit × period."""

    regime: Regime
    unit: OrgUnit
    period: periods.Period
    rows: list[Row] = field(default_factory=list)
    deletes: set[str] = field(default_factory=set)  # refs of the rows that delete their value


class Translator:
    """The partner system's ids → ours. With no system, ids are NRS codes (regime,
    indicator, org unit) and the category option combo is our breakdown text."""

    def __init__(self, system: PartnerSystem | None, options: ImportOptions | None = None) -> None:
        self.system = system
        self.fallback = system is None or system.codes_fallback
        # idScheme=CODE for a kind of object: its ids are NRS codes, the tables are not read.
        self.codes = {kind for kind, scheme in (options or ImportOptions()).schemes.items()
                      if scheme == CODE}
        self.default_combos = DEFAULT_COMBOS | ({system.default_combo} if system else set())
        self.data_sets: dict[str, Regime] = {}
        self.elements: dict[tuple[str, str], tuple[str, str]] = {}
        self.units: dict[str, str] = {}
        if system is not None:
            self._load(system)
        self.unit_versions: dict[tuple[str, periods.Period], OrgUnit | None] = {}

    def _load(self, system: PartnerSystem) -> None:
        """The whole table at once (a few thousand rows at most: one per commune)."""
        for ds in DataSetMap.objects.filter(system=system, active=True).select_related("regime"):
            self.data_sets[ds.remote_id] = ds.regime
        for de in DataElementMap.objects.filter(system=system, active=True).select_related("indicator"):
            self.elements[(de.data_element, de.combo)] = (de.indicator.code, de.breakdown)
        self.units = dict(OrgUnitMap.objects.filter(system=system, active=True)
                          .values_list("remote_id", "org_unit__code"))

    def element(self, value: parsers.RemoteValue) -> tuple[str, str]:
        """(indicator code, breakdown) of a data element and its combo."""
        combo = "" if value.combo in self.default_combos else value.combo
        if "data_element" in self.codes:
            return value.data_element, combo
        found = self.elements.get((value.data_element, combo))
        if found is not None:
            return found
        if self.fallback:
            return value.data_element, combo
        if any(key[0] == value.data_element for key in self.elements):
            raise InputError(value.where("combo"),
                             *bilingual(_("category option combo '%(combo)s' of data element "
                                          "'%(data_element)s' is not mapped"),
                                        combo=value.combo, data_element=value.data_element))
        raise InputError(value.where("data_element"),
                         *bilingual(_("unknown data element '%(data_element)s'"),
                                    data_element=value.data_element))

    def unit(self, value: parsers.RemoteValue, period: periods.Period) -> OrgUnit:
        """Our org unit: the version of the mapped code that is valid in the period."""
        remote = value.org_unit
        if not remote:
            raise InputError(value.where("org_unit"), *bilingual(_("missing orgUnit")))
        code = remote if "org_unit" in self.codes else (
            self.units.get(remote) or (remote if self.fallback else None))
        if code is None:
            raise InputError(value.where("org_unit"), *bilingual(_("unknown org unit '%(remote)s'"),
                                                                 remote=remote))
        if (code, period) not in self.unit_versions:
            versions = list(OrgUnit.objects.filter(code=code).order_by("-valid_from"))
            self.unit_versions[(code, period)] = next(
                (u for u in versions if u.is_valid_on(period.end)), versions[0] if versions else None)
        found = self.unit_versions[(code, period)]
        if found is None:
            raise InputError(value.where("org_unit"), *bilingual(_("unknown org unit '%(unit)s'"), unit=remote))
        return found

    def regime(self, remote: str, ref: str, unit: OrgUnit, period: periods.Period,
               codes: set[str]) -> Regime:
        """The data set's regime; with none named, the system's default, else the one
        regime of that frequency whose form has every indicator the group carries."""
        if remote:
            found = None if "data_set" in self.codes else self.data_sets.get(remote)
            if found is None and (self.fallback or "data_set" in self.codes):
                found = Regime.objects.filter(code=remote).first()
            if found is None:
                raise InputError(ref, *bilingual(_("unknown data set '%(remote)s'"),
                                                 remote=remote))
            return found
        if self.system is not None and self.system.default_regime is not None:
            return self.system.default_regime
        return _infer_regime(ref, unit, period, codes)

    def attribute_combo(self, value: parsers.RemoteValue) -> None:
        if value.attribute_combo not in self.default_combos:
            raise InputError(value.where("attribute_combo"),
                             *bilingual(_("NRS has no attribute dimension: '%(attribute_combo)s' "
                                          "(send the default attribute option combo)"),
                                        attribute_combo=value.attribute_combo))


def _infer_regime(ref: str, unit: OrgUnit, period: periods.Period, codes: set[str]) -> Regime:
    forms: dict[int, set[str]] = defaultdict(set)
    for regime_id, code in (Regime.indicators.through.objects
                            .filter(regime__frequency=period.kind.value, indicator__code__in=codes)
                            .values_list("regime_id", "indicator__code")):
        forms[regime_id].add(code)
    found = list(Regime.objects.filter(pk__in=[pk for pk, form in forms.items() if form == codes])
                 .order_by("code"))
    if len(found) > 1:
        found = [r for r in found if r.reporting_units(period.end).filter(pk=unit.pk).exists()]
    if len(found) != 1:
        raise InputError(ref, *bilingual(_("cannot tell which regime these values belong to; "
                                           "name the data set (dataSet)")))
    return found[0]


def translate(values: list[parsers.RemoteValue], translator: Translator, *, delete_all: bool = False,
              reason: str = "") -> tuple[list[Group], list[dict[str, Any]]]:
    """Every value into a Row of its group; every id that does not translate is a
    conflict naming its place (all of them, not just the first). A delete (the value's
    ``deleted``, or ``delete_all`` for importStrategy=DELETE) becomes a row that clears the
    value, its comment the ``reason``."""
    conflicts: list[dict[str, Any]] = []
    pending: dict[tuple[str, int, periods.Period], list[tuple[parsers.RemoteValue, Row]]] = defaultdict(list)
    units: dict[int, OrgUnit] = {}
    for value in values:
        try:
            period = dhis2_periods.parse_id(value.period, value.where("period")) if value.period else None
            if period is None:
                raise InputError(value.where("period"), *bilingual(_("missing period")))
            unit = translator.unit(value, period)
            translator.attribute_combo(value)
            code, breakdown = translator.element(value)
        except InputError as exc:
            conflicts.append(_input_conflict(exc, "unmapped"))
            continue
        units[unit.pk] = unit
        deleting = delete_all or value.deleted
        row = Row(ref=value.ref, indicator=code, org_unit=unit.code,
                  value=None if deleting else value.value, breakdown=breakdown,
                  comment=reason if deleting else value.comment,
                  refs={"indicator": value.where("data_element"), "orgUnit": value.where("org_unit"),
                        "value": value.where("value"), "breakdown": value.where("combo"),
                        "comment": value.where("comment")})
        pending[(value.data_set, unit.pk, period)].append((value, row))
    groups: dict[tuple[int, int, periods.Period], Group] = {}
    for (data_set, unit_pk, period), items in pending.items():
        first = items[0][0]
        try:
            regime = translator.regime(data_set, first.where("data_set"), units[unit_pk], period,
                                       {str(row.indicator) for _v, row in items})
        except InputError as exc:
            conflicts.append(_input_conflict(exc, "unmapped"))
            continue
        group = groups.setdefault((regime.pk, unit_pk, period), Group(regime, units[unit_pk], period))
        group.rows.extend(row for _v, row in items)
        group.deletes.update(row.ref for value, row in items if delete_all or value.deleted)
    return list(groups.values()), conflicts


# -- saving -----------------------------------------------------------------------------

class _Undo(Exception):
    """Raised inside the import's transaction to roll it back (a failed group, a dry run)."""

    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary


def _forbidden(group: Group) -> dict[str, Any]:
    return _conflict(Issue(group.rows[0].where("orgUnit"), "orgUnit", "forbidden", "error",
                           *bilingual(_("org unit '%(code)s' is outside your scope"),
                                      code=group.unit.code)))


def _submission(regime: Regime, unit: OrgUnit, period: periods.Period) -> Submission | None:
    return Submission.objects.filter(regime=regime, org_unit=unit, period=period.sdmx).first()


def _key(row: Row) -> tuple[str, str, str]:
    """The stored key a row lands on (indicator, org unit, breakdown written sorted)."""
    breakdown = ";".join(sorted(part.strip() for part in str(row.breakdown or "").split(";")
                                if part.strip()))
    return str(row.indicator), str(row.org_unit), breakdown


def _save_all(groups: list[Group], *, actor: Any, token: Any, dry_run: bool,
              strategy: str = "CREATE_AND_UPDATE", reason: str = "",
              base: ImportSummary | None = None) -> ImportSummary:
    """Every group through the one write path, in one transaction: all or nothing."""
    summary = base or ImportSummary(ok=True)
    summary.dry_run = dry_run
    try:
        with transaction.atomic():
            for group in groups:
                _save_group(group, summary, actor=actor, token=token, strategy=strategy,
                            reason=reason)
            if dry_run:
                raise _Undo(summary)
    except _Undo as undo:
        return undo.summary
    return summary


def _kept(group: Group, existing: dict[tuple[str, str, str], Any], strategy: str) -> list[Row]:
    """The rows the import strategy lets through: a delete of a value that is not stored,
    CREATE of a stored value, UPDATE of a value not stored are ignored (as DHIS2 counts them)."""
    kept = []
    for row in group.rows:
        old = existing.get(_key(row))
        stored = old is not None and old.value is not None
        if row.ref in group.deletes:
            if stored:
                kept.append(row)
        elif (strategy == "CREATE" and stored) or (strategy == "UPDATE" and not stored):
            continue
        else:
            kept.append(row)
    return kept


def _save_group(group: Group, summary: ImportSummary, *, actor: Any, token: Any,
                strategy: str = "CREATE_AND_UPDATE", reason: str = "") -> None:
    existing = _submission(group.regime, group.unit, group.period)
    stored = context.existing_rows(existing)
    before = {key: row.pk for key, row in stored.items()}
    rows = _kept(group, stored, strategy)
    summary.ignored += len(group.rows) - len(rows)
    if not rows:
        return
    result = actions.check_and_save_values(group.regime, group.unit, group.period, rows,
                                           actor=actor, token=token)
    summary.conflicts += [_conflict(issue) for issue in result.issues]
    if not result.ok or result.submission is None:
        failed = _failed(422, [c for c in summary.conflicts if c["severity"] == "error"],
                         summary.dry_run)
        raise _Undo(failed)
    now = context.existing_rows(result.submission)
    new = [key for key, row in now.items() if before.get(key) != row.pk]
    cleared = [key for key in new if key in before and now[key].value is None
               and stored[key].value is not None]
    updated = sum(1 for key in new if key in before) - len(cleared)
    summary.imported += len(new) - updated - len(cleared)
    summary.updated += updated
    summary.deleted += len(cleared)
    summary.ignored += result.unchanged
    if cleared:  # the reason is on each cleared row (its comment) and here, in the audit
        record(EventType.VALUES_SAVED, actor=actor, org_unit=group.unit, obj=result.submission,
               summary=f"{result.submission}: {len(cleared)} values deleted ({reason})"[:300],
               data={"deleted": ["/".join(key) for key in cleared], "reason": reason,
                     "strategy": strategy, "version": result.submission.version})
    known = existing is not None or not summary.dry_run  # a dry run's new report is rolled back
    summary.submissions.append({"id": result.submission.pk if known else None,
                                "regime": group.regime.code,
                                "orgUnit": group.unit.code, "period": group.period.sdmx,
                                "state": result.submission.state})


# -- the entry point ----------------------------------------------------------------------

def _run(body: bytes, media_type: str, *, actor: Any, token: Any, system: str, dry_run: bool,
         data_set: str, query: dict[str, str] | None = None,
         partial: bool | None = None) -> ImportSummary:
    if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return _failed(413, [_input_conflict(InputError(
            "body", *bilingual(_("the message is too large: at most %(limit)s MB"),
                               limit=limit)))],
            dry_run)
    try:
        values, carried = parsers.parse_message(body, media_type)
        if data_set:
            for value in values:
                value.data_set = value.data_set or data_set
        partner = _partner(system)
    except InputError as exc:
        return _failed(415 if exc.ref == "Content-Type" else 400, [_input_conflict(exc)], dry_run)
    try:
        options = resolve({"dryRun": str(dry_run).lower(), **(query or {})}, carried)
    except InputError as exc:
        return _failed(409, [_input_conflict(exc, "option_refused")], dry_run)
    dry_run = options.dry_run
    reason = _reason(partner, options)
    groups, conflicts = translate(values, Translator(partner, options),
                                  delete_all=options.strategy == "DELETE", reason=reason)
    base = ImportSummary(ok=True)
    if conflicts:
        if not (partial if partial is not None else partner is not None and partner.partial_import):
            return _failed(422, conflicts, dry_run)
        # As DHIS2 does: the values that translate are imported, the others ignored and
        # reported (status WARNING). Write-path errors still refuse the whole message.
        base.conflicts = [{**c, "severity": "warning"} for c in conflicts]
        base.ignored = len(values) - sum(len(g.rows) for g in groups)
    refused = [_forbidden(g) for g in groups
               if not access.has_perm(actor, Perm.ENTER_DATA, g.unit, token=token)]
    if refused:
        return _failed(403, refused, dry_run)
    try:
        return _save_all(groups, actor=actor, token=token, dry_run=dry_run,
                         strategy=options.strategy, reason=reason, base=base)
    except PermissionDenied:  # the action's own check (a grant revoked meanwhile)
        return _failed(403, [_forbidden(g) for g in groups], dry_run)


def _reason(partner: PartnerSystem | None, options: ImportOptions) -> str:
    """Why a value was cleared, kept as the cleared row's comment and in the audit."""
    source = partner.code if partner is not None else "DHIS2"
    how = "importStrategy=DELETE" if options.strategy == "DELETE" else '"deleted": true'
    return f"deleted by {source} (DHIS2 dataValueSets import, {how})"


def _partner(code: str) -> PartnerSystem | None:
    if not code:
        return None
    found = PartnerSystem.objects.filter(code=code, active=True).select_related("default_regime").first()
    if found is None:
        raise InputError("system", *bilingual(_("unknown or inactive partner system '%(code)s'"),
                                              code=code))
    return found


def import_payload(body: bytes, media_type: str, *, actor: Any, token: Any = None, system: str = "",
                   dry_run: bool = False, idempotency_key: str = "",
                   data_set: str = "", query: dict[str, str] | None = None,
                   partial: bool | None = None) -> ImportSummary:
    """Import one message (see the module's docstring). ``media_type``: application/json,
    text/csv, application/adx+xml or application/xml (DXF2). ``data_set`` names the data set
    for messages that do not (DHIS2 CSV). ``query``: DHIS2's import options as sent
    (options.py: each honoured or refused). ``partial``: import what translates and report
    the rest (default: the partner system's ``partial_import``). With an
    ``idempotency_key`` a message sent again is stored once and answered with the first answer."""
    if not access.has_perm(actor, Perm.ENTER_DATA, token=token):
        return _failed(403, [_conflict(Issue("actor", "actor", "forbidden", "error",
                                             *bilingual(_("not allowed to enter data"))))], dry_run)

    def run() -> ImportSummary:
        return _run(body, media_type, actor=actor, token=token, system=system,
                    dry_run=dry_run, data_set=data_set, query=query, partial=partial)

    dry = dry_run or str((query or {}).get("dryRun", "")).strip().lower() == "true"
    if not idempotency_key or dry:  # dry runs skip keys, as on /api/dataValueSets
        return run()

    def work() -> tuple[int, dict[str, Any]]:
        summary = run()
        return summary.status_code, summary.as_dict()

    options = "&".join(f"{k}={v}" for k, v in sorted((query or {}).items()))
    fingerprint = idempotency.request_hash(
        "POST", f"dhis2:{media_type}?system={system}&dataSet={data_set}&{options}", body)
    return ImportSummary.from_answer(*idempotency.run_once(actor, idempotency_key, fingerprint, work))
