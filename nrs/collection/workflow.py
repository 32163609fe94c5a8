"""The submission state machine: a transition table, nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from nrs.accounts.access import Perm
from nrs.collection.models import State


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
