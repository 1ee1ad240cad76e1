"""PolicyService: changes are audited in the same transaction; refused moves change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import (
    ConflictError,
    LifecycleError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from tests.helpers.actors import ME
from tests.helpers.authority import publish
from tests.helpers.identity import signer


@pytest.fixture
def with_policy(ctx: AppContext) -> AppContext:
    ctx.users.add(ME, "alice", "Alice", role="officer")  # type: ignore[arg-type]
    ctx.policies.add(ME, "POL-001", "Information Security Policy", owner="alice")
    return ctx


def test_add_starts_as_draft_owned(with_policy: AppContext) -> None:
    """A new policy is a draft at version 1 with its owner."""
    p = with_policy.policies.get("POL-001")
    assert (p.status, p.owner, p.version, p.created_by) == ("draft", "alice", 1, ME)


def test_change_status_audits_and_schedules_review(with_policy: AppContext) -> None:
    """Publishing sets the next review date; each move is one audit event."""
    publish(with_policy, "POL-001")
    p = with_policy.policies.get("POL-001")
    assert p.status == "published"
    assert p.next_review_date == date.today() + timedelta(days=365)
    moves = [
        e
        for e in with_policy.audit.events("policy", "POL-001")
        if e.action == "policy.status_changed"
    ]
    assert [m.details["to"] for m in reversed(moves)] == [
        "in_review",
        "awaiting_approval",
        "approved",
        "published",
    ]


def test_refused_move_changes_nothing(with_policy: AppContext) -> None:
    """An illegal move raises the lifecycle's message and writes no row."""
    by = signer(with_policy, ME)
    before = with_policy.audit.verify().events
    with pytest.raises(
        LifecycleError,
        match=r"POL-001: cannot move from draft to published "
        r"\(allowed: in_review, retired\)",
    ):
        with_policy.policies.change_status(ME, "POL-001", "published", signer=by)
    assert with_policy.policies.get("POL-001").status == "draft"
    assert with_policy.audit.verify().events == before


def test_unknown_status_names_the_value(with_policy: AppContext) -> None:
    """A status that does not exist is a validation error naming it."""
    with pytest.raises(ValidationError, match="'nope' is not a status"):
        with_policy.policies.change_status(ME, "POL-001", "nope")


def test_update_bumps_version_on_text_change(with_policy: AppContext) -> None:
    """A new body makes a new version; an assignee change alone does not."""
    with_policy.policies.update(ME, "POL-001", body="new text")
    with_policy.policies.update(ME, "POL-001", assignee="alice")
    p = with_policy.policies.get("POL-001")
    assert (p.version, p.assignee, p.body) == (2, "alice", "new text")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"code": "POL 1", "title": "x"}, ValidationError),
        ({"code": "POL-001", "title": "dup"}, ConflictError),
        ({"code": "POL-002", "title": "   "}, ValidationError),
        ({"code": "POL-002", "title": "x", "owner": "ghost"}, NotFoundError),
    ],
)
def test_bad_policy_input(
    with_policy: AppContext, kwargs: dict[str, str], error: type[Exception]
) -> None:
    """Bad codes, duplicates, blank titles and unknown owners are refused."""
    with pytest.raises(error):
        with_policy.policies.add(ME, **kwargs)  # type: ignore[arg-type]
    assert [p.code for p in with_policy.policies.list()] == ["POL-001"]


def test_only_admins_add_users(with_policy: AppContext) -> None:
    """An officer cannot add users."""
    with pytest.raises(PermissionDeniedError, match="only admin may add users"):
        with_policy.users.add("alice", "bob")


def test_unknown_actor_is_refused(with_policy: AppContext) -> None:
    """A change by someone not in the directory is refused."""
    with pytest.raises(NotFoundError, match="unknown actor 'ghost'"):
        with_policy.policies.change_status("ghost", "POL-001", "in_review")
