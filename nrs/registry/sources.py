"""Read the registry's sources into plain records, rejecting bad rows.

Sources: the data files in nrs/registry/data/ (agencies, indicators,
codelists, units, regimes) and the tables of the PyPI package
``vietnamadminunits`` (provinces, districts, communes and the 2025 mapping).

Every error names the file and the row, in Vietnamese and English.
Nothing here touches the database; nrs.registry.loader writes the records.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.lib import formulas
from nrs.lib.text import ascii_fold

DATA_DIR = Path(__file__).parent / "data"
ORIGIN = date(1900, 1, 1)
REORG = date(2025, 7, 1)
LEGACY_END = date(2025, 6, 30)
MINISTRIES_2025 = date(2025, 3, 1)
PACKAGE = "vietnamadminunits"


class RegistryError(ValueError):
    """A bad row in a registry source."""

    def __init__(self, source: str, row: int | str, vi: str, en: str) -> None:
        self.source, self.row, self.vi, self.en = source, row, vi, en
        super().__init__(f"{source}, dòng/row {row}: {vi} / {en}")


@dataclass
class UnitRecord:
    key: str               # "code@valid_from", the natural key
    code: str
    kind: str
    name_vi: str
    name_en: str
    parent_key: str | None
    valid_from: date = ORIGIN
    valid_to: date | None = None
    latitude: float | None = None
    longitude: float | None = None
    area_km2: float | None = None
    short_name: str = ""
    source: str = ""
    row: int | str = 0


@dataclass
class LineageRecord:
    predecessor_key: str
    successor_key: str
    effective: date
    share: Decimal
    kind: str
    note: str = ""


@dataclass
class UnitSet:
    units: list[UnitRecord] = field(default_factory=list)
    lineage: list[LineageRecord] = field(default_factory=list)


def unit_key(code: str, valid_from: date) -> str:
    return f"{code}@{valid_from.isoformat()}"


# -- agencies.yaml ---------------------------------------------------------------------

AGENCY_KINDS = {"ministry", "ministerial_agency", "government_agency"}


def _yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark else "?"
        raise RegistryError(path.name, row, *bilingual(_("invalid YAML: %(error)s"), error=exc)) from None


def _need(item: dict[str, Any], name: str, source: str, row: int | str) -> Any:
    value = item.get(name)
    if value in (None, ""):
        raise RegistryError(source, row, *bilingual(_("missing field '%(name)s'"), name=name))
    return value


def read_agencies(path: Path) -> UnitSet:
    data = _yaml(path) or {}
    source = path.name
    gov = data.get("government") or {}
    root_code = _need(gov, "code", source, "government")
    result = UnitSet()
    result.units.append(UnitRecord(
        key=unit_key(root_code, ORIGIN), code=root_code, kind="government",
        name_vi=_need(gov, "name_vi", source, "government"),
        name_en=_need(gov, "name_en", source, "government"),
        parent_key=None, source=source, row="government"))
    current: dict[str, UnitRecord] = {}  # code -> the version valid last
    pending_lineage: list[tuple[UnitRecord, list[dict[str, Any]], int]] = []
    seen = {result.units[0].key}
    for row, item in enumerate(data.get("agencies") or [], start=1):
        record = _agency_record(item, source, row, root_code)
        if record.key in seen:
            raise RegistryError(source, row, *bilingual(_("duplicate code '%(code)s' (same valid_from)"),
                                                        code=record.code))
        seen.add(record.key)
        result.units.append(record)
        current[record.code] = record
        pending_lineage.append((record, item.get("successors") or [], row))
    _resolve_agency_parents(result.units, current, source)
    for record, successors, row in pending_lineage:
        result.lineage.extend(_agency_lineage(record, successors, current, source, row))
    return result


def _agency_record(item: dict[str, Any], source: str, row: int, root_code: str) -> UnitRecord:
    code = str(_need(item, "code", source, row))
    kind = _need(item, "kind", source, row)
    if kind not in AGENCY_KINDS:
        raise RegistryError(source, row, *bilingual(_("unknown agency kind '%(kind)s'"), kind=kind))
    valid_from = item.get("valid_from") or ORIGIN
    return UnitRecord(
        key=unit_key(code, valid_from), code=code, kind=kind,
        name_vi=_need(item, "name_vi", source, row), name_en=_need(item, "name_en", source, row),
        parent_key=str(item.get("parent") or root_code),  # a code for now; resolved below
        valid_from=valid_from, valid_to=item.get("valid_to"), source=source, row=row)


def _resolve_agency_parents(units: list[UnitRecord], current: dict[str, UnitRecord],
                            source: str) -> None:
    root = units[0]
    for record in units[1:]:
        parent_code = record.parent_key
        if parent_code == root.code:
            record.parent_key = root.key
        elif parent_code in current:
            record.parent_key = current[parent_code].key
        else:
            raise RegistryError(source, record.row, *bilingual(_("unknown parent '%(code)s'"), code=parent_code))


def _agency_lineage(record: UnitRecord, successors: list[dict[str, Any]],
                    current: dict[str, UnitRecord], source: str, row: int) -> list[LineageRecord]:
    if not successors:
        return []
    if record.valid_to is None:
        raise RegistryError(source, row, *bilingual(_("a current unit cannot have successors (set valid_to)")))
    links, total = [], Decimal(0)
    for successor in successors:
        code = str(successor.get("code", ""))
        if code not in current:
            raise RegistryError(source, row, *bilingual(_("unknown successor '%(code)s'"), code=code))
        share = Decimal(str(successor.get("share", 1)))
        total += share
        kind = "merge" if len(successors) == 1 else "transfer"
        links.append(LineageRecord(record.key, current[code].key,
                                   record.valid_to + timedelta(days=1), share, kind))
    if total != 1:
        raise RegistryError(source, row, *bilingual(_("successor shares add up to %(total)s, not 1"), total=total))
    return links


# -- vietnamadminunits: provinces, districts, communes ------------------------------------

_PROVINCE_KIND = {"Thành phố": "city", "Tỉnh": "province"}
_DISTRICT_EN = {"Quận": "District", "Huyện": "District", "Thị xã": "Town", "Thành phố": "City"}
_WARD_KIND = {"Xã": "commune", "Phường": "ward", "Thị trấn": "township", "Đặc khu": "special_zone"}
_WARD_EN = {"commune": "Commune", "ward": "Ward", "township": "Township",
            "special_zone": "Special Zone"}


def _package_tables() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    from vietnamadminunits.database import query

    new = query("SELECT rowid AS _row, * FROM admin_units ORDER BY provinceCode, wardCode")
    legacy = query("SELECT rowid AS _row, * FROM admin_units_legacy "
                   "ORDER BY provinceCode, districtCode, wardCode")
    converter = json.loads(
        resources.files(PACKAGE).joinpath("data/converter_2025.json").read_text("utf-8"))
    return new, legacy, converter


def _province_kind(full_name: str) -> str:
    prefix = "Thành phố" if full_name.startswith("Thành phố") else "Tỉnh"
    return _PROVINCE_KIND[prefix]


def _province_en(short: str, kind: str) -> str:
    return f"{ascii_fold(short)} {'City' if kind == 'city' else 'Province'}"


def read_admin_units(root_key: str) -> UnitSet:
    """The 34 provinces and 3,321 communes from 2025-07-01; the 63 provinces,
    districts and communes until 2025-06-30; the lineage between them."""
    new, legacy, converter = _package_tables()
    province_map: dict[str, list[str]] = converter["DICT_PROVINCE"]
    unchanged = {new_key for new_key, olds in province_map.items() if olds == [new_key]}
    result = UnitSet()
    new_prov = _new_provinces(new, unchanged, root_key, result)
    old_prov = _legacy_provinces(legacy, unchanged, new_prov, root_key, result)
    districts = _legacy_districts(legacy, old_prov, result)
    old_wards = _legacy_communes(legacy, districts, result)
    new_wards = _new_communes(new, new_prov, result)
    _province_lineage(province_map, unchanged, old_prov, new_prov, result)
    _commune_lineage(converter, old_wards, districts, new_wards, result)
    return result


def _new_provinces(rows: list[dict[str, Any]], unchanged: set[str], root_key: str,
                   out: UnitSet) -> dict[str, UnitRecord]:
    area: dict[str, float] = defaultdict(float)
    for row in rows:
        area[row["provinceKey"]] += row["wardAreaKm2"] or 0.0
    provinces: dict[str, UnitRecord] = {}
    for row in rows:
        key = row["provinceKey"]
        if key in provinces:
            continue
        kind = _province_kind(row["province"])
        valid_from = ORIGIN if key in unchanged else REORG
        provinces[key] = UnitRecord(
            key=unit_key(row["provinceCode"], valid_from), code=row["provinceCode"], kind=kind,
            name_vi=row["province"], name_en=_province_en(row["provinceShort"], kind),
            parent_key=root_key, valid_from=valid_from, latitude=row["provinceLat"],
            longitude=row["provinceLon"], area_km2=round(area[key], 2),
            short_name=row["provinceShort"], source=f"{PACKAGE}:admin_units", row=row["_row"])
    out.units.extend(provinces.values())
    return provinces


def _legacy_provinces(rows: list[dict[str, Any]], unchanged: set[str],
                      new_prov: dict[str, UnitRecord], root_key: str,
                      out: UnitSet) -> dict[str, UnitRecord]:
    provinces: dict[str, UnitRecord] = {}
    for row in rows:
        key = row["provinceKey"]
        if key in provinces:
            continue
        if key in unchanged:  # one continuous unit before and after 2025
            provinces[key] = new_prov[key]
            continue
        kind = _province_kind(row["province"])
        record = UnitRecord(
            key=unit_key(row["provinceCode"], ORIGIN), code=row["provinceCode"], kind=kind,
            name_vi=row["province"], name_en=_province_en(row["provinceShort"], kind),
            parent_key=root_key, valid_to=LEGACY_END, latitude=row["provinceLat"],
            longitude=row["provinceLon"], short_name=row["provinceShort"],
            source=f"{PACKAGE}:admin_units_legacy", row=row["_row"])
        provinces[key] = record
        out.units.append(record)
    return provinces


def _legacy_districts(rows: list[dict[str, Any]], provinces: dict[str, UnitRecord],
                      out: UnitSet) -> dict[str, UnitRecord]:
    districts: dict[str, UnitRecord] = {}
    for row in rows:
        key = f"{row['provinceKey']}_{row['districtKey']}"
        if key in districts:
            continue
        suffix = _DISTRICT_EN.get(row["districtType"] or "", "District")
        record = UnitRecord(
            key=unit_key(row["districtCode"], ORIGIN), code=row["districtCode"], kind="district",
            name_vi=row["district"], name_en=f"{ascii_fold(row['districtShort'])} {suffix}",
            parent_key=provinces[row["provinceKey"]].key, valid_to=LEGACY_END,
            latitude=row["districtLat"], longitude=row["districtLon"],
            short_name=row["districtShort"], source=f"{PACKAGE}:admin_units_legacy",
            row=row["_row"])
        districts[key] = record
        out.units.append(record)
    return districts


def _legacy_communes(rows: list[dict[str, Any]], districts: dict[str, UnitRecord],
                     out: UnitSet) -> dict[str, UnitRecord]:
    wards: dict[str, UnitRecord] = {}
    for row in rows:
        if not row["wardCode"]:  # island districts with no communes
            continue
        kind = _WARD_KIND[row["wardType"]]
        record = UnitRecord(
            key=unit_key(row["wardCode"], ORIGIN), code=row["wardCode"], kind=kind,
            name_vi=row["ward"], name_en=f"{ascii_fold(row['wardShort'])} {_WARD_EN[kind]}",
            parent_key=districts[f"{row['provinceKey']}_{row['districtKey']}"].key,
            valid_to=LEGACY_END, latitude=row["wardLat"], longitude=row["wardLon"],
            short_name=row["wardShort"], source=f"{PACKAGE}:admin_units_legacy",
            row=row["_row"])
        wards[f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"] = record
        out.units.append(record)
    return wards


def _new_communes(rows: list[dict[str, Any]], provinces: dict[str, UnitRecord],
                  out: UnitSet) -> dict[tuple[str, str], UnitRecord]:
    wards: dict[tuple[str, str], UnitRecord] = {}
    for row in rows:
        kind = _WARD_KIND[row["wardType"]]
        record = UnitRecord(
            key=unit_key(row["wardCode"], REORG), code=row["wardCode"], kind=kind,
            name_vi=row["ward"], name_en=f"{ascii_fold(row['wardShort'])} {_WARD_EN[kind]}",
            parent_key=provinces[row["provinceKey"]].key, valid_from=REORG,
            latitude=row["wardLat"], longitude=row["wardLon"], area_km2=row["wardAreaKm2"],
            short_name=row["wardShort"], source=f"{PACKAGE}:admin_units", row=row["_row"])
        wards[(row["provinceKey"], row["wardKey"])] = record
        out.units.append(record)
    return wards


def _province_lineage(province_map: dict[str, list[str]], unchanged: set[str],
                      old_prov: dict[str, UnitRecord], new_prov: dict[str, UnitRecord],
                      out: UnitSet) -> None:
    for new_key, old_keys in province_map.items():
        if new_key in unchanged:
            continue
        for old_key in old_keys:
            out.lineage.append(LineageRecord(old_prov[old_key].key, new_prov[new_key].key,
                                             REORG, Decimal(1), "merge",
                                             "Nghị quyết 202/2025/QH15"))


def _commune_lineage(converter: dict[str, Any], old_wards: dict[str, UnitRecord],
                     districts: dict[str, UnitRecord],
                     new_wards: dict[tuple[str, str], UnitRecord], out: UnitSet) -> None:
    def old_unit(old_key: str) -> UnitRecord:
        if old_key.endswith("_"):  # an island district with no communes
            return districts[old_key[:-1]]
        return old_wards[old_key]

    whole: dict[str, UnitRecord] = {}  # old key -> the one new unit it became
    for province, mapping in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_key, old_keys in mapping.items():
            for old_key in old_keys:
                whole[old_key] = new_wards[(province, new_key)]
    split: dict[str, list[UnitRecord]] = defaultdict(list)
    for province, mapping in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in mapping.items():
            split[old_key].extend(new_wards[(province, t["newWardKey"])] for t in targets)
    predecessors: dict[str, int] = defaultdict(int)
    for successor in list(whole.values()) + [s for group in split.values() for s in group]:
        predecessors[successor.key] += 1
    for old_key, successor in whole.items():
        kind = "rename" if predecessors[successor.key] == 1 else "merge"
        out.lineage.append(LineageRecord(old_unit(old_key).key, successor.key, REORG,
                                         Decimal(1), kind))
    for old_key, successors in split.items():
        for successor, share in zip(successors, equal_shares(len(successors)), strict=True):
            out.lineage.append(LineageRecord(
                old_unit(old_key).key, successor.key, REORG, share, "split",
                "tỷ lệ chia đều (ước tính) / equal split (estimate)"))


def equal_shares(count: int) -> list[Decimal]:
    """``count`` shares with 6 decimals that add up to exactly 1."""
    base = (Decimal(1) / count).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    return [base] * (count - 1) + [Decimal(1) - base * (count - 1)]


# -- units.yaml, codelists.yaml -----------------------------------------------------------

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


@dataclass
class NamedRecord:
    code: str
    name_vi: str
    name_en: str
    row: int | str = 0
    codes: list[NamedRecord] = field(default_factory=list)


def read_measure_units(path: Path) -> list[NamedRecord]:
    data = _yaml(path) or {}
    records = []
    for row, (code, item) in enumerate(data.items(), start=1):
        records.append(_named(str(code), item or {}, path.name, row))
    return records


def read_codelists(path: Path) -> list[NamedRecord]:
    data = _yaml(path) or {}
    records = []
    for row, (code, item) in enumerate(data.items(), start=1):
        record = _named(str(code), item or {}, path.name, row)
        seen: set[str] = set()
        for entry in item.get("codes") or []:
            child = _named(str(entry.get("code", "")), entry, path.name, f"{row} ({code})")
            if child.code in seen:
                raise RegistryError(path.name, child.row, *bilingual(_("duplicate code '%(code)s'"), code=child.code))
            seen.add(child.code)
            record.codes.append(child)
        if not record.codes:
            raise RegistryError(path.name, row, *bilingual(_("codelist '%(code)s' has no codes"), code=code))
        records.append(record)
    return records


def _named(code: str, item: dict[str, Any], source: str, row: int | str) -> NamedRecord:
    if not _CODE.match(code):
        raise RegistryError(source, row, *bilingual(_("invalid code '%(code)s'"), code=code))
    return NamedRecord(code, _need(item, "name_vi", source, row),
                       _need(item, "name_en", source, row), row)


# -- indicators.csv --------------------------------------------------------------------

INDICATOR_COLUMNS = [
    "code", "area", "name_vi", "name_en", "unit", "value_type", "decimals", "frequency",
    "frequencies", "kind", "index_base", "level", "ou_agg", "time_agg", "breakdowns", "agency",
    "agency_before", "source_agency", "source_before", "formula",
    "headline", "description_vi", "description_en", "source",
]
_INDICATOR_CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,31}$")
_CHOICES = {
    "value_type": {"integer", "decimal"},
    "frequency": {"M", "Q", "S", "Y"},
    "kind": {"level", "rate", "index", "growth"},
    "level": {"national", "province", "commune"},
    "time_agg": {"sum", "avg", "last", "none"},
    "headline": {"0", "1"},
}


@dataclass
class IndicatorRecord:
    row: int
    code: str
    area: int
    name_vi: str
    name_en: str
    unit: str
    value_type: str
    decimals: int
    frequency: str
    frequencies: list[str]
    kind: str
    index_base: str
    level: str
    ou_aggregation: str
    weight: str
    time_aggregation: str
    breakdowns: list[str]
    agency: str
    agency_before: str
    source_agency: str
    source_before: str
    formula: str
    headline: bool
    description_vi: str
    description_en: str
    source: str


def read_indicators(path: Path, *, units: set[str], codelists: set[str],
                    agencies_now: set[str], agencies_before: set[str]) -> list[IndicatorRecord]:
    """Parse and check indicators.csv against the other sources."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != INDICATOR_COLUMNS:
            raise RegistryError(path.name, 1, *bilingual(_("header must be: %(columns)s"),
                                                         columns=",".join(INDICATOR_COLUMNS)))
        records: dict[str, IndicatorRecord] = {}
        for row_number, row in enumerate(reader, start=2):
            record = _indicator(row, path.name, row_number, units, codelists,
                                agencies_now, agencies_before)
            if record.code in records:
                first = records[record.code].row
                raise RegistryError(path.name, row_number,
                                    *bilingual(_("duplicate code '%(code)s' (first at row %(first)s)"),
                                               code=record.code, first=first))
            records[record.code] = record
    _check_references(list(records.values()), path.name)
    return list(records.values())


def _indicator(row: dict[str, str], source: str, n: int, units: set[str], codelists: set[str],
               agencies_now: set[str], agencies_before: set[str]) -> IndicatorRecord:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    code = cell("code")
    if not _INDICATOR_CODE.match(code):
        raise RegistryError(source, n, *bilingual(_("invalid indicator code '%(code)s'"), code=code))
    for name in ("name_vi", "name_en"):
        if not cell(name):
            raise RegistryError(source, n, *bilingual(_("missing '%(name)s'"), name=name))
    for name, allowed in _CHOICES.items():
        if cell(name) not in allowed:
            raise RegistryError(source, n, *bilingual(_("column '%(name)s': '%(value)s' is not one of %(allowed)s"),
                                                      name=name, value=cell(name), allowed=", ".join(sorted(allowed))))
    area, decimals = _int_cell(cell("area"), "area", source, n), _int_cell(
        cell("decimals"), "decimals", source, n)
    if not 1 <= area <= 9:
        raise RegistryError(source, n, *bilingual(_("area must be 1 to 9")))
    _member(cell("unit"), units, "unit", source, n)
    breakdowns = [b for b in cell("breakdowns").split(";") if b]
    for breakdown in breakdowns:
        _member(breakdown, codelists, "breakdowns", source, n)
    _member(cell("agency"), agencies_now, "agency", source, n)
    if cell("agency_before"):
        _member(cell("agency_before"), agencies_before, "agency_before", source, n)
    if cell("source_agency"):
        _member(cell("source_agency"), agencies_now, "source_agency", source, n)
    if cell("source_before"):
        _member(cell("source_before"), agencies_before, "source_before", source, n)
    frequencies = _frequencies(cell("frequencies"), cell("frequency"), source, n)
    ou_agg, weight = _ou_agg(cell("ou_agg"), source, n)
    return IndicatorRecord(
        row=n, code=code, area=area, name_vi=cell("name_vi"), name_en=cell("name_en"),
        unit=cell("unit"), value_type=cell("value_type"), decimals=decimals,
        frequency=cell("frequency"), frequencies=frequencies, kind=cell("kind"),
        index_base=cell("index_base"), level=cell("level"), ou_aggregation=ou_agg, weight=weight,
        time_aggregation=cell("time_agg"), breakdowns=breakdowns, agency=cell("agency"),
        agency_before=cell("agency_before"), source_agency=cell("source_agency"),
        source_before=cell("source_before"), formula=cell("formula"),
        headline=cell("headline") == "1", description_vi=cell("description_vi"),
        description_en=cell("description_en"), source=cell("source"))


PUBLISHED_KINDS = ("M", "Q", "S", "N", "Y", "YTD")


def _frequencies(text: str, own: str, source: str, n: int) -> list[str]:
    """The published frequencies (``M;Q;YTD;Y``), own first. A flow that cannot be summed or
    averaged over time may still be published at longer periods: those are reported, never
    derived (docs/domain.md, reported and derived values)."""
    found = [f for f in text.split(";") if f]
    for freq in found:
        if freq not in PUBLISHED_KINDS:
            raise RegistryError(source, n, *bilingual(_("column '%(name)s': '%(value)s' is not one of %(allowed)s"),
                                                      name="frequencies", value=freq,
                                                      allowed=", ".join(PUBLISHED_KINDS)))
    if len(set(found)) != len(found):
        raise RegistryError(source, n, *bilingual(_("column 'frequencies' repeats a frequency")))
    return [own, *[f for f in found if f != own]]


def _int_cell(text: str, name: str, source: str, n: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise RegistryError(source, n, *bilingual(_("column '%(name)s' must be a whole number"), name=name)) from None


def _member(value: str, allowed: set[str], name: str, source: str, n: int) -> None:
    if value not in allowed:
        raise RegistryError(source, n, *bilingual(_("column '%(name)s': unknown '%(value)s'"), name=name, value=value))


def _ou_agg(text: str, source: str, n: int) -> tuple[str, str]:
    if text in ("sum", "none"):
        return text, ""
    if text.startswith("wmean:") and _INDICATOR_CODE.match(text[6:]):
        return "wmean", text[6:]
    raise RegistryError(source, n, *bilingual(_("column 'ou_agg': '%(value)s' must be sum, none or wmean:CODE"),
                                              value=text))


def _check_references(records: list[IndicatorRecord], source: str) -> None:
    by_code = {r.code: r for r in records}
    for record in records:
        if record.weight and record.weight not in by_code:
            raise RegistryError(source, record.row, *bilingual(_("unknown weight indicator '%(code)s'"),
                                                               code=record.weight))
    derived = {r.code: r.formula for r in records if r.formula}
    try:
        formulas.check_all(derived, by_code)
    except formulas.FormulaError as exc:
        code = str(exc).split(":", 1)[0]
        bad = by_code.get(code)
        if bad is None:  # a cycle: name the first member's row
            cycle = str(exc).rsplit(": ", 1)[-1].split(" -> ")
            bad = by_code[cycle[0]]
        raise RegistryError(source, bad.row, *bilingual(_("bad formula: %(error)s"), error=exc)) from None


# -- regimes.yaml ----------------------------------------------------------------------

REGIME_TYPES = {"periodic", "thematic", "adhoc"}
REGIME_CONTENT = {"text", "data", "both"}
SCOPES = {"list", "all_provinces", "all_ministries", "all_communes"}


@dataclass
class RegimeRecord:
    row: int
    code: str
    name_vi: str
    name_en: str
    regime_type: str
    content: str
    frequency: str
    cutoff_day: int
    deadline_kind: str
    deadline_value: int
    deadline_month_offset: int
    reporter_scope: str
    reporters: list[str]
    recipient: str
    indicators: list[str]
    outline_vi: str
    outline_en: str
    approval_required: bool
    legal_basis: str
    optional: list[str] = field(default_factory=list)
    document_required: bool = True


def read_regimes(path: Path, *, indicators: set[str], agencies: set[str],
                 former: set[str] = frozenset()) -> list[RegimeRecord]:  # type: ignore[assignment]
    """``agencies``: current unit codes; ``former``: ended ones, which may be listed as
    reporters for the periods they existed in (the statistics office before 2025-03)."""
    from nrs.lib import periods

    data = _yaml(path) or {}
    records: dict[str, RegimeRecord] = {}
    for row, item in enumerate(data.get("regimes") or [], start=1):
        code = str(_need(item, "code", path.name, row))
        if code in records:
            raise RegistryError(path.name, row, *bilingual(_("duplicate code '%(code)s'"), code=code))
        record = _regime(item, code, path.name, row, indicators, agencies, former)
        try:
            periods.CutoffRule(record.cutoff_day)
            periods.DeadlineRule(record.deadline_kind, record.deadline_value,
                                 record.deadline_month_offset)
        except periods.PeriodError as exc:
            raise RegistryError(path.name, row, *bilingual(_("bad schedule rule: %(error)s"), error=exc)) from None
        records[code] = record
    return list(records.values())


def _regime(item: dict[str, Any], code: str, source: str, row: int, indicators: set[str],
            agencies: set[str], former: set[str]) -> RegimeRecord:
    regime_type = _need(item, "type", source, row)
    content = _need(item, "content", source, row)
    scope = _need(item, "reporters", source, row)
    frequency = str(item.get("frequency") or "")
    for value, allowed, name in ((regime_type, REGIME_TYPES, "type"),
                                 (content, REGIME_CONTENT, "content")):
        if value not in allowed:
            raise RegistryError(source, row, *bilingual(_("'%(name)s': '%(value)s' is not one of %(allowed)s"),
                                                        name=name, value=value, allowed=sorted(allowed)))
    if frequency not in {*PUBLISHED_KINDS, ""} or (not frequency and regime_type != "adhoc"):
        raise RegistryError(source, row, *bilingual(_("bad frequency '%(frequency)s' (blank only for ad hoc)"),
                                                    frequency=frequency))
    reporters: list[str] = []
    if isinstance(scope, list):
        reporters, scope = [str(code) for code in scope], "list"
    elif scope not in SCOPES:
        raise RegistryError(source, row, *bilingual(_("'reporters' must be a list or one of %(allowed)s"),
                                                    allowed=sorted(SCOPES)))
    form = [str(code) for code in item.get("indicators") or []]
    optional = [str(code) for code in item.get("optional") or []]
    for indicator in form + optional:
        if indicator not in indicators:
            raise RegistryError(source, row, *bilingual(_("unknown indicator '%(code)s'"), code=indicator))
    if set(optional) - set(form):
        raise RegistryError(source, row, *bilingual(_("'optional' lists indicators of the form only")))
    recipient = str(item.get("recipient") or "")
    for unit, known in [*((r, agencies | former) for r in reporters),
                        *([(recipient, agencies)] if recipient else [])]:
        if unit not in known:
            raise RegistryError(source, row, *bilingual(_("unknown org unit '%(unit)s'"), unit=unit))
    deadline = item.get("deadline") or {}
    return RegimeRecord(
        row=row, code=code, name_vi=_need(item, "name_vi", source, row),
        name_en=_need(item, "name_en", source, row), regime_type=regime_type, content=content,
        frequency=frequency, cutoff_day=int(item.get("cutoff_day", 15)),
        deadline_kind=str(deadline.get("kind", "working_days")),
        deadline_value=int(deadline.get("value", 2)),
        deadline_month_offset=int(deadline.get("month_offset", 0)), reporter_scope=scope,
        reporters=reporters, recipient=recipient, indicators=form,
        outline_vi=str(item.get("outline_vi") or ""), outline_en=str(item.get("outline_en") or ""),
        approval_required=bool(item.get("approval_required", True)),
        legal_basis=str(item.get("legal_basis") or ""), optional=optional,
        document_required=bool(item.get("document_required", True)))



# -- rules.yaml ------------------------------------------------------------------------

RULE_KINDS = {"range", "compare", "sum", "scale"}
RULE_OPS = {"<=", "<", ">=", ">", "=="}


@dataclass
class RuleRecord:
    row: int
    code: str
    kind: str
    severity: str
    indicator: str
    operator: str
    other: str
    terms: list[str]
    minimum: Decimal | None
    maximum: Decimal | None
    equals: Decimal | None
    tolerance: Decimal
    message_vi: str
    message_en: str


def _decimal(item: dict[str, Any], name: str, source: str, row: int) -> Decimal | None:
    raw = item.get(name)
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except ArithmeticError:
        raise RegistryError(source, row, *bilingual(_("'%(name)s' must be a number"), name=name)) from None


def read_rules(path: Path, *, indicators: set[str]) -> list[RuleRecord]:
    data = _yaml(path) or {}
    records: dict[str, RuleRecord] = {}
    for row, item in enumerate(data.get("rules") or [], start=1):
        code = str(_need(item, "code", path.name, row))
        if code in records:
            raise RegistryError(path.name, row, *bilingual(_("duplicate code '%(code)s'"), code=code))
        record = RuleRecord(
            row=row, code=code, kind=str(_need(item, "kind", path.name, row)),
            severity=str(_need(item, "severity", path.name, row)),
            indicator=str(_need(item, "indicator", path.name, row)),
            operator=str(item.get("op") or ""), other=str(item.get("other") or ""),
            terms=[str(t) for t in item.get("terms") or []],
            minimum=_decimal(item, "min", path.name, row),
            maximum=_decimal(item, "max", path.name, row),
            equals=_decimal(item, "equals", path.name, row),
            tolerance=_decimal(item, "tolerance", path.name, row) or Decimal(0),
            message_vi=str(_need(item, "message_vi", path.name, row)),
            message_en=str(_need(item, "message_en", path.name, row)))
        _check_rule(record, indicators, path.name)
        records[code] = record
    return list(records.values())


def _check_rule(rule: RuleRecord, indicators: set[str], source: str) -> None:
    def bad(vi: str, en: str) -> RegistryError:
        return RegistryError(source, rule.row, vi, en)

    if rule.kind not in RULE_KINDS:
        raise bad(*bilingual(_("unknown rule kind '%(kind)s'"), kind=rule.kind))
    if rule.severity not in ("error", "warning"):
        raise bad(*bilingual(_("severity must be error or warning")))
    for code in [rule.indicator, *rule.terms, *([rule.other] if rule.other else [])]:
        if code not in indicators:
            raise bad(*bilingual(_("unknown indicator '%(code)s'"), code=code))
    if rule.kind == "compare" and (rule.operator not in RULE_OPS or not rule.other):
        raise bad(*bilingual(_("a comparison needs 'op' and 'other'")))
    if rule.kind == "range" and rule.minimum is None and rule.maximum is None:
        raise bad(*bilingual(_("a range needs 'min' or 'max'")))
    if rule.kind == "scale" and (rule.maximum is None or rule.maximum <= 1):
        raise bad(*bilingual(_("a scale rule needs 'max' > 1 (the factor against the last period)")))
    if rule.kind == "sum" and (not rule.terms or (not rule.other and rule.equals is None)):
        raise bad(*bilingual(_("a sum needs 'terms' and 'other' or 'equals'")))
