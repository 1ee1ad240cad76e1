"""Users: deactivation moves pending work to a named user, the last admin stays, roles change
only by an admin; every change is audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import ConflictError, PermissionDeniedError
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, only_execution, workflow


def _waiting_on(eng: AppContext, install: Callable[..., None], approvers: list[str]) -> None:
    install(
        workflow(
            "Review",
            [
                {"type": "assign", "user": "bob"},
                {"type": "create_task", "title": "Check {policy.code}", "assignee": "bob"},
                {"type": "approval", "approvers": approvers, "rule": "all"},
                {"type": "create_task", "title": "after approval", "assignee": "alice"},
            ],
        )
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    assert only_execution(eng).status == "awaiting_approval"


def _pending(eng: AppContext, who: str) -> list[int]:
    return [a.id for a in eng.approvals.list(approver=who) if a.status == "pending"]


def test_deactivate_moves_approvals_tasks_and_policies(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """bob's pending approval, open task and assigned policy move to dave; bob is inactive."""
    eng.users.add(ME, "dave", "Dave", "approver")  # type: ignore[arg-type]
    _waiting_on(eng, install, ["bob", "carol"])
    bob_signer = signer(eng, "bob")  # signed in before being deactivated
    report = eng.users.deactivate(ME, "bob", "dave", signer=signer(eng, ME))
    moved = (report.approvals_moved, report.approvals_expired)
    assert (*moved, report.tasks_moved, report.policies_moved) == (1, 0, 1, 1)
    assert eng.policies.get("POL-001").assignee == "dave"
    assert _pending(eng, "bob") == [] and len(_pending(eng, "dave")) == 1
    assert [t.title for t in eng.inbox.tasks("dave")] == ["Check POL-001"]
    bob = eng.users.get("bob")
    assert not bob.active and bob.deactivated_at is not None
    event = eng.audit.events("user", "bob")[0]
    assert event.action == "user.deactivated"
    assert event.details["reassigned_to"] == "dave" and event.details["approvals_moved"] == 1
    with pytest.raises(PermissionDeniedError, match=r"rule: active users"):
        eng.approvals.approve(_pending(eng, "dave")[0], "bob", "ok", signer=bob_signer)
    with pytest.raises(PermissionDeniedError, match=r"deactivated.*rule: active users"):
        signer(eng, "bob")


def test_a_person_counts_once_when_work_moves_to_a_fellow_approver(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """Reassigned to carol, who already answers the step: bob's row expires, carol's answer
    alone meets "all" of the step's remaining approvers."""
    _waiting_on(eng, install, ["bob", "carol"])
    report = eng.users.deactivate(ME, "bob", "carol", signer=signer(eng, ME))
    assert (report.approvals_moved, report.approvals_expired) == (0, 1)
    assert len(_pending(eng, "carol")) == 1
    eng.approvals.approve(_pending(eng, "carol")[0], "carol", "ok", signer=signer(eng, "carol"))
    drain(eng)
    assert only_execution(eng).status == "completed"


def test_approvals_move_only_to_someone_who_may_answer_them(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """An officer cannot take over pending approvals; nothing changes (rule: role)."""
    _waiting_on(eng, install, ["bob", "carol"])
    with pytest.raises(PermissionDeniedError, match=r"'alice' is officer.*\(rule: role\)$"):
        eng.users.deactivate(ME, "bob", "alice", signer=signer(eng, ME))
    assert eng.users.get("bob").active and len(_pending(eng, "bob")) == 1


def test_reassign_to_a_deactivated_user_is_refused(eng: AppContext) -> None:
    """The user who takes over must be active; deactivating twice is a conflict."""
    eng.users.deactivate(ME, "carol", "bob", signer=signer(eng, ME))
    with pytest.raises(PermissionDeniedError, match=r"'carol' is deactivated.*active users"):
        eng.users.deactivate(ME, "bob", "carol", signer=signer(eng, ME))
    with pytest.raises(ConflictError, match="already deactivated"):
        eng.users.deactivate(ME, "carol", "bob", signer=signer(eng, ME))


def test_the_last_admin_can_be_neither_deactivated_nor_demoted(eng: AppContext) -> None:
    """One active admin: deactivating or demoting them is refused (rule: last admin)."""
    with pytest.raises(PermissionDeniedError, match=r"rule: last admin"):
        eng.users.deactivate(ME, ME, "bob", signer=signer(eng, ME))
    with pytest.raises(PermissionDeniedError, match=r"rule: last admin"):
        eng.users.set_role(ME, ME, "officer")
    eng.users.set_role(ME, "carol", "admin")
    eng.users.set_role(ME, ME, "officer")  # another admin now exists
    with pytest.raises(PermissionDeniedError, match=r"rule: last admin"):
        eng.users.set_role("carol", "carol", "approver")
    assert eng.users.get(ME).role == "officer"


def test_set_role_is_audited_and_admin_only(eng: AppContext) -> None:
    """An officer cannot change roles (rule: role); an admin's change is audited old → new."""
    with pytest.raises(PermissionDeniedError, match=r"'alice' is officer.*\(rule: role\)$"):
        eng.users.set_role("alice", "alice", "admin")
    eng.users.set_role(ME, "alice", "auditor")
    event = eng.audit.events("user", "alice")[0]
    changed = {"old": "officer", "new": "auditor"}
    assert (event.action, event.details) == ("user.role_changed", changed)
    with pytest.raises(PermissionDeniedError, match=r"rule: role"):
        eng.users.deactivate("alice", "bob", "carol", signer=signer(eng, "alice"))


def test_deactivation_ends_the_users_delegations(eng: AppContext) -> None:
    """Delegations given or received by a deactivated user are revoked with them, audited."""
    from datetime import date, timedelta

    eng.users.add(ME, "dave", "Dave", "approver")  # type: ignore[arg-type]
    today = date.today()
    given = eng.delegations.delegate("bob", "carol", today, today + timedelta(days=5))
    received = eng.delegations.delegate("dave", "bob", today, today + timedelta(days=5))
    eng.users.deactivate(ME, "bob", "carol", signer=signer(eng, ME))
    revoked = {d.id: d.revoked_at for d in eng.delegations.list()}
    assert revoked[given.id] is not None and revoked[received.id] is not None
    [event] = [e for e in eng.audit.events("user", "bob") if e.action == "user.deactivated"]
    assert event.details["delegations_revoked"] == 2
