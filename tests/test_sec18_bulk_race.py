"""Issue 18, finding 13 (first-write race), the bulk path: a report that another import or
the web form opened between this import's look-up and its insert must be a clean, bilingual
refusal of the batch (resend: an identical report is then skipped), never an IntegrityError."""

from __future__ import annotations

import pytest

from nrs.collection import bulk
from nrs.collection.models import DataValue, Submission
from tests.test_bulk import TODAY, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def loader(make_user):  # type: ignore[no-untyped-def]
    from nrs.accounts import actions
    from tests.conftest import current

    user = make_user("race.loader", "system", "CP")
    actions.grant_role(user, "approver", current("CP"))
    return user


def test_a_report_opened_meanwhile_refuses_the_batch_cleanly(loader, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = bulk.import_reports([report("31")], actor=loader, today=TODAY)
    assert (first.reports, first.issues) == (1, [])
    values = DataValue.objects.count()
    # The race, made certain: this import's look-up ran before the other write committed.
    monkeypatch.setattr(bulk, "_existing", lambda batch: {})
    second = bulk.import_reports([report("01"), report("31")], actor=loader, today=TODAY)
    assert second.reports == 0 and second.values == 0
    assert [issue.code for issue in second.issues] == ["concurrent_write"]
    issue = second.issues[0]
    assert "31" in issue.vi and "31" in issue.en
    assert (Submission.objects.count(), DataValue.objects.count()) == (1, values)
    monkeypatch.undo()
    resent = bulk.import_reports([report("01"), report("31")], actor=loader, today=TODAY)
    assert (resent.reports, resent.skipped, resent.issues) == (1, 1, [])
