"""The national overview's cached body (nrs.analytics.views._overview_body): shared by the
viewers of a unit, never across scopes or permissions, new at once after an approval, and
wrapped in a layout that stays the viewer's own (name, CSRF token). Real database, no mocks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nrs.accounts import actions as account_actions
from nrs.accounts.models import Role
from nrs.collection import actions, bulk
from nrs.collection.models import Submission
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import OrgUnit, Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
T0 = datetime(2026, 2, 10, tzinfo=UTC)

# Queries of a warm-cache overview request, measured: the session, the user, the user's
# grants, the default unit read back by id, the store's newest refresh (5). With two-factor
# on, django-otp also reads the session's verified device (6).
WARM_QUERIES = 5
WARM_QUERIES_TWO_FACTOR = 6


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts cold: ids of rolled-back rows may come again in the next test."""
    cache.clear()


@pytest.fixture
def service(make_user):  # type: ignore[no-untyped-def]
    user = make_user("svc", "system", "CP")
    account_actions.grant_role(user, Role.APPROVER, current("CP"))
    return user


def load(service, unit: OrgUnit, period: str, value: str, state: str = "approved") -> None:  # type: ignore[no-untyped-def]
    rows = [Row(ref="r", indicator="RETAIL_SALES", org_unit=unit.code, value=value)]
    report = bulk.Report(regime=Regime.objects.get(code=REGIME), unit=unit, period=periods.parse_sdmx(period),
                         rows=rows, state=state, submitted_at=T0,
                         approved_at=T0 if state == "approved" else None)
    result = bulk.import_reports([report], actor=service, today=date(2026, 11, 20))
    assert not result.issues, result.issues


def signed_in(user, **extra) -> Client:  # type: ignore[no-untyped-def]
    client = Client(**extra)
    client.force_login(user)
    return client


def page(client: Client, **params: str) -> str:
    response = client.get("/dashboard/", params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def main(html: str) -> str:
    """The page's main content (the cached body), without the layout around it."""
    return html[html.index("<main>"):html.index("</main>")]


def who(html: str) -> str:
    found = re.search(r'<span class="who">([^<]*)</span>', html)
    assert found is not None
    return found.group(1)


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def refresh_id(html: str) -> int:
    found = re.search(r'data-refresh-id="(\d+)"', html)
    assert found is not None
    return int(found.group(1))


def test_scopes_and_permissions_never_share_a_body(service, make_user, leader) -> None:  # type: ignore[no-untyped-def]
    load(service, current("01"), "2026-01", "12345")
    load(service, current("79"), "2026-01", "67890")
    hanoi, saigon = make_user("hn.v", "viewer", "01"), make_user("hcm.v", "viewer", "79")
    national = make_user("cp.v", "viewer", "CP")
    for _round in range(2):  # cold, then warm: the same answers
        mine = page(signed_in(hanoi))
        assert current("01").name_vi in mine and "12.345,0" in mine and "67.890,0" not in mine
        theirs = page(signed_in(saigon))
        assert current("79").name_vi in theirs and "67.890,0" in theirs and "12.345,0" not in theirs
        # The same unit, one viewer who may see the preview and one who may not.
        assert "basis=preview" in main(page(signed_in(leader)))
        plain = main(page(signed_in(national)))
        assert "basis=preview" not in plain and "80.235,0" in plain  # the nation: both provinces
        asked = main(page(signed_in(national), basis="preview"))
        assert asked == plain  # asking is not enough
    # A warm body is no way round the scope check.
    assert signed_in(hanoi).get("/dashboard/", {"unit": "79"}).status_code == 403
    assert signed_in(hanoi).get("/dashboard/", {"unit": "CP"}).status_code == 403


def test_a_new_approval_shows_at_once(service, leader, make_user) -> None:  # type: ignore[no-untyped-def]
    hanoi = current("01")
    load(service, hanoi, "2026-01", "12345")
    client = signed_in(leader)
    before = page(client, unit="01")
    assert "12.345,0" in before and main(page(client, unit="01")) == main(before)  # warm: the same body
    load(service, hanoi, "2026-02", "54321", state="submitted")
    submitted = page(client, unit="01")
    assert refresh_id(submitted) > refresh_id(before)  # the preview's refresh is a new row
    assert "54.321,0" not in submitted and "54.321,0" in page(client, unit="01", basis="preview")
    approver = make_user("cp.approver", "approver", "CP")  # not the one who submitted (separation of duties)
    actions.approve_submission(Submission.objects.get(org_unit=hanoi, period="2026-02"), actor=approver)
    approved = page(client, unit="01")
    assert "54.321,0" in approved and refresh_id(approved) > refresh_id(submitted)


def test_the_layout_stays_the_viewers_own(leader, coordinator) -> None:  # type: ignore[no-untyped-def]
    first = signed_in(leader, enforce_csrf_checks=True)
    second = signed_in(coordinator, enforce_csrf_checks=True)
    mine = page(first)
    with CaptureQueriesContext(connection) as queries:
        theirs = page(second)
    assert not any("analytics_cell" in q["sql"] for q in queries.captured_queries)  # the body came from cache
    assert (who(mine), who(theirs)) == ("leader", "coordinator")
    assert csrf_token(mine) != csrf_token(theirs)
    # Each page's token works for its own session (the language switch is a POST form on it).
    for client, html in ((first, mine), (second, theirs)):
        switched = client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/",
                                                  "csrfmiddlewaretoken": csrf_token(html)})
        assert switched.status_code == 302
    refused = Client(enforce_csrf_checks=True)
    refused.force_login(leader)
    assert refused.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 403
    # The other language is a body of its own.
    english = page(first)
    assert "Socio-economic overview" in english and who(english) == "leader"


def test_known_on_is_not_cached(service, leader) -> None:  # type: ignore[no-untyped-def]
    load(service, current("01"), "2026-01", "12345")
    client = signed_in(leader)
    known = page(client, unit="01", known="2026-01-31")
    assert 'data-testid="known-on"' in known and "12.345,0" not in known
    current_page = page(client, unit="01")
    assert 'data-testid="known-on"' not in current_page and "12.345,0" in current_page
    assert "12.345,0" in page(client, unit="01", known="2026-02-11")


def warm_queries(client: Client) -> int:
    page(client)
    page(client)
    with CaptureQueriesContext(connection) as queries:
        page(client)
    return len(queries.captured_queries)


def test_a_warm_overview_request_stays_within_its_queries(service, leader) -> None:  # type: ignore[no-untyped-def]
    load(service, current("01"), "2026-01", "12345")
    assert warm_queries(signed_in(leader)) <= WARM_QUERIES


@pytest.mark.two_factor
def test_with_two_factor_too(service, leader, verified_login) -> None:  # type: ignore[no-untyped-def]
    load(service, current("01"), "2026-01", "12345")
    client = Client()
    verified_login(client, leader)
    assert warm_queries(client) <= WARM_QUERIES_TWO_FACTOR
