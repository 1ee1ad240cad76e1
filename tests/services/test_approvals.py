"""Approval steps: the rules (all, any, at least N), rejection, segregation of duties, self
approval, and an approval that does not carry over to an edited policy."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, only_execution, workflow


def _approval_flow(
    eng: AppContext,
    install: Callable[..., None],
    rule: object,
    approvers: list[str],
    **extra: object,
) -> None:
    install(
        workflow(
            "Approve",
            [
                {"type": "approval", "approvers": approvers, "rule": rule},
                {"type": "create_task", "title": "after approval"},
            ],
            **extra,
        )
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    assert only_execution(eng).status == "awaiting_approval"


@pytest.mark.parametrize(
    ("rule", "answers", "done"),
    [
        ("all", ["bob"], False),
        ("all", ["bob", "carol"], True),
        ("any", ["carol"], True),
        ({"at_least": 2}, ["bob"], False),
        ({"at_least": 2}, ["bob", "dave"], True),
    ],
)
def test_approval_rules(
    eng: AppContext, install: Callable[..., None], rule: object, answers: list[str], done: bool
) -> None:
    """The execution moves on exactly when the rule is met."""
    eng.users.add(ME, "dave", "Dave", "approver")  # type: ignore[arg-type]
    _approval_flow(
        eng,
        install,
        rule,
        ["bob", "carol", "dave"] if isinstance(rule, dict) else ["bob", "carol"],
    )
    for approver in answers:
        pending = [a for a in eng.approvals.list(approver=approver) if a.status == "pending"]
        eng.approvals.approve(pending[0].id, approver, "ok", signer=signer(eng, approver))
    drain(eng)
    assert (only_execution(eng).status == "completed") is done
    assert len(eng.monitor.tasks()) == (1 if done else 0)
    if done:
        assert not [a for a in eng.approvals.list() if a.status == "pending"]


def test_rejection_ends_execution_with_comment(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A rejection needs a reason and ends the execution as rejected."""
    _approval_flow(eng, install, "all", ["bob", "carol"])
    approval = eng.approvals.list(approver="bob")[0]
    with pytest.raises(ValidationError, match="needs a reason"):
        eng.approvals.reject(approval.id, "bob", "  ", signer=signer(eng, "bob"))
    eng.approvals.reject(approval.id, "bob", "section 4 is wrong", signer=signer(eng, "bob"))
    execution = only_execution(eng)
    assert execution.status == "rejected" and "section 4 is wrong" in (execution.error or "")
    with pytest.raises(ConflictError):
        eng.approvals.approve(
            eng.approvals.list(approver="carol")[0].id, "carol", signer=signer(eng, "carol")
        )


def test_segregation_of_duties(eng: AppContext, install: Callable[..., None]) -> None:
    """The person whose change started it cannot approve; others only their own requests."""
    eng.users.add(ME, "dave", "Dave", "approver")  # type: ignore[arg-type]
    install(workflow("Approve", [{"type": "approval", "approvers": [ME, "bob"], "rule": "any"}]))
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    mine = eng.approvals.list(approver=ME)[0]
    with pytest.raises(PermissionDeniedError, match="segregation of duties"):
        eng.approvals.approve(mine.id, ME, signer=signer(eng, ME))
    with pytest.raises(PermissionDeniedError, match=f"is for '{ME}'"):
        eng.approvals.approve(mine.id, "dave", signer=signer(eng, "dave"))
    eng.approvals.approve(
        eng.approvals.list(approver="bob")[0].id, "bob", signer=signer(eng, "bob")
    )
    assert only_execution(eng).status == "completed"


def test_self_approval_when_workflow_allows(eng: AppContext, install: Callable[..., None]) -> None:
    """allow_self_approval lifts segregation of duties for that workflow."""
    _approval_flow(eng, install, "any", [ME], allow_self_approval=True)
    eng.approvals.approve(eng.approvals.list(approver=ME)[0].id, ME, signer=signer(eng, ME))
    drain(eng)
    assert only_execution(eng).status == "completed"


def test_approval_does_not_carry_over_to_new_text(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """An approval requested for one version cannot approve an edited policy."""
    _approval_flow(eng, install, "any", ["bob"])
    eng.policies.update(ME, "POL-001", body="a different text")
    with pytest.raises(ConflictError, match="version 1 → 2"):
        eng.approvals.approve(
            eng.approvals.list(approver="bob")[0].id, "bob", signer=signer(eng, "bob")
        )
