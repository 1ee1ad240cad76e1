"""PolicyVersions: the text an approval pinned and its diff against the effective version."""

from __future__ import annotations

from collections.abc import Callable

from governance_desktop.app import AppContext
from governance_desktop.domain.diff import Op, Segment
from tests.helpers.actors import ME
from tests.helpers.authority import publish
from tests.helpers.workflows import drain, workflow

V1 = "Access is reviewed.\n"
V2 = "Access is reviewed every quarter.\n"


def _ask_bob(eng: AppContext, install: Callable[..., None]) -> int:
    """A workflow asks bob to approve POL-001 when it moves to in_review; returns the id."""
    install(workflow("Approve", [{"type": "approval", "approvers": ["bob"], "rule": "any"}]))
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    (pending,) = [a for a in eng.approvals.list(approver="bob") if a.status == "pending"]
    return pending.id


def test_approval_text_is_the_pinned_version_and_its_diff(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A request for revision v3 of a policy published at v2 shows v3's text and the words it
    changes against v2."""
    eng.policies.update(ME, "POL-001", body=V1)
    publish(eng, "POL-001")
    eng.policies.update(ME, "POL-001", body=V2)
    approval_id = _ask_bob(eng, install)
    seen = eng.policy_versions.approval_text("bob", approval_id)
    assert seen.code == "POL-001"
    assert seen.pinned is not None and seen.effective is not None and seen.diff is not None
    assert (seen.pinned.number, seen.pinned.body, seen.pinned.is_working) == (3, V2, True)
    assert (seen.effective.number, seen.effective.body) == (2, V1)
    assert seen.diff.body == [
        Segment(Op.EQUAL, "Access is reviewed"),
        Segment(Op.INSERT, " every quarter"),
        Segment(Op.EQUAL, ".\n"),
    ]
    assert not any(f.changed for f in seen.diff.fields)


def test_approval_text_of_a_never_published_policy_is_all_new(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """With no effective version yet, the whole pinned text (and title) shows as inserted."""
    eng.policies.update(ME, "POL-001", body=V1)
    seen = eng.policy_versions.approval_text("bob", _ask_bob(eng, install))
    assert seen.effective is None and seen.pinned is not None and seen.diff is not None
    assert seen.diff.from_version is None and seen.diff.to_version.number == 2
    assert seen.diff.body == [Segment(Op.INSERT, V1)]
    assert seen.diff.fields[0].new == "Information Security Policy"


def test_the_pinned_text_stays_after_a_later_edit(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A request keeps showing the version it was asked about, not the newest one."""
    approval_id = _ask_bob(eng, install)
    eng.policies.change_status(ME, "POL-001", "draft")
    eng.policies.update(ME, "POL-001", body=V2)
    seen = eng.policy_versions.approval_text("bob", approval_id)
    assert seen.pinned is not None and seen.pinned.number == 1 and seen.pinned.body == ""
