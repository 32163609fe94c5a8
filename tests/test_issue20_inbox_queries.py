"""The approver's inbox reads a fixed number of queries whatever the number of reports it
lists (a review finding of issue 20: its text report link ran one query per row)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nrs.accounts import actions as account_actions
from nrs.accounts.models import Role
from tests.conftest import current
from tests.test_issue20_inbox import INBOX, load, signed_in

pytestmark = pytest.mark.django_db
MONTHS = ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]


@pytest.fixture
def service(make_user):  # type: ignore[no-untyped-def]
    user = make_user("svc", "system", "CP")
    account_actions.grant_role(user, Role.APPROVER, current("CP"))
    return user


def inbox_queries(client, listed: int) -> int:  # type: ignore[no-untyped-def]
    cache.clear()
    with CaptureQueriesContext(connection) as read:
        page = client.get(INBOX).content.decode()
    assert page.count("<tr data-submission=") == listed
    assert "data-document" not in page  # loaded in bulk, without a text report: no link to one
    return len(read.captured_queries)


def test_the_inbox_reads_as_many_queries_for_six_reports_as_for_two(service, make_user) -> None:  # type: ignore[no-untyped-def]
    approver = make_user("hn.approver", "approver", "01")
    client = signed_in(approver)
    for month in MONTHS[:2]:
        load(service, current("01"), month, "submitted")
    two = inbox_queries(client, 2)
    for month in MONTHS[2:]:
        load(service, current("01"), month, "submitted")
    six = inbox_queries(client, 6)
    assert six == two, (two, six)
