"""The auditor's viewer at /audit/: who may see it, whose events, filters, detail, the
chain check and the CSV export."""

from __future__ import annotations

import csv
import html as html_lib
import importlib
import io

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nrs.accounts import actions
from nrs.accounts.models import Role
from nrs.audit import chain
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.audit.models import Event
from tests.conftest import current

pytestmark = pytest.mark.django_db

TRIGGERS = importlib.import_module("nrs.audit.migrations.0006_hash_chain")


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def grants(make_user, coordinator):  # type: ignore[no-untyped-def]
    """Two real grants: one on Hà Nội (01), one on the Ministry of Finance (BTC)."""
    hanoi = make_user("hn.viewer")
    mof = make_user("mof.viewer")
    actions.grant_role(hanoi, Role.VIEWER, current("01"), actor=coordinator)
    actions.grant_role(mof, Role.VIEWER, current("BTC"), actor=coordinator)
    return {code: Event.objects.filter(event_type=EventType.GRANT_ADDED, org_unit__code=code)
            .latest("seq") for code in ("01", "BTC")}


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # issue 20: a BOM for Excel
    return list(csv.DictReader(io.StringIO(text)))


def test_the_auditor_sees_every_event(auditor, grants) -> None:  # type: ignore[no-untyped-def]
    client = _client(auditor)
    page = client.get(reverse("audit:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("audit:list") in html  # the navigation link
    for event in grants.values():
        assert f'data-seq="{event.seq}"' in html
    detail = html_lib.unescape(client.get(reverse("audit:detail", args=[grants["01"].seq])).content.decode())
    assert grants["01"].hash in detail and grants["01"].prev_hash in detail
    assert "hn.viewer: viewer" in detail and '"role": "viewer"' in detail
    assert 'data-testid="matches" data-ok="1"' in detail


def test_a_reporter_is_refused(hanoi_reporter, grants) -> None:  # type: ignore[no-untyped-def]
    client = _client(hanoi_reporter)
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get(reverse("audit:detail", args=[grants["01"].seq])).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403
    assert client.post(reverse("audit:verify"), {"first": 1, "last": 1}).status_code == 403
    assert reverse("audit:list") not in client.get(reverse("home")).content.decode()


def test_a_province_auditor_sees_only_its_units(make_user, grants) -> None:  # type: ignore[no-untyped-def]
    client = _client(make_user("hn.auditor", "auditor", "01"))
    html = client.get(reverse("audit:list")).content.decode()
    assert f'data-seq="{grants["01"].seq}"' in html
    assert f'data-seq="{grants["BTC"].seq}"' not in html
    assert client.get(reverse("audit:detail", args=[grants["BTC"].seq])).status_code == 404
    # Events tied to no unit (user created, sign-ins) are for auditors on the root only.
    created = Event.objects.filter(event_type=EventType.USER_CREATED, summary="hn.viewer").get()
    assert client.get(reverse("audit:detail", args=[created.seq])).status_code == 404
    units = {row["org_unit"] for row in _csv(client.get(reverse("audit:export")))}
    assert "01" in units and "BTC" not in units and "" not in units


def test_filters(auditor, grants) -> None:  # type: ignore[no-untyped-def]
    client = _client(auditor)

    def seqs(**query: str) -> set[int]:
        return {int(row["seq"]) for row in _csv(client.get(reverse("audit:export"), query))}

    assert seqs(unit="01") >= {grants["01"].seq} and grants["BTC"].seq not in seqs(unit="01")
    assert seqs(event_type=EventType.GRANT_ADDED) >= {grants["01"].seq, grants["BTC"].seq}
    assert grants["01"].seq not in seqs(event_type=EventType.LOGIN)
    assert seqs(actor="coordinator") >= {grants["01"].seq, grants["BTC"].seq}
    assert grants["01"].seq not in seqs(actor="auditor")
    grant = grants["BTC"]
    assert seqs(object_type=grant.object_type, object_id=grant.object_id) == {grant.seq}
    today = timezone.localtime(grant.occurred_at).date().isoformat()
    assert grant.seq in seqs(date_from=today, date_to=today)
    assert grant.seq not in seqs(date_to="2020-01-01")
    assert client.get(reverse("audit:list"), {"date_from": "not a date"}).status_code == 200
    assert seqs(date_from="not a date") == set()


def test_pages_newest_first(auditor) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        made = [record(EventType.METADATA_CHANGED, summary=f"page probe {i}").seq for i in range(60)]
    client = _client(auditor)
    first = client.get(reverse("audit:list"), {"event_type": EventType.METADATA_CHANGED}).content.decode()
    assert f'data-seq="{made[-1]}"' in first and f'data-seq="{made[0]}"' not in first
    assert first.index(f'data-seq="{made[-1]}"') < first.index(f'data-seq="{made[-2]}"')
    second = client.get(reverse("audit:list"),
                        {"event_type": EventType.METADATA_CHANGED, "page": "2"}).content.decode()
    assert f'data-seq="{made[0]}"' in second


def test_the_csv_export_is_guarded(auditor) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        event = record(EventType.METADATA_CHANGED, summary='=HYPERLINK("http://x","y")',
                       data={"note": "+1"})
    rows = _csv(_client(auditor).get(reverse("audit:export"), {"object_id": "", "actor": ""}))
    row = next(r for r in rows if r["seq"] == str(event.seq))
    assert row["summary"] == "'" + event.summary
    assert row["hash"] == event.hash and row["prev_hash"] == event.prev_hash


def test_the_chain_check_on_the_page(auditor, grants) -> None:  # type: ignore[no-untyped-def]
    client = _client(auditor)
    first, last = grants["01"].seq, grants["BTC"].seq
    ok = client.post(reverse("audit:verify"), {"first": first, "last": last}, HTTP_HX_REQUEST="true")
    assert 'data-ok="1"' in ok.content.decode()
    assert client.post(reverse("audit:verify"), {"first": "x", "last": "1"}).status_code == 400
    with connection.cursor() as cursor:  # a DBA edits a row behind the triggers' back
        for sql in TRIGGERS.DROP[connection.vendor]:
            cursor.execute(sql)
        cursor.execute("UPDATE audit_event SET summary = 'x' WHERE seq = %s", [last])
        for sql in TRIGGERS.CREATE[connection.vendor]:
            cursor.execute(sql)
    broken = client.post(reverse("audit:verify"), {"first": first, "last": last}).content.decode()
    assert 'data-ok="0"' in broken and f"seq {last}" in broken
    assert "data-ok=\"0\"" in client.get(reverse("audit:detail", args=[last])).content.decode()


def test_the_last_full_verification_is_shown(auditor) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    call_command("audit", "verify", stdout=io.StringIO())
    verified = Event.objects.filter(event_type=EventType.AUDIT_VERIFIED).latest("seq")
    html = _client(auditor).get(reverse("audit:list")).content.decode()
    assert 'data-testid="last-verified"' in html and f"seq {verified.data['seq']}" in html
    assert verified.data["seq"] == verified.seq - 1 and chain.verify().ok
