"""Delegating approvals: who may delegate to whom, for how long, and what a delegate may
answer (docs/authority.md, "Delegation and escalation")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, only_execution, workflow


def _today() -> date:
    return local_date(utc_now())


def _bob_asked(eng: AppContext, install: Callable[..., None], requester: str = "alice") -> int:
    """POL-001 goes to review (by `requester`); its workflow asks bob alone; bob's request id."""
    install(workflow("Approve", [{"type": "approval", "approvers": ["bob"], "rule": "any"}]))
    eng.policies.change_status(requester, "POL-001", "in_review")
    drain(eng)
    return eng.approvals.list(approver="bob")[0].id


def test_delegate_answers_inside_the_range(eng: AppContext, install: Callable[..., None]) -> None:
    """carol, bob's delegate for today, approves bob's request; the record names both."""
    approval = _bob_asked(eng, install)
    made = eng.delegations.delegate("bob", "carol", _today(), _today() + timedelta(days=2), "leave")
    assert made.state == "active" and made.delegator == "bob"
    info = eng.approvals.approve(approval, "carol", "fine", signer=signer(eng, "carol"))
    assert (info.approver, info.responded_by, info.delegated_from) == ("bob", "carol", "bob")
    drain(eng)
    assert only_execution(eng).status == "completed"
    events = {e.action: e for e in eng.audit.events()}
    assert events["delegation.created"].actor == "bob"
    assert events["delegation.created"].details["delegate"] == "carol"
    assert events["approval.approved"].actor == "carol"
    assert events["approval.approved"].details["delegated_from"] == "bob"


def test_delegate_refused_outside_the_range(eng: AppContext, install: Callable[..., None]) -> None:
    """A delegation that starts tomorrow, or was revoked, lets the delegate answer nothing."""
    approval = _bob_asked(eng, install)
    later = eng.delegations.delegate(
        "bob", "carol", _today() + timedelta(days=1), _today() + timedelta(days=5)
    )
    assert later.state == "scheduled"
    with pytest.raises(PermissionDeniedError, match="is for 'bob', not 'carol'"):
        eng.approvals.approve(approval, "carol", signer=signer(eng, "carol"))
    eng.delegations.revoke("bob", later.id)
    now = eng.delegations.delegate("bob", "carol", _today(), _today())
    eng.delegations.revoke(ME, now.id)  # an admin may revoke anyone's
    with pytest.raises(PermissionDeniedError, match="is for 'bob', not 'carol'"):
        eng.approvals.approve(approval, "carol", signer=signer(eng, "carol"))
    assert [d.state for d in eng.delegations.list("carol")] == ["revoked", "revoked"]
    assert [e.action for e in eng.audit.events(entity_type="user", entity_id="bob")][:2] == [
        "delegation.revoked",
        "delegation.created",
    ]


def test_delegation_to_the_requester_refused(eng: AppContext, install: Callable[..., None]) -> None:
    """bob cannot hand his request to the person who asked for it (segregation of duties)."""
    _bob_asked(eng, install, requester=ME)
    with pytest.raises(PermissionDeniedError) as refused:
        eng.delegations.delegate("bob", ME, _today(), _today())
    assert "(rule: segregation of duties)" in str(refused.value)
    assert f"'{ME}': they asked for this approval (POL-001" in str(refused.value)
    assert eng.delegations.list() == []


def test_segregation_of_duties_applies_to_the_delegate(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A delegate who later requests the change still cannot approve it."""
    eng.delegations.delegate("bob", ME, _today(), _today() + timedelta(days=3))
    approval = _bob_asked(eng, install, requester=ME)
    with pytest.raises(PermissionDeniedError, match="segregation of duties"):
        eng.approvals.approve(approval, ME, signer=signer(eng, ME))


def test_delegation_to_an_officer_refused(eng: AppContext) -> None:
    """The delegate must be a role that answers approvals: an officer is refused by role."""
    with pytest.raises(PermissionDeniedError) as refused:
        eng.delegations.delegate("bob", "alice", _today(), _today())
    assert str(refused.value) == (
        "cannot delegate to 'alice': 'alice' is officer; only approver or admin may answer "
        "approvals addressed to them (rule: role)"
    )


def test_who_may_delegate(eng: AppContext) -> None:
    """An officer delegates nothing; only an admin delegates for another approver."""
    with pytest.raises(PermissionDeniedError, match=r"'alice' is officer.*\(rule: role\)"):
        eng.delegations.delegate("alice", "bob", _today(), _today())
    with pytest.raises(PermissionDeniedError, match="only admin may delegate another"):
        eng.delegations.delegate("carol", ME, _today(), _today(), for_user="bob")
    made = eng.delegations.delegate(ME, "carol", _today(), _today(), "sick", for_user="bob")
    assert (made.delegator, made.delegate, made.created_by) == ("bob", "carol", ME)
    with pytest.raises(PermissionDeniedError, match="only they or an admin"):
        eng.delegations.revoke("carol", made.id)


@pytest.mark.parametrize(
    ("to", "start", "end", "error", "match"),
    [
        ("bob", 0, 1, ValidationError, "cannot delegate to themselves"),
        ("carol", 3, 1, ValidationError, "ends .* before it starts"),
        ("carol", -5, -1, ValidationError, "already be over"),
        ("carol", 0, 366, ValidationError, "at most a year"),
        ("nobody", 0, 1, NotFoundError, "unknown delegate 'nobody'"),
    ],
)
def test_bad_delegations_refused(
    eng: AppContext, to: str, start: int, end: int, error: type[Exception], match: str
) -> None:
    """Dates in order, not over, at most a year; a known delegate other than oneself."""
    today = _today()
    with pytest.raises(error, match=match):
        eng.delegations.delegate(
            "bob", to, today + timedelta(days=start), today + timedelta(days=end)
        )
    assert eng.delegations.list() == []


def test_overlapping_delegation_refused(eng: AppContext) -> None:
    """One delegate at a time: a second range that overlaps the first is refused."""
    eng.delegations.delegate("bob", "carol", _today(), _today() + timedelta(days=3))
    with pytest.raises(ConflictError, match=r"already delegates to 'carol'.*revoke it first"):
        eng.delegations.delegate("bob", ME, _today() + timedelta(days=2), _today() + timedelta(4))


def test_delegation_to_the_author_refused(eng: AppContext, install: Callable[..., None]) -> None:
    """Nor to the one who wrote the text under approval (segregation of duties)."""
    _bob_asked(eng, install)  # alice asks; the admin wrote POL-001's only version
    with pytest.raises(PermissionDeniedError) as refused:
        eng.delegations.delegate("bob", ME, _today(), _today())
    assert "the text under approval" in str(refused.value)
    assert "(rule: segregation of duties)" in str(refused.value)
