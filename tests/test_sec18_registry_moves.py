"""Issue 18, findings 6 and 5 (registry): a unit's code and parent change only nationally,
a move re-paths the whole subtree and is recorded with old and new values; the admin's
inlines go through the actions; metadata events carry old and new values."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.registry import actions
from nrs.registry.models import Codelist, Indicator, Level, OrgUnit, Responsibility
from tests.conftest import current
from tests.test_admin_audit_matrix import (
    chain_verifies,
    client_for,
    events_since,
    form_data,
    head,
    inline_prefix,
)

pytestmark = pytest.mark.django_db


def change_url(obj: Any) -> str:
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


def a_commune_of(code: str) -> OrgUnit:
    return OrgUnit.objects.subtree(current(code)).current().filter(level=Level.COMMUNE).order_by("code")[0]


def expected_path(unit: OrgUnit) -> str:
    """The oracle: the chain of parents, read one by one, root first."""
    ids = []
    node: OrgUnit | None = unit
    while node is not None:
        ids.append(node.pk)
        node = OrgUnit.objects.get(pk=node.parent_id) if node.parent_id else None
    return "/" + "".join(f"{pk}/" for pk in reversed(ids))


@pytest.fixture
def hanoi_coordinator(make_user):  # type: ignore[no-untyped-def]
    return make_user("hn.coordinator", "coordinator", "01")


# -- finding 6: code and parent only nationally ------------------------------------------------

def test_provincial_coordinator_sees_code_and_parent_read_only(hanoi_coordinator) -> None:  # type: ignore[no-untyped-def]
    page = client_for(hanoi_coordinator).get(change_url(current("01")))
    assert page.status_code == 200
    fields = page.context["adminform"].form.fields
    assert "code" not in fields and "parent" not in fields and "kind" not in fields
    assert "name_vi" in fields


def test_provincial_coordinator_crafted_post_changes_no_code_or_parent(hanoi_coordinator) -> None:  # type: ignore[no-untyped-def]
    client = client_for(hanoi_coordinator)
    hanoi, root = current("01"), current("CP")
    commune = a_commune_of("01")
    data = form_data(client.get(change_url(commune)))
    data.update({"parent": root.pk, "code": "99999", "name_en": "Renamed ward"})
    assert client.post(change_url(commune), data).status_code == 302
    commune.refresh_from_db()
    assert (commune.parent_id, commune.code, commune.name_en) == (hanoi.pk, a_commune_of("01").code,
                                                                   "Renamed ward")
    data = form_data(client.get(change_url(hanoi)))
    data.update({"code": "01X", "parent": ""})
    assert client.post(change_url(hanoi), data).status_code == 302
    hanoi.refresh_from_db()
    assert hanoi.code == "01" and hanoi.parent_id == root.pk


def test_the_action_refuses_a_provincial_move_or_recode(hanoi_coordinator) -> None:  # type: ignore[no-untyped-def]
    seq = head()
    commune = a_commune_of("01")
    commune.parent = current("CP")
    with pytest.raises(PermissionDenied):
        actions.save_metadata(commune, actor=hanoi_coordinator)
    hanoi = current("01")
    hanoi.code = "01X"
    with pytest.raises(PermissionDenied):
        actions.save_metadata(hanoi, actor=hanoi_coordinator)
    hanoi = current("01")
    hanoi.kind = "commune"
    with pytest.raises(PermissionDenied):
        actions.save_metadata(hanoi, actor=hanoi_coordinator)
    assert current("01").path == f"{current('CP').path}{current('01').pk}/"
    assert OrgUnit.objects.get(pk=commune.pk).parent_id == current("01").pk
    assert events_since(seq) == []


def test_national_move_repaths_the_subtree_and_is_recorded(coordinator) -> None:  # type: ignore[no-untyped-def]
    district = (OrgUnit.objects.filter(level=Level.DISTRICT, children__isnull=False)
                .order_by("code").first())
    assert district is not None
    below = list(OrgUnit.objects.filter(path__startswith=district.path).exclude(pk=district.pk))
    assert len(below) >= 2
    old_parent, old_path, new_parent = district.parent, district.path, current("31")
    seq = head()
    client = client_for(coordinator)
    data = form_data(client.get(change_url(district)))
    data["parent"] = new_parent.pk
    response = client.post(change_url(district), data)
    assert response.status_code == 302, response.content[:3000]
    district.refresh_from_db()
    assert district.path == f"/{current('CP').pk}/{new_parent.pk}/{district.pk}/"
    for unit in OrgUnit.objects.filter(pk__in=[u.pk for u in below]):
        assert unit.path == expected_path(unit), unit.code
        assert unit.path.startswith(district.path)
    assert not OrgUnit.objects.filter(path__startswith=old_path).exists()
    moved = [e for e in events_since(seq) if e.event_type == EventType.ORGUNIT_MOVED]
    assert len(moved) == 1
    assert moved[0].data["old"] == {"parent": old_parent.code, "path": old_path, "code": district.code}
    assert moved[0].data["new"] == {"parent": "31", "path": district.path, "code": district.code}
    assert moved[0].data["descendants"] == len(below)
    assert chain_verifies()


def test_every_path_follows_its_parent_after_a_move(coordinator) -> None:  # type: ignore[no-untyped-def]
    hanoi = current("01")
    hanoi.parent = current("BTC")  # nonsense, but national: the point is consistency
    actions.save_metadata(hanoi, actor=coordinator)
    rows = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    for pk, parent in rows.items():
        assert paths[pk] == (paths[parent] if parent else "/") + f"{pk}/"


def test_a_unit_cannot_move_under_its_own_subtree(coordinator) -> None:  # type: ignore[no-untyped-def]
    hanoi = current("01")
    client = client_for(coordinator)
    data = form_data(client.get(change_url(hanoi)))
    data["parent"] = a_commune_of("01").pk
    response = client.post(change_url(hanoi), data)
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert current("01").parent_id == current("CP").pk


def test_national_recode_keeps_the_pages_answering(coordinator, make_user) -> None:  # type: ignore[no-untyped-def]
    reporter = make_user("hn.reporter", "reporter", "01")
    hanoi = current("01")
    client = client_for(coordinator)
    data = form_data(client.get(change_url(hanoi)))
    data["code"] = "01X"
    seq = head()
    assert client.post(change_url(hanoi), data).status_code == 302
    moved = [e for e in events_since(seq) if e.event_type == EventType.ORGUNIT_MOVED]
    assert moved[0].data["old"]["code"] == "01" and moved[0].data["new"]["code"] == "01X"
    pages = client_for(reporter)
    assert pages.get("/report/PROV_KTXH_M/01X/2026-10/").status_code == 200
    assert pages.get("/dashboard/province/01X/").status_code == 200
    assert pages.get("/report/").status_code == 200
    # The old code names no unit any more: its URLs are not found, never another unit's.
    assert pages.get("/report/PROV_KTXH_M/01/2026-10/").status_code == 404


def test_a_code_that_cannot_sit_in_a_url_is_refused(coordinator) -> None:  # type: ignore[no-untyped-def]
    hanoi = current("01")
    client = client_for(coordinator)
    data = form_data(client.get(change_url(hanoi)))
    data["code"] = "01/X"
    response = client.post(change_url(hanoi), data)
    assert response.status_code == 200 and "code" in response.context["adminform"].form.errors
    assert current("01").code == "01"


# -- finding 5: old and new values; inlines through the actions ---------------------------------

def test_metadata_event_carries_old_and_new_values(coordinator) -> None:  # type: ignore[no-untyped-def]
    indicator = Indicator.objects.get(code="GDP_GROWTH")
    client = client_for(coordinator)
    data = form_data(client.get(change_url(indicator)))
    old_name = indicator.name_en
    data["name_en"] = "GDP growth (renamed)"
    data["breakdowns"] = sorted(str(pk) for pk in Codelist.objects.order_by("code")
                                .values_list("pk", flat=True)[:2])
    old_breakdowns = sorted(indicator.breakdowns.values_list("code", flat=True))
    seq = head()
    assert client.post(change_url(indicator), data).status_code == 302
    [event] = [e for e in events_since(seq) if e.event_type == EventType.INDICATOR_CHANGED]
    changes = event.data["changes"]
    assert changes["name_en"] == {"old": old_name, "new": "GDP growth (renamed)"}
    assert changes["breakdowns"] == {"old": old_breakdowns,
                                     "new": sorted(Codelist.objects.order_by("code")
                                                   .values_list("code", flat=True)[:2])}
    assert "decimals" not in changes
    assert chain_verifies()


def test_responsibility_inline_add_change_delete_are_recorded(coordinator) -> None:  # type: ignore[no-untyped-def]
    indicator = Indicator.objects.get(code="GDP_GROWTH")
    client = client_for(coordinator)
    page = client.get(change_url(indicator))
    prefix = inline_prefix(page, "responsibility")
    data = form_data(page)
    rows = list(indicator.responsibilities.order_by("valid_from", "role"))
    first = rows[0]
    index = next(n for n in range(len(rows)) if str(data[f"{prefix}-{n}-id"]) == str(first.pk))
    data[f"{prefix}-{index}-valid_to"] = "2030-12-31"
    old_to = first.valid_to.isoformat() if first.valid_to else None
    last = len(rows) - 1
    gone = rows[[str(data[f"{prefix}-{n}-id"]) for n in range(len(rows))].index(str(rows[-1].pk))]
    gone_index = [str(data[f"{prefix}-{n}-id"]) for n in range(len(rows))].index(str(gone.pk))
    if gone_index == index:  # one row only: delete nothing, add and change
        gone = None
    else:
        data[f"{prefix}-{gone_index}-DELETE"] = "on"
    n = len(rows)
    data.update({f"{prefix}-{n}-role": "source", f"{prefix}-{n}-agency": current("CTK").pk,
                 f"{prefix}-{n}-valid_from": "2031-01-01", f"{prefix}-{n}-valid_to": "",
                 f"{prefix}-{n}-indicator": indicator.pk, f"{prefix}-{n}-id": ""})
    data[f"{prefix}-TOTAL_FORMS"] = str(n + 1)
    seq = head()
    response = client.post(change_url(indicator), data)
    assert response.status_code == 302, response.context and [f.errors for f in
                                                              response.context["inline_admin_formsets"][0].formset]
    events = [e for e in events_since(seq) if e.object_type == "registry.responsibility"]
    changed = [e for e in events if e.object_id == str(first.pk)]
    assert changed[0].data["changes"] == {"valid_to": {"old": old_to, "new": "2030-12-31"}}
    added = Responsibility.objects.get(indicator=indicator, valid_from="2031-01-01")
    created = [e for e in events if e.object_id == str(added.pk)]
    assert created[0].data["changes"]["agency"] == {"old": None, "new": "CTK"}
    assert created[0].data["changes"]["valid_from"] == {"old": None, "new": "2031-01-01"}
    if gone is not None:
        deleted = [e for e in events if e.object_id == str(gone.pk)]
        assert deleted[0].data["deleted"] is True
        assert deleted[0].data["changes"]["agency"] == {"old": gone.agency.code, "new": None}
        assert not Responsibility.objects.filter(pk=gone.pk).exists()
    assert last >= 0 and chain_verifies()


def test_code_inline_changes_are_recorded(coordinator) -> None:  # type: ignore[no-untyped-def]
    codelist = Codelist.objects.filter(codes__isnull=False).order_by("code").first()
    assert codelist is not None
    client = client_for(coordinator)
    page = client.get(change_url(codelist))
    prefix = inline_prefix(page, "code")
    data = form_data(page)
    old = data[f"{prefix}-0-name_en"]
    data[f"{prefix}-0-name_en"] = "Renamed code"
    seq = head()
    assert client.post(change_url(codelist), data).status_code == 302
    events = [e for e in events_since(seq) if e.object_type == "registry.code"]
    assert [e.data["changes"] for e in events] == [{"name_en": {"old": old, "new": "Renamed code"}}]
    assert Event.objects.filter(seq__gt=seq, object_type="registry.codelist").count() == 1
    assert chain_verifies()


def test_a_lineage_change_in_the_admin_takes_effect_at_once(coordinator, make_user,  # type: ignore[no-untyped-def]
                                                             django_capture_on_commit_callbacks) -> None:
    from nrs.accounts import access
    from nrs.accounts.models import User
    from nrs.registry.models import Lineage

    link = Lineage.objects.filter(share=1, successor=current("37")).exclude(
        predecessor__code="37").order_by("pk").first()
    assert link is not None
    viewer = make_user("nb.viewer", "viewer", "37")
    assert access.has_perm(viewer, access.Perm.VIEW_DATA, link.predecessor)  # the cache is warm
    link.share = "0.5"
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_metadata(link, actor=coordinator)
    fresh = User.objects.get(pk=viewer.pk)
    assert not access.has_perm(fresh, access.Perm.VIEW_DATA, link.predecessor)


def test_regime_separate_duties_is_shown_and_its_change_recorded(coordinator) -> None:  # type: ignore[no-untyped-def]
    from nrs.registry.models import Regime

    regime = Regime.objects.get(code="PROV_KTXH_M")
    assert regime.separate_duties is True  # on by default
    client = client_for(coordinator)
    page = client.get(change_url(regime))
    assert "separate_duties" in page.context["adminform"].form.fields
    data = form_data(page)
    data.pop("separate_duties")  # the box unticked
    seq = head()
    assert client.post(change_url(regime), data).status_code == 302
    [event] = [e for e in events_since(seq) if e.event_type == EventType.REGIME_CHANGED]
    assert event.data["changes"] == {"separate_duties": {"old": True, "new": False}}
    assert Regime.objects.get(pk=regime.pk).separate_duties is False
