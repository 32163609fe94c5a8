"""The submission state machine: a transition table, and the separation of duties
(access.SUBMISSIONS) checked on each transition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.collection.models import State

if TYPE_CHECKING:  # pragma: no cover
    from nrs.accounts.models import ApiToken
    from nrs.collection.models import Submission


@dataclass(frozen=True)
class Step:
    sources: frozenset[str]
    target: str
    perm: Perm
    needs_comment: bool = False


STEPS: dict[str, Step] = {
    "submit": Step(frozenset({State.DRAFT, State.RETURNED}), State.SUBMITTED, Perm.SUBMIT),
    "approve": Step(frozenset({State.SUBMITTED}), State.APPROVED, Perm.APPROVE),
    "return": Step(frozenset({State.SUBMITTED}), State.RETURNED, Perm.APPROVE, needs_comment=True),
    "revise": Step(frozenset({State.APPROVED}), State.DRAFT, Perm.ENTER_DATA, needs_comment=True),
}


class WorkflowError(Exception):
    """An illegal or incomplete transition; carries bilingual messages and issues."""

    def __init__(self, vi: str, en: str, issues: list | None = None) -> None:  # type: ignore[type-arg]
        self.vi, self.en, self.issues = vi, en, issues or []
        super().__init__(f"{vi} / {en}")


def check_duties(submission: Submission, action: str, *, actor: access.Actor,
                 token: ApiToken | None = None) -> None:
    """Refuse ``action`` when separation of duties forbids ``actor`` it: an approver who
    entered or submitted the report's current version (unless the regime's
    ``separate_duties`` is off). Call with the submission locked."""
    if access.SUBMISSIONS.duty_conflict(actor, action, submission, token=token):
        raise WorkflowError(
            "người nhập hoặc gửi báo cáo không được tự phê duyệt; cần một người duyệt khác",
            "whoever entered or submitted a report may not approve it; another approver is needed")
