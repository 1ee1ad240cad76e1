"""Signing needs re-authentication (21 CFR 11.200): every signed act refuses no signer,
another user's signer and a stale one with "(rule: signature)" and changes nothing; and one
person cannot meet "2 of 3" by answering under two names (the story of issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import ApprovalStatus, Role
from governance_desktop.domain.errors import AuthenticationError, PermissionDeniedError
from governance_desktop.services.identity import SIGNING_WINDOW, Signer
from governance_desktop.services.signature_check import verify_signatures
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.types import utcnow
from tests.helpers.actors import ME
from tests.helpers.authority import walk_to
from tests.helpers.identity import signer
from tests.helpers.rawdb import raw_db
from tests.helpers.workflows import drain, only_execution, workflow


@dataclass
class Act:
    """A signed act ready to try: who acts, who else could sign, the act, and what it would
    change."""

    actor: str
    other: str
    run: Callable[[Signer | None], object]
    state: Callable[[], object]


def _pending(ctx: AppContext, approver: str) -> int:
    return next(
        a.id for a in ctx.approvals.list(status=ApprovalStatus.PENDING) if a.approver == approver
    )


def _eng(request: pytest.FixtureRequest) -> AppContext:
    """The `eng` register (alice, bob, carol and POL-001)."""
    eng: AppContext = request.getfixturevalue("eng")
    return eng


def _awaiting(request: pytest.FixtureRequest) -> int:
    eng, install = _eng(request), request.getfixturevalue("install")
    install(workflow("Approve", [{"type": "approval", "approvers": ["bob", "carol"]}]))
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    return _pending(eng, "bob")


def _approve(request: pytest.FixtureRequest) -> Act:
    eng, row = _eng(request), _awaiting(request)
    return Act(
        "bob",
        "carol",
        lambda s: eng.approvals.approve(row, "bob", "fine", signer=s),
        lambda: eng.approvals.get(row),
    )


def _reject(request: pytest.FixtureRequest) -> Act:
    eng, row = _eng(request), _awaiting(request)
    return Act(
        "bob",
        "carol",
        lambda s: eng.approvals.reject(row, "bob", "section 4 is wrong", signer=s),
        lambda: eng.approvals.get(row),
    )


def _publish(request: pytest.FixtureRequest) -> Act:
    eng = _eng(request)
    walk_to(eng, "POL-001", "approved")
    return Act(
        ME,
        "bob",
        lambda s: eng.policies.change_status(ME, "POL-001", "published", signer=s),
        lambda: eng.policies.get("POL-001"),
    )


def _retire(request: pytest.FixtureRequest) -> Act:
    eng = _eng(request)
    return Act(
        ME,
        "bob",
        lambda s: eng.policies.change_status(ME, "POL-001", "retired", signer=s),
        lambda: eng.policies.get("POL-001"),
    )


def _import(request: pytest.FixtureRequest) -> Act:
    eng = _eng(request)
    notify = [{"type": "notify", "users": ["alice"], "title": "changed"}]
    source = DefinitionSource("New.json", data=workflow("New", notify))
    return Act(
        ME,
        "bob",
        lambda s: eng.workflows.import_definitions(ME, [source], signer=s),
        lambda: eng.workflows.list(),
    )


def _deactivate(request: pytest.FixtureRequest) -> Act:
    eng = _eng(request)
    return Act(
        ME,
        "bob",
        lambda s: eng.users.deactivate(ME, "carol", "bob", signer=s),
        lambda: eng.users.list(),
    )


def _demo(request: pytest.FixtureRequest) -> Act:
    ctx: AppContext = request.getfixturevalue("ctx")  # a new register: no demo user yet
    ctx.users.add(ME, "zed", "Zed", Role.APPROVER)
    return Act(ME, "zed", lambda s: ctx.load_demo(ME, s), lambda: ctx.users.list())


ACTS = {
    "approve": _approve,
    "reject": _reject,
    "publish": _publish,
    "retire": _retire,
    "import": _import,
    "deactivate": _deactivate,
    "demo": _demo,
}


def _stale(ctx: AppContext, username: str) -> Signer:
    """``username``'s signer whose password was given just over SIGNING_WINDOW ago."""
    fresh = signer(ctx, username)
    return replace(fresh, authenticated_at=utcnow() - SIGNING_WINDOW - timedelta(seconds=1))


BAD_SIGNERS: dict[str, Callable[[AppContext, Act], Signer | None]] = {
    "no signer": lambda ctx, act: None,
    "another user's": lambda ctx, act: signer(ctx, act.other),
    "stale": lambda ctx, act: _stale(ctx, act.actor),
}
MESSAGES = {
    "no signer": r"is a signed act: '.+' must sign with their password \(rule: signature\)$",
    "another user's": r"the signature is by '.+', not by '.+' \(rule: signature\)$",
    "stale": r"the password was given too long ago; sign again \(rule: signature\)$",
}


def _snapshot(ctx: AppContext, act: Act) -> tuple[Any, ...]:
    with ctx.db.reading() as session:
        signatures = verify_signatures(session)
    return (ctx.audit.verify().events, act.state(), signatures)


@pytest.mark.parametrize("how", list(BAD_SIGNERS))
@pytest.mark.parametrize("name", list(ACTS))
def test_a_signed_act_without_a_fresh_signature_of_its_actor_is_refused(
    ctx: AppContext, request: pytest.FixtureRequest, name: str, how: str
) -> None:
    """No signer, another user's signer or a stale one: refused in one line (rule:
    signature); the audit trail, the record and the signatures stay as they were."""
    act = ACTS[name](request)
    bad = BAD_SIGNERS[how](ctx, act)
    before = _snapshot(ctx, act)
    with pytest.raises(AuthenticationError, match=MESSAGES[how]) as refused:
        act.run(bad)
    assert "\n" not in str(refused.value)
    assert _snapshot(ctx, act) == before
    act.run(signer(ctx, act.actor))  # the same act, signed by its actor, goes through
    assert _snapshot(ctx, act) != before


def test_one_person_cannot_answer_under_two_names(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """The issue's story: the author, refused their own approval, cannot meet "2 of 3" by
    answering as carol: not without carol's password, not with their own or bob's signer;
    only carol's own signature counts."""
    eng.identity.change_own("bob", None, "First-Passw0rd-1")
    eng.identity.change_own("carol", None, "Second-Passw0rd-2")
    install(
        workflow(
            "Two of three",
            [{"type": "approval", "approvers": [ME, "bob", "carol"], "rule": {"at_least": 2}}],
        )
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    mine, carols = _pending(eng, ME), _pending(eng, "carol")
    me = signer(eng, ME)
    with pytest.raises(PermissionDeniedError, match="segregation of duties"):
        eng.approvals.approve(mine, ME, signer=me)
    bob = eng.identity.signer("bob", "First-Passw0rd-1")  # bob's password, known to ME
    eng.approvals.approve(_pending(eng, "bob"), "bob", signer=bob)
    before = eng.audit.verify().events

    with pytest.raises(AuthenticationError, match=r"wrong password for 'carol'"):
        eng.identity.signer("carol", "First-Passw0rd-1")
    for other in (me, bob):
        with pytest.raises(AuthenticationError, match=r"not by 'carol' \(rule: signature\)"):
            eng.approvals.approve(carols, "carol", signer=other)
    with pytest.raises(PermissionDeniedError, match="segregation of duties"):
        eng.approvals.approve(carols, ME, reason="carol is away", signer=me)
    assert eng.approvals.get(carols).status == ApprovalStatus.PENDING
    assert only_execution(eng).status == "awaiting_approval"
    # the one trace the attempts leave: carol's failed sign-in
    assert [e.action for e in eng.audit.events(limit=10)[:1]] == ["auth.failed"]
    assert eng.audit.verify().events == before + 1

    carol = eng.identity.signer("carol", "Second-Passw0rd-2")
    eng.approvals.approve(carols, "carol", signer=carol)
    drain(eng)
    assert only_execution(eng).status == "completed"
    answered = {a.approver: a.signature for a in eng.approvals.list() if a.responded_by}
    assert {name: s.signer if s else None for name, s in answered.items()} == {
        "bob": "bob",
        "carol": "carol",
    }
    with eng.db.reading() as session:
        assert verify_signatures(session)[1] == []


def test_the_audit_export_carries_each_signatures_manifestation(
    eng: AppContext, install: Any, tmp_path: Any
) -> None:
    """An exported audit trail shows who signed what, meaning what, when (21 CFR 11.50 in
    print): the signature's event holds its manifestation."""
    install(workflow("Approve", [{"type": "approval", "approvers": ["bob", "carol"]}]))
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    answered = eng.approvals.approve(_pending(eng, "bob"), "bob", "fine", signer=signer(eng, "bob"))
    assert answered.signature is not None
    out = tmp_path / "trail.csv"
    eng.audit.export_csv(out, eng.protected, actor=ME)
    assert answered.signature.manifestation in out.read_text(encoding="utf-8")
    assert answered.signature.manifestation.startswith("Approved by ")


def test_a_workflow_with_the_longest_name_is_published_with_its_whole_meaning(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A 200-character workflow name fits the signature's meaning (PostgreSQL refused the
    publication while the column held only 100 characters)."""
    name = "Quarterly review of " + "x" * 180
    install(workflow(name, [{"type": "create_task", "title": "read it"}]))
    with raw_db(eng) as raw:
        meanings = [row[0] for row in raw.execute("SELECT meaning FROM signatures").fetchall()]
    assert f"Published workflow version ({name} v1)" in meanings
    assert eng.audit.verify().ok
