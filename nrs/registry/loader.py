"""Load the registry into the database: idempotent, in one transaction.

All sources are read and checked first (nrs.registry.sources); only then is
anything written, so bad data leaves the database as it was. Rows are
matched on their natural keys and written only when they differ, so a
second run changes nothing and writes no audit event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_noop as _

from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.i18n import Pair, bilingual
from nrs.registry import sources
from nrs.registry.models import (
    LEVEL_OF_KIND,
    PENDING_PATH,
    Code,
    Codelist,
    Indicator,
    Lineage,
    MeasureUnit,
    OrgUnit,
    OrgUnitKind,
    Regime,
    Responsibility,
    ValidationRule,
    repath_subtree,
)
from nrs.registry.sources import RegistryError, UnitRecord

Progress = Callable[[str, int, int], None]  # (stage, done, total)
BEFORE_2025 = date(2025, 2, 28)


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class LoadReport:
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> int:
        return sum(n for key, n in self.counts.items() if not key.endswith(".unchanged"))

    def add(self, table: str, created: int = 0, updated: int = 0, unchanged: int = 0,
            deleted: int = 0) -> None:
        for kind, n in (("created", created), ("updated", updated), ("unchanged", unchanged),
                        ("deleted", deleted)):
            if n:
                self.counts[f"{table}.{kind}"] += n


@dataclass
class Sources:
    units: list[UnitRecord]
    lineage: list[sources.LineageRecord]
    measure_units: list[sources.NamedRecord]
    codelists: list[sources.NamedRecord]
    indicators: list[sources.IndicatorRecord]
    regimes: list[sources.RegimeRecord]
    rules: list[sources.RuleRecord]
    agencies_now: dict[str, str]
    agencies_before: dict[str, str]


def read_sources(data_dir: Path = sources.DATA_DIR) -> Sources:
    """Read and cross-check every source. Raises RegistryError on the first bad row."""
    agencies = sources.read_agencies(data_dir / "agencies.yaml")
    admin = sources.read_admin_units(agencies.units[0].key)
    units = agencies.units + admin.units
    _check_units(units)
    now = {u.code: u.key for u in agencies.units if u.valid_to is None}
    before = {u.code: u.key for u in agencies.units
              if u.valid_from <= BEFORE_2025 and (u.valid_to is None or u.valid_to >= BEFORE_2025)}
    measure_units = sources.read_measure_units(data_dir / "units.yaml")
    codelists = sources.read_codelists(data_dir / "codelists.yaml")
    indicators = sources.read_indicators(
        data_dir / "indicators.csv", units={u.code for u in measure_units},
        codelists={c.code for c in codelists}, agencies_now=set(now),
        agencies_before=set(before))
    _check_agency_history(indicators, set(before), data_dir / "indicators.csv")
    current_codes = {u.code for u in units if u.valid_to is None}
    former = {u.code for u in agencies.units if u.valid_to is not None} - current_codes
    regimes = sources.read_regimes(data_dir / "regimes.yaml",
                                   indicators={i.code for i in indicators}, agencies=current_codes,
                                   former=former)
    rules = sources.read_rules(data_dir / "rules.yaml", indicators={i.code for i in indicators})
    return Sources(units, agencies.lineage + admin.lineage, measure_units, codelists, indicators,
                   regimes, rules, now, before)


def _check_units(units: list[UnitRecord]) -> None:
    seen: dict[str, UnitRecord] = {}
    for unit in units:
        if unit.key in seen:
            raise RegistryError(unit.source, unit.row, *bilingual(_("duplicate code '%(code)s' valid from %(day)s"),
                                                                  code=unit.code, day=unit.valid_from))
        if unit.parent_key is not None and unit.parent_key not in seen:
            raise RegistryError(unit.source, unit.row, *bilingual(_("unknown parent '%(code)s'"),
                                                                  code=unit.parent_key))
        seen[unit.key] = unit


def _check_agency_history(indicators: list[sources.IndicatorRecord], before: set[str],
                          path: Path) -> None:
    for ind in indicators:
        if not ind.agency_before and ind.agency not in before:
            raise RegistryError(path.name, ind.row,
                                *bilingual(_("'%(agency)s' did not exist before %(day)s; set agency_before"),
                                           agency=ind.agency, day=Pair("01/03/2025", "2025-03-01")))


# -- writing ---------------------------------------------------------------------------

def load_registry(data_dir: Path = sources.DATA_DIR, *, actor: Any = None,
                  progress: Progress = _quiet) -> LoadReport:
    """Read, check and write the whole registry. Returns what changed."""
    src = read_sources(data_dir)
    report = LoadReport()
    with transaction.atomic():
        unit_ids = _sync_units(src.units, report, progress)
        _sync_lineage(src.lineage, unit_ids, report, progress)
        unit_pk = _sync_named(MeasureUnit, src.measure_units, report)
        codelist_pk = _sync_codelists(src.codelists, report)
        indicator_pk = _sync_indicators(src.indicators, unit_pk, codelist_pk, report, progress)
        _sync_responsibilities(src, indicator_pk, unit_ids, report)
        _sync_regimes(src, indicator_pk, unit_ids, report)
        _sync_rules(src.rules, indicator_pk, report)
        if report.changed:
            root = OrgUnit.objects.get(pk=unit_ids[src.units[0].key])
            record(EventType.REGISTRY_LOADED, actor=actor, org_unit=root,
                   summary=f"{report.changed} changes", data=dict(report.counts))
    return report


def _sync(model: type[models.Model], key_fields: tuple[str, ...], rows: list[dict[str, Any]],
          report: LoadReport, table: str, on_create: dict[str, Any] | None = None
          ) -> dict[tuple[Any, ...], int]:
    """Create missing rows and update differing ones, matched on ``key_fields``;
    ``on_create`` gives values that only new rows take (compared never).
    Returns natural key -> primary key for every row."""
    fields = [name for name in rows[0] if name not in key_fields] if rows else []
    existing = {tuple(r[k] for k in key_fields): r
                for r in model.objects.values("pk", *key_fields, *fields)}  # type: ignore[attr-defined]
    to_create, to_update, unchanged = [], [], 0
    for row in rows:
        key = tuple(row[k] for k in key_fields)
        current = existing.get(key)
        if current is None:
            to_create.append(model(**row, **(on_create or {})))
        elif any(_differs(current[f], row[f]) for f in fields):
            to_update.append(model(pk=current["pk"], **row))
        else:
            unchanged += 1
    model.objects.bulk_create(to_create, batch_size=1000)  # type: ignore[attr-defined]
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=500)  # type: ignore[attr-defined]
    report.add(table, created=len(to_create), updated=len(to_update), unchanged=unchanged)
    return {tuple(r[k] for k in key_fields): r["pk"]
            for r in model.objects.values("pk", *key_fields)}  # type: ignore[attr-defined]


def _differs(current: Any, wanted: Any) -> bool:
    if isinstance(current, float) or isinstance(wanted, float):
        if current is None or wanted is None:
            return current is not wanted
        return abs(float(current) - float(wanted)) > 1e-9
    return bool(current != wanted)


def _depth(unit: UnitRecord, by_key: dict[str, UnitRecord]) -> int:
    depth = 0
    while unit.parent_key is not None:
        unit = by_key[unit.parent_key]
        depth += 1
    return depth


def _sync_units(units: list[UnitRecord], report: LoadReport, progress: Progress) -> dict[str, int]:
    by_key = {u.key: u for u in units}
    levels: dict[int, list[UnitRecord]] = {}
    for unit in units:
        levels.setdefault(_depth(unit, by_key), []).append(unit)
    ids: dict[str, int] = {}
    done = 0
    for depth in sorted(levels):
        rows = [_unit_row(u, ids) for u in levels[depth]]
        # A new unit's path names its own id: it is pending until _sync_paths writes it.
        synced = _sync(OrgUnit, ("code", "valid_from"), rows, report, "orgunit",
                       on_create={"path": PENDING_PATH})
        ids.update({sources.unit_key(code, start): pk for (code, start), pk in synced.items()})
        done += len(rows)
        progress("org units", done, len(units))
    _sync_paths(units, ids)
    return ids


def _unit_row(unit: UnitRecord, ids: dict[str, int]) -> dict[str, Any]:
    return {
        "code": unit.code, "valid_from": unit.valid_from, "kind": unit.kind,
        "level": LEVEL_OF_KIND[OrgUnitKind(unit.kind)].value, "name_vi": unit.name_vi,
        "name_en": unit.name_en, "parent_id": ids[unit.parent_key] if unit.parent_key else None,
        "valid_to": unit.valid_to, "latitude": unit.latitude, "longitude": unit.longitude,
        "area_km2": unit.area_km2, "short_name": unit.short_name,
    }


def _sync_paths(units: list[UnitRecord], ids: dict[str, int]) -> None:
    """Set each unit's materialised path from its parent's (parents come first); units
    made outside the files (in the admin) under a unit whose path changed follow it."""
    paths: dict[str, str] = {}
    for unit in units:
        parent_path = paths[unit.parent_key] if unit.parent_key else "/"
        paths[unit.key] = f"{parent_path}{ids[unit.key]}/"
    wanted = {ids[key]: path for key, path in paths.items()}
    moved = {pk: path for pk, path in OrgUnit.objects.filter(pk__in=wanted).values_list("pk", "path")
             if path != wanted[pk]}
    OrgUnit.objects.bulk_update([OrgUnit(pk=pk, path=wanted[pk]) for pk in moved], ["path"],
                                batch_size=1000)
    for pk, old in sorted(moved.items(), key=lambda item: len(item[1])):
        if old != PENDING_PATH and _has_unloaded_below(old, set(wanted)):
            repath_subtree(old, wanted[pk])


def _has_unloaded_below(path: str, loaded: set[int]) -> bool:
    return OrgUnit.objects.filter(path__startswith=path).exclude(pk__in=loaded).exists()


def _sync_lineage(links: list[sources.LineageRecord], ids: dict[str, int], report: LoadReport,
                  progress: Progress) -> None:
    rows = [{"predecessor_id": ids[link.predecessor_key], "successor_id": ids[link.successor_key],
             "effective": link.effective, "share": link.share, "kind": link.kind,
             "note": link.note} for link in links]
    _sync(Lineage, ("predecessor_id", "successor_id"), rows, report, "lineage")
    progress("lineage", len(rows), len(rows))


def _sync_named(model: type[MeasureUnit] | type[Codelist], records: Iterable[sources.NamedRecord],
                report: LoadReport) -> dict[str, int]:
    rows = [{"code": r.code, "name_vi": r.name_vi, "name_en": r.name_en} for r in records]
    synced = _sync(model, ("code",), rows, report, model._meta.model_name or "")
    return {code: pk for (code,), pk in synced.items()}


def _sync_codelists(records: list[sources.NamedRecord], report: LoadReport) -> dict[str, int]:
    codelist_pk = _sync_named(Codelist, records, report)
    rows = [{"codelist_id": codelist_pk[cl.code], "code": c.code, "name_vi": c.name_vi,
             "name_en": c.name_en, "order": n}
            for cl in records for n, c in enumerate(cl.codes)]
    _sync(Code, ("codelist_id", "code"), rows, report, "code")
    return codelist_pk


def _sync_indicators(records: list[sources.IndicatorRecord], unit_pk: dict[str, int],
                     codelist_pk: dict[str, int], report: LoadReport,
                     progress: Progress) -> dict[str, int]:
    rows = [{
        "code": r.code, "area": r.area, "name_vi": r.name_vi, "name_en": r.name_en,
        "unit_id": unit_pk[r.unit], "value_type": r.value_type, "decimals": r.decimals,
        "frequency": r.frequency, "frequencies": ";".join(r.frequencies[1:]), "kind": r.kind,
        "index_base": r.index_base, "level": r.level, "ou_aggregation": r.ou_aggregation,
        "time_aggregation": r.time_aggregation, "formula": r.formula, "headline": r.headline,
        "description_vi": r.description_vi, "description_en": r.description_en,
        "source": r.source,
    } for r in records]
    synced = _sync(Indicator, ("code",), rows, report, "indicator")
    pks = {code: pk for (code,), pk in synced.items()}
    weights = [Indicator(pk=pks[r.code], weight_id=pks[r.weight] if r.weight else None)
               for r in records]
    current = dict(Indicator.objects.values_list("pk", "weight_id"))
    Indicator.objects.bulk_update([w for w in weights if current[w.pk] != w.weight_id],
                                  ["weight"])
    _sync_m2m(Indicator.breakdowns.through, "indicator_id", "codelist_id",
              {pks[r.code]: {codelist_pk[b] for b in r.breakdowns} for r in records},
              report, "indicator.breakdowns")
    progress("indicators", len(records), len(records))
    return pks


def _sync_m2m(through: type[models.Model], owner: str, other: str,
              wanted: dict[int, set[int]], report: LoadReport, table: str) -> None:
    """Make the link table hold exactly ``wanted`` for the given owners."""
    have: dict[int, set[int]] = {key: set() for key in wanted}
    for owner_id, other_id in through.objects.filter(  # type: ignore[attr-defined]
            **{f"{owner}__in": list(wanted)}).values_list(owner, other):
        have[owner_id].add(other_id)
    add = [through(**{owner: o, other: x}) for o, xs in wanted.items() for x in xs - have[o]]
    gone = [(o, x) for o, xs in have.items() for x in xs - wanted[o]]
    through.objects.bulk_create(add)  # type: ignore[attr-defined]
    for owner_id, other_id in gone:
        through.objects.filter(**{owner: owner_id, other: other_id}).delete()  # type: ignore[attr-defined]
    report.add(table, created=len(add), deleted=len(gone))


def _sync_responsibilities(src: Sources, indicator_pk: dict[str, int], ids: dict[str, int],
                           report: LoadReport) -> None:
    rows = []
    for ind in src.indicators:
        pk = indicator_pk[ind.code]
        rows += _agency_rows(src, ids, pk, "responsible", ind.agency, ind.agency_before)
        if ind.source_agency:
            rows += _agency_rows(src, ids, pk, "source", ind.source_agency, ind.source_before)
    _sync(Responsibility, ("indicator_id", "role", "valid_from"), rows, report, "responsibility")
    wanted = {(r["indicator_id"], r["role"], r["valid_from"]) for r in rows}
    stale = [pk for pk, ind, role, start in Responsibility.objects.values_list(
        "pk", "indicator_id", "role", "valid_from") if (ind, role, start) not in wanted]
    if stale:
        Responsibility.objects.filter(pk__in=stale).delete()
        report.add("responsibility", deleted=len(stale))


def _agency_rows(src: Sources, ids: dict[str, int], indicator: int, role: str, now: str,
                 before: str) -> list[dict[str, Any]]:
    """One agency from the start, or the one before 2025-03-01 and the one since."""
    current = ids[src.agencies_now[now]]
    if not before:
        return [{"indicator_id": indicator, "role": role, "valid_from": sources.ORIGIN,
                 "agency_id": current, "valid_to": None}]
    return [{"indicator_id": indicator, "role": role, "valid_from": sources.ORIGIN,
             "agency_id": ids[src.agencies_before[before]], "valid_to": BEFORE_2025},
            {"indicator_id": indicator, "role": role, "valid_from": sources.MINISTRIES_2025,
             "agency_id": current, "valid_to": None}]


def _sync_regimes(src: Sources, indicator_pk: dict[str, int], ids: dict[str, int],
                  report: LoadReport) -> None:
    current = {u.code: ids[u.key] for u in src.units if u.valid_to is None}
    rows = [{
        "code": r.code, "name_vi": r.name_vi, "name_en": r.name_en,
        "regime_type": r.regime_type, "content": r.content, "frequency": r.frequency,
        "cutoff_day": r.cutoff_day, "deadline_kind": r.deadline_kind,
        "deadline_value": r.deadline_value, "deadline_month_offset": r.deadline_month_offset,
        "reporter_scope": r.reporter_scope,
        "recipient_id": current[r.recipient] if r.recipient else None,
        "outline_vi": r.outline_vi, "outline_en": r.outline_en,
        "approval_required": r.approval_required, "legal_basis": r.legal_basis,
        "document_required": r.document_required,
    } for r in src.regimes]
    synced = _sync(Regime, ("code",), rows, report, "regime")
    pks = {code: pk for (code,), pk in synced.items()}
    _sync_m2m(Regime.indicators.through, "regime_id", "indicator_id",
              {pks[r.code]: {indicator_pk[c] for c in r.indicators} for r in src.regimes},
              report, "regime.indicators")
    _sync_m2m(Regime.optional_indicators.through, "regime_id", "indicator_id",
              {pks[r.code]: {indicator_pk[c] for c in r.optional} for r in src.regimes},
              report, "regime.optional_indicators")
    versions: dict[str, set[int]] = {}  # a listed code: every version of it (TCTK, then CTK)
    for unit in src.units:
        versions.setdefault(unit.code, set()).add(ids[unit.key])
    _sync_m2m(Regime.reporters.through, "regime_id", "orgunit_id",
              {pks[r.code]: {v for c in r.reporters for v in versions[c]} for r in src.regimes},
              report, "regime.reporters")


def _sync_rules(rules: list[sources.RuleRecord], indicator_pk: dict[str, int],
                report: LoadReport) -> None:
    rows = [{
        "code": r.code, "kind": r.kind, "severity": r.severity,
        "indicator_id": indicator_pk[r.indicator], "operator": r.operator,
        "other_id": indicator_pk[r.other] if r.other else None, "terms": ";".join(r.terms),
        "minimum": r.minimum, "maximum": r.maximum, "equals": r.equals,
        "tolerance": r.tolerance, "message_vi": r.message_vi, "message_en": r.message_en,
    } for r in rules]
    _sync(ValidationRule, ("code",), rows, report, "validationrule")
