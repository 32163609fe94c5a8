"""Issue 18, finding 1: an org unit's path and level are computed on every save, whatever
the entry (admin, loader, actions, a bare create), and an empty path never grants anything."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from nrs.accounts import actions, tokens
from nrs.registry.models import OrgUnit
from tests.conftest import current

pytestmark = pytest.mark.django_db


def admin_form(parent: OrgUnit | None, code: str = "ZZ99", **extra: Any) -> dict[str, Any]:
    data = {"name_vi": "Tỉnh thử", "name_en": "Test province", "code": code, "kind": "province",
            "parent": parent.pk if parent else "", "valid_from": "1900-01-01", "valid_to": "",
            "latitude": "", "longitude": "", "area_km2": "", "short_name": ""}
    data.update(extra)
    return data


def add_in_admin(user: Any, data: dict[str, Any]) -> Any:
    client = Client()
    client.force_login(user)
    return client.post("/admin/registry/orgunit/add/", data)


def test_admin_created_unit_has_its_path_and_level(coordinator) -> None:  # type: ignore[no-untyped-def]
    root = current("CP")
    response = add_in_admin(coordinator, admin_form(root))
    assert response.status_code == 302, response.content[:2000]
    unit = OrgUnit.objects.get(code="ZZ99")
    # Oracle: the root's path, then the new unit's own id; a province's level.
    assert unit.path == f"/{root.pk}/{unit.pk}/"
    assert unit.level == "province"


def test_bare_create_computes_path_and_level() -> None:
    hanoi = current("01")
    unit = OrgUnit.objects.create(code="ZZ98", kind="ward", name_vi="Phường thử", name_en="Test ward",
                                  parent=hanoi)
    unit.refresh_from_db()
    assert unit.path == f"{hanoi.path}{unit.pk}/"
    assert unit.level == "commune"
    root_like = OrgUnit.objects.create(code="ZZ97", kind="ministry", name_vi="B", name_en="B")
    root_like.refresh_from_db()
    assert root_like.path == f"/{root_like.pk}/"


def test_a_stale_path_is_recomputed_on_save() -> None:
    unit = OrgUnit.objects.create(code="ZZ96", kind="province", name_vi="T", name_en="T",
                                  parent=current("CP"))
    unit.path, unit.level = "", ""
    unit.save()
    unit.refresh_from_db()
    assert unit.path == f"{current('CP').path}{unit.pk}/" and unit.level == "province"


def test_the_database_refuses_an_empty_path() -> None:
    unit = current("01")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrgUnit.objects.filter(pk=unit.pk).update(path="")


def test_bulk_created_units_get_paths() -> None:
    """bulk_create skips save(): the loader's path is checked by the constraint too."""
    with pytest.raises(IntegrityError), transaction.atomic():
        OrgUnit.objects.bulk_create([OrgUnit(code="ZZ95", kind="province", level="province",
                                             name_vi="T", name_en="T", parent=current("CP"))])


@pytest.fixture
def zz99_viewer(coordinator, make_user):  # type: ignore[no-untyped-def]
    assert add_in_admin(coordinator, admin_form(current("CP"))).status_code == 302
    user = make_user("zz99.viewer")
    actions.grant_role(user, "viewer", OrgUnit.objects.get(code="ZZ99"))
    return user


def test_a_grant_on_an_admin_created_unit_reads_nothing_else(zz99_viewer) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(zz99_viewer)
    assert client.get("/dashboard/?unit=CP").status_code == 403
    assert client.get("/dashboard/province/31/").status_code == 403  # Hải Phòng
    assert client.get("/dashboard/province/01/").status_code == 403  # Hà Nội
    assert client.get("/dashboard/?unit=ZZ99").status_code == 200
    assert client.get("/api/analytics?orgUnit=CP&indicator=RETAIL_SALES").status_code == 403
    assert client.get("/api/analytics?orgUnit=31&indicator=RETAIL_SALES").status_code == 403


def test_a_token_on_an_admin_created_unit_writes_nowhere_else(coordinator, make_user) -> None:  # type: ignore[no-untyped-def]
    assert add_in_admin(coordinator, admin_form(current("CP"))).status_code == 302
    user = make_user("zz99.reporter")
    unit = OrgUnit.objects.get(code="ZZ99")
    actions.grant_role(user, "reporter", unit)
    _token, secret = tokens.issue_token(user, unit, name="t", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for target in ("BTC", "31"):
        body = {"regime": "PROV_KTXH_M", "orgUnit": target, "period": "2026-10",
                "dataValues": [{"indicator": "EXPORT_TOTAL", "value": "1"}]}
        response = client.post("/api/dataValueSets?dryRun=true", body, content_type="application/json")
        assert response.status_code == 403, (target, response.status_code, response.content[:300])


def test_the_loaded_registry_has_every_path_from_its_parents() -> None:
    """The loader's bulk inserts leave no pending path: each is its parent's plus its own id."""
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    assert len(paths) > 3000
    wrong = [pk for pk, parent in parents.items()
             if paths[pk] != (paths[parent] if parent else "/") + f"{pk}/"]
    assert wrong == []
