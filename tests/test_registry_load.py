"""The registry as loaded from the real sources, checked against the
vietnamadminunits package's own tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from vietnamadminunits.database import query

from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.registry.loader import load_registry
from nrs.registry.models import (
    Indicator,
    Level,
    Lineage,
    OrgUnit,
    OrgUnitKind,
    Regime,
)
from tests.conftest import current, legacy

pytestmark = pytest.mark.django_db
NEW_DAY, OLD_DAY = date(2025, 7, 1), date(2025, 6, 30)


def _count(sql: str) -> int:
    return int(next(iter(query(sql)[0].values())))


def test_counts_match_the_package() -> None:
    new = OrgUnit.objects.valid_on(NEW_DAY)
    old = OrgUnit.objects.valid_on(OLD_DAY)
    assert new.filter(level=Level.PROVINCE).count() == 34 == _count(
        "SELECT COUNT(DISTINCT provinceCode) FROM admin_units")
    assert new.filter(level=Level.COMMUNE).count() == 3321 == _count(
        "SELECT COUNT(*) FROM admin_units")
    assert old.filter(level=Level.PROVINCE).count() == 63 == _count(
        "SELECT COUNT(DISTINCT provinceCode) FROM admin_units_legacy")
    assert old.filter(level=Level.DISTRICT).count() == _count(
        "SELECT COUNT(DISTINCT districtCode) FROM admin_units_legacy")
    assert old.filter(level=Level.COMMUNE).count() == _count(
        "SELECT COUNT(DISTINCT wardCode) FROM admin_units_legacy WHERE wardCode IS NOT NULL")
    kinds = dict(new.filter(level=Level.COMMUNE).values_list("kind").annotate(n=Count("id")))
    assert kinds == {"commune": 2621, "ward": 687, "special_zone": 13}
    provinces = dict(new.filter(level=Level.PROVINCE).values_list("kind").annotate(n=Count("id")))
    assert provinces == {"province": 28, "city": 6}


def test_no_districts_after_the_reorganisation() -> None:
    assert not OrgUnit.objects.valid_on(NEW_DAY).filter(level=Level.DISTRICT).exists()


def test_new_ninh_binh_comes_from_ninh_binh_ha_nam_nam_dinh() -> None:
    ninh_binh = current("37")
    assert ninh_binh.valid_from == NEW_DAY
    sources = {link.predecessor.short_name: link.share
               for link in ninh_binh.predecessor_links.select_related("predecessor")}
    assert sources == {"Ninh Bình": 1, "Hà Nam": 1, "Nam Định": 1}
    assert legacy("35").successor_links.get().successor == ninh_binh


def test_unchanged_provinces_are_one_continuous_unit() -> None:
    hanoi = current("01")
    assert hanoi.is_valid_on(date(2020, 1, 1)) and hanoi.is_valid_on(NEW_DAY)
    assert not hanoi.predecessor_links.exists()
    assert OrgUnit.objects.filter(code="01").count() == 1
    # Its old districts and new wards both sit in its subtree.
    subtree = OrgUnit.objects.subtree(hanoi)
    assert subtree.valid_on(OLD_DAY).filter(level=Level.DISTRICT).count() == 30
    assert subtree.valid_on(NEW_DAY).filter(level=Level.COMMUNE).count() == _count(
        "SELECT COUNT(*) FROM admin_units WHERE provinceCode = '01'")


def test_every_legacy_commune_has_successors_whose_shares_add_to_one() -> None:
    totals = (Lineage.objects.filter(predecessor__level=Level.COMMUNE)
              .values("predecessor").annotate(total=Sum("share")))
    assert {row["total"] for row in totals} == {Decimal(1)}
    old_communes = OrgUnit.objects.valid_on(OLD_DAY).filter(level=Level.COMMUNE).count()
    assert totals.count() == old_communes


def test_split_communes_are_weighted() -> None:
    splits = Lineage.objects.filter(kind="split")
    assert splits.exists()
    link = splits.first()
    assert link is not None
    siblings = Lineage.objects.filter(predecessor=link.predecessor)
    assert siblings.count() >= 2
    assert all(s.share < 1 for s in siblings)


def test_every_new_commune_has_a_predecessor() -> None:
    orphans = (OrgUnit.objects.valid_on(NEW_DAY).filter(level=Level.COMMUNE)
               .filter(predecessor_links__isnull=True))
    assert orphans.count() == 0


def test_paracel_and_spratly_special_zones() -> None:
    hoang_sa = OrgUnit.objects.current().get(kind=OrgUnitKind.SPECIAL_ZONE,
                                             short_name="Hoàng Sa")
    truong_sa = OrgUnit.objects.current().get(kind=OrgUnitKind.SPECIAL_ZONE,
                                              short_name="Trường Sa")
    assert hoang_sa.parent == current("48")  # Đà Nẵng
    assert truong_sa.parent == current("56")  # Khánh Hòa
    # The old island district of Hoàng Sa had no communes; it maps straight across.
    old = OrgUnit.objects.get(kind=OrgUnitKind.DISTRICT, short_name="Hoàng Sa")
    assert old.successor_links.get().successor == hoang_sa


def test_materialised_paths_follow_parents() -> None:
    for unit in OrgUnit.objects.filter(parent__isnull=False).select_related("parent")[:500]:
        assert unit.path == f"{unit.parent.path}{unit.pk}/"
    root = OrgUnit.objects.get(parent__isnull=True)
    assert root.code == "CP"
    assert OrgUnit.objects.subtree(root).count() == OrgUnit.objects.count()


def test_ministries_after_and_before_2025() -> None:
    now = OrgUnit.objects.valid_on(date(2025, 3, 1))
    assert now.filter(kind=OrgUnitKind.MINISTRY).count() == 14
    assert now.filter(kind=OrgUnitKind.MINISTERIAL_AGENCY).count() == 3
    before = OrgUnit.objects.valid_on(date(2025, 2, 28))
    assert before.filter(kind=OrgUnitKind.MINISTRY).count() == 18
    mae = current("BNNMT")
    assert {link.predecessor.code for link in mae.predecessor_links.all()} == {
        "BTNMT", "BNNPTNT", "BLDTBXH"}  # poverty reduction came from the labour ministry
    assert {link.predecessor.code for link in current("BTC").predecessor_links.all()} == {"BKHDT"}
    molisa = legacy("BLDTBXH")
    assert sum(link.share for link in molisa.successor_links.all()) == 1


def test_indicator_catalogue() -> None:
    count = Indicator.objects.count()
    assert 190 <= count <= 210
    assert set(Indicator.objects.values_list("area", flat=True)) == set(range(1, 10))
    unemployment = Indicator.objects.get(code="UNEMPLOYMENT_RATE")
    assert unemployment.ou_aggregation == "wmean" and unemployment.weight is not None
    share = Indicator.objects.get(code="ONLINE_DOSSIER_SHARE")
    assert share.is_derived
    assert Indicator.objects.filter(level=Level.COMMUNE).count() >= 35


def test_responsible_agency_is_versioned() -> None:
    gdp = Indicator.objects.get(code="GDP_CUR")
    assert gdp.agency_on(date(2024, 6, 1)).code == "BKHDT"  # type: ignore[union-attr]
    assert gdp.agency_on(date(2026, 1, 1)).code == "BTC"  # type: ignore[union-attr]


def test_regimes() -> None:
    monthly = Regime.objects.get(code="PROV_KTXH_M")
    assert monthly.reporting_units(date(2026, 1, 1)).count() == 34
    assert monthly.reporting_units(date(2025, 1, 1)).count() == 63
    assert monthly.indicators.exists()
    # On 22/11/2026 November's deadline (the 20th) has passed: December is next.
    sched = monthly.next_schedule(date(2026, 11, 22))
    assert sched is not None and str(sched.period) == "2026-12"
    assert sched.cutoff_end == date(2026, 12, 14)
    assert sched.deadline == date(2026, 12, 21)  # the 20th is a Sunday
    assert monthly.next_schedule(date(2026, 11, 20)).period.index == 11  # type: ignore[union-attr]
    assert Regime.objects.filter(regime_type="thematic").exists()
    assert Regime.objects.filter(regime_type="adhoc").exists()
    assert Regime.objects.filter(reporter_scope="list").count() >= 8


def test_loading_again_changes_nothing() -> None:
    units, links, events = OrgUnit.objects.count(), Lineage.objects.count(), Event.objects.count()
    report = load_registry()
    assert report.changed == 0
    assert (OrgUnit.objects.count(), Lineage.objects.count()) == (units, links)
    assert Event.objects.count() == events


def test_a_change_in_the_source_is_written_and_audited(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from nrs.registry.sources import DATA_DIR

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "indicators.csv"
    text = path.read_text(encoding="utf-8")
    assert "Tổng sản phẩm" in text
    path.write_text(text.replace("Tổng sản phẩm", "Tổng sản phẩm (sửa)", 1), encoding="utf-8")
    report = load_registry(data)
    assert report.counts["indicator.updated"] == 1
    event = Event.objects.filter(event_type=EventType.REGISTRY_LOADED).latest("id")
    assert event.data["indicator.updated"] == 1
