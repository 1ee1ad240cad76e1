"""Document control and the guards on approved and published (docs/authority.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from governance_desktop.app import AppContext
from governance_desktop.domain.document import content_hash
from governance_desktop.domain.errors import LifecycleError
from governance_desktop.store.models import Policy, PolicyVersion
from tests.helpers.actors import ME
from tests.helpers.authority import approve_pending, publish, walk_to
from tests.helpers.identity import signer


def _versions(ctx: AppContext, code: str) -> list[PolicyVersion]:
    with ctx.db.reading() as session:
        policy_id = session.scalar(select(Policy.id).where(Policy.code == code))
        return list(
            session.scalars(
                select(PolicyVersion)
                .where(PolicyVersion.policy_id == policy_id)
                .order_by(PolicyVersion.number)
            )
        )


def test_every_save_of_content_is_a_hashed_version(eng: AppContext) -> None:
    """add, then title, body, owner and review interval each save a new version whose hash is
    the content's; an assignee change is not content and saves none."""
    eng.policies.update("alice", "POL-001", body="Text one.")
    eng.policies.update("alice", "POL-001", owner="bob")
    eng.policies.update("alice", "POL-001", review_interval_days=180)
    eng.policies.update("alice", "POL-001", assignee="carol")
    rows = _versions(eng, "POL-001")
    assert [v.number for v in rows] == [1, 2, 3, 4]
    last = rows[-1]
    assert (last.body, last.owner, last.review_interval_days) == ("Text one.", "bob", 180)
    assert last.content_hash == content_hash(last.title, "Text one.", "bob", 180)
    assert rows[0].body == "" and rows[0].created_by == ME
    assert len({v.content_hash for v in rows}) == 4
    assert eng.policies.get("POL-001").version == 4


def test_a_saved_version_never_changes(eng: AppContext) -> None:
    """Editing again adds a row; the rows written before keep their text and hash."""
    eng.policies.update("alice", "POL-001", body="First text.")
    before = [(v.number, v.body, v.content_hash) for v in _versions(eng, "POL-001")]
    eng.policies.update("alice", "POL-001", body="Second text.")
    after = [(v.number, v.body, v.content_hash) for v in _versions(eng, "POL-001")]
    assert after[: len(before)] == before and after[-1][1] == "Second text."


def test_editing_a_published_policy_opens_a_revision(eng: AppContext) -> None:
    """The published text stays effective; the new text is a draft revision."""
    publish(eng, "POL-001")
    eng.policies.update("alice", "POL-001", body="Revised text.")
    policy = eng.policies.get("POL-001")
    assert (policy.status, policy.version, policy.effective_version) == ("draft", 2, 1)
    [effective] = [v for v in _versions(eng, "POL-001") if v.number == 1]
    assert effective.body == "" and effective.published_at is not None


def test_retired_is_read_only(eng: AppContext) -> None:
    """No field of a retired policy can be saved (rule: document control)."""
    eng.policies.change_status("alice", "POL-001", "retired", signer=signer(eng, "alice"))
    for change in ({"body": "x"}, {"assignee": "bob"}):
        with pytest.raises(LifecycleError, match=r"retired and read-only \(rule: document"):
            eng.policies.update("alice", "POL-001", **change)
    assert len(_versions(eng, "POL-001")) == 1


def test_text_awaiting_approval_cannot_change(eng: AppContext) -> None:
    """The approvers' text is frozen while they are asked; returning to draft unfreezes it."""
    walk_to(eng, "POL-001", "awaiting_approval")
    with pytest.raises(LifecycleError, match=r"return it to draft first \(rule: document control"):
        eng.policies.update("alice", "POL-001", body="Sneaked in.")
    eng.policies.change_status("alice", "POL-001", "draft")
    eng.policies.update("alice", "POL-001", body="Changed openly.")
    assert eng.policies.get("POL-001").version == 2


def test_a_person_never_moves_a_policy_to_approved(eng: AppContext) -> None:
    """Even a text approved in an earlier round needs this round's approval: a direct move is
    refused (rule: guarded transition); the new round's rule met approves it."""
    walk_to(eng, "POL-001", "approved")
    eng.policies.change_status("alice", "POL-001", "draft")
    eng.policies.change_status("alice", "POL-001", "in_review")
    eng.policies.change_status("alice", "POL-001", "awaiting_approval")
    with pytest.raises(LifecycleError, match=r"never by a direct move \(rule: guarded transition"):
        eng.policies.change_status(ME, "POL-001", "approved")
    approve_pending(eng, "POL-001")
    assert eng.policies.get("POL-001").status == "approved"


def test_only_an_approved_text_is_published(eng: AppContext) -> None:
    """Publishing needs the current version approved; a text not approved is refused even in
    the approved status (e.g. an approval recorded for another version)."""
    walk_to(eng, "POL-001", "approved")
    with eng.db.transaction() as session:  # the approval belongs to some other text
        session.execute(update(PolicyVersion).values(approved_at=None))
    with pytest.raises(LifecycleError, match=r"has not been approved.*\(rule: guarded transition"):
        eng.policies.change_status("alice", "POL-001", "published", signer=signer(eng, "alice"))
    assert eng.policies.get("POL-001").status == "approved"
