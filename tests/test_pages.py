"""Pages and API through Django's test client, in both languages."""

from __future__ import annotations

import pytest
from django.test import Client

from nrs.audit.events import EventType
from nrs.audit.models import Event
from tests.conftest import PASSWORD, current

pytestmark = pytest.mark.django_db


def client_for(user, lang: str = "vi") -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


def test_login_page_in_vietnamese_by_default() -> None:
    page = Client().get("/accounts/login/")
    assert page.status_code == 200
    assert "Đăng nhập" in page.content.decode()


def test_login_page_in_english() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/")
    assert "Sign in" in page.content.decode()
    assert "Đăng nhập" not in page.content.decode()


def test_sign_in_and_failed_sign_in_are_audited(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    bad = client.post("/accounts/login/", {"username": "hanoi.reporter", "password": "wrong"})
    assert bad.status_code == 200
    assert "Sai tên đăng nhập" in bad.content.decode()
    assert Event.objects.filter(event_type=EventType.LOGIN_FAILED).exists()
    good = client.post("/accounts/login/", {"username": "hanoi.reporter", "password": PASSWORD})
    assert good.status_code == 302
    assert Event.objects.filter(event_type=EventType.LOGIN, actor=hanoi_reporter).exists()


@pytest.mark.parametrize("url", ["/registry/", "/registry/units/", "/registry/indicators/",
                                 "/registry/regimes/", "/api/registry/indicators"])
def test_anonymous_is_sent_to_login(url: str) -> None:
    response = Client().get(url)
    assert response.status_code in (302, 401)


def test_registry_home_counts(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    page = client_for(hanoi_reporter).get("/registry/").content.decode()
    assert 'data-stat="provinces">34<' in page
    assert 'data-stat="communes">3321<' in page
    assert "tỉnh, thành phố" in page


def test_registry_pages_in_english(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(hanoi_reporter)
    client.post("/i18n/setlang/", {"language": "en", "next": "/registry/"})
    page = client.get("/registry/").content.decode()
    assert "provinces and centrally-run cities" in page


def test_unit_tree_before_and_after(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(hanoi_reporter)
    root = current("CP")
    after = client.get(f"/registry/units/{root.pk}/children/?on=2025-07-01").content.decode()
    before = client.get(f"/registry/units/{root.pk}/children/?on=2025-06-30").content.decode()
    assert after.count('data-code="') == 34 + 17 + 7  # provinces, ministries/agencies, 7 others
    assert "Tỉnh Hà Nam" in before and "Tỉnh Hà Nam" not in after


def test_unit_detail_shows_lineage(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    page = client_for(hanoi_reporter).get(f"/registry/units/{current('37').pk}/").content.decode()
    for name in ("Tỉnh Hà Nam", "Tỉnh Nam Định", "Tỉnh Ninh Bình"):
        assert name in page


def test_indicator_search_htmx_partial(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(hanoi_reporter)
    full = client.get("/registry/indicators/?q=CPI").content.decode()
    assert "<html" in full and "CPI_MOM" in full
    partial = client.get("/registry/indicators/?q=CPI", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "CPI_MOM" in partial and "GDP_CUR" not in partial


def test_indicator_and_regime_detail(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(hanoi_reporter)
    assert "Bộ Kế hoạch và Đầu tư" in client.get("/registry/indicators/GDP_CUR/").content.decode()
    regimes = client.get("/registry/regimes/").content.decode()
    assert 'data-code="PROV_KTXH_M"' in regimes
    detail = client.get("/registry/regimes/PROV_KTXH_M/").content.decode()
    assert "(34)" in detail
    assert client.get("/registry/regimes/NOPE/").status_code == 404


def test_admin_for_coordinator_not_reporter(coordinator, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    assert client_for(coordinator).get("/admin/registry/indicator/").status_code == 200
    english = client_for(coordinator, "en")
    english.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert "Indicators" in english.get("/admin/").content.decode()
    assert "Quản trị NRS" in client_for(coordinator).get("/admin/").content.decode()
    assert client_for(hanoi_reporter).get("/admin/registry/indicator/").status_code == 302


def test_not_found_page_is_bilingual(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(hanoi_reporter)
    response = client.get("/registry/units/999999999/")
    assert response.status_code == 404
    assert "Trang này không tồn tại" in response.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "This page does not exist" in client.get("/registry/units/999999999/").content.decode()


def test_admin_change_is_audited(coordinator) -> None:  # type: ignore[no-untyped-def]
    from nrs.registry.models import Indicator

    client = client_for(coordinator)
    gdp = Indicator.objects.get(code="GDP_CUR")
    page = client.get(f"/admin/registry/indicator/{gdp.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["name_en"] = "Gross domestic product (edited)"
    data.update({"responsibilities-TOTAL_FORMS": "0", "responsibilities-INITIAL_FORMS": "0"})
    # Keep the inline's existing rows untouched: submit them as they are.
    for i, r in enumerate(gdp.responsibilities.all()):
        data.update({"responsibilities-TOTAL_FORMS": str(i + 1),
                     "responsibilities-INITIAL_FORMS": str(i + 1),
                     f"responsibilities-{i}-id": r.pk, f"responsibilities-{i}-indicator": gdp.pk,
                     f"responsibilities-{i}-agency": r.agency_id, f"responsibilities-{i}-role": r.role,
                     f"responsibilities-{i}-valid_from": r.valid_from.isoformat(),
                     f"responsibilities-{i}-valid_to": r.valid_to.isoformat() if r.valid_to else ""})
    response = client.post(f"/admin/registry/indicator/{gdp.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    gdp.refresh_from_db()
    assert gdp.name_en == "Gross domestic product (edited)"
    event = Event.objects.latest("id")
    assert event.event_type == EventType.INDICATOR_CHANGED and event.actor == coordinator


def test_api_registry(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = client_for(hanoi_reporter)
    provinces = client.get("/api/registry/orgunits?level=province&on=2026-01-01&limit=100")
    assert provinces.status_code == 200
    assert provinces.json()["count"] == 34
    indicator = client.get("/api/registry/indicators/UNEMPLOYMENT_RATE").json()
    assert indicator["ou_aggregation"] == "wmean" and indicator["weight"]
    period = client.get("/api/registry/regimes/PROV_KTXH_M/periods/202602").json()
    assert period["cutoff_start"] == "2026-01-15" and period["cutoff_end"] == "2026-02-14"
    bad = client.get("/api/registry/regimes/PROV_KTXH_M/periods/2026-13")
    assert bad.status_code == 400 and "invalid period" in bad.json()["message_en"]
    lineage = client.get(f"/api/registry/orgunits/{current('37').pk}/lineage").json()
    assert len(lineage) == 3


def test_openapi_schema_is_served(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    schema = client_for(hanoi_reporter).get("/api/openapi.json").json()
    assert "/api/registry/orgunits" in schema["paths"]
