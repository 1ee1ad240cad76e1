"""Ending work that no longer applies: retiring or returning a policy to draft cancels its open
executions with their approvals, tasks and queued jobs; `executions cancel` and `skip-step`;
a `set_status` step to the status the policy already has."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from governance_desktop.store.models import Job
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, only_execution, workflow

APPROVE = workflow(
    "Approve",
    [
        {"type": "create_task", "title": "review {policy.code}"},
        {"type": "approval", "approvers": ["bob"], "rule": "all"},
        {"type": "create_task", "title": "after approval"},
    ],
)
NOTIFY = workflow("Tell bob", [{"type": "notify", "users": ["bob"], "title": "in review"}])


def run_execution(ctx: AppContext, execution_id: int) -> None:
    """Run the due jobs of one execution only (the others stay queued)."""
    while True:
        with ctx.db.reading() as session:
            job_id = session.scalar(
                select(Job.id)
                .where(Job.execution_id == execution_id, Job.state == "queued")
                .order_by(Job.id)
                .limit(1)
            )
        if job_id is None:
            return
        ctx.runner.run(job_id, "test")


def by_workflow(ctx: AppContext) -> dict[str, int]:
    """Each workflow's newest execution."""
    return {e.workflow: e.id for e in reversed(ctx.monitor.executions())}


def awaiting(eng: AppContext, install: Callable[..., None], *extra: dict[str, object]) -> int:
    """POL-001 in review (moved by alice): "Approve" waits for bob; the others stay queued."""
    install(APPROVE, *extra)
    eng.policies.change_status("alice", "POL-001", "in_review")
    execution_id = by_workflow(eng)["Approve"]
    run_execution(eng, execution_id)
    assert eng.monitor.execution(execution_id)[0].status == "awaiting_approval"
    return execution_id


def test_retiring_ends_open_work(eng: AppContext, install: Callable[..., None]) -> None:
    """Retiring cancels the open executions (reason recorded and audited), expires their
    pending approvals, cancels their open tasks and queued jobs; approving the expired
    approval later is refused with one line and leaves no failed job."""
    approve_id = awaiting(eng, install, NOTIFY)
    notify_id = by_workflow(eng)["Tell bob"]
    eng.policies.change_status(ME, "POL-001", "retired", signer=signer(eng, ME))

    for execution_id in (approve_id, notify_id):
        execution = eng.monitor.execution(execution_id)[0]
        assert execution.status == "cancelled"
        assert execution.error == f"POL-001 was retired by {ME}"
        assert execution.finished_at is not None
    (approval,) = eng.approvals.list()
    assert approval.status == "expired" and approval.comment == f"POL-001 was retired by {ME}"
    (task,) = eng.monitor.tasks()
    assert task.status == "cancelled"
    jobs = [j for j in eng.monitor.jobs() if j.execution_id == notify_id]
    assert [j.state for j in jobs] == ["cancelled"]
    events = [e for e in eng.audit.events(entity_id="POL-001") if e.action == "execution.cancelled"]
    assert sorted(e.details["execution_id"] for e in events) == [approve_id, notify_id]
    assert all(e.details["reason"] == f"POL-001 was retired by {ME}" for e in events)

    with pytest.raises(ConflictError) as refused:
        eng.approvals.approve(approval.id, "bob", "ok", signer=signer(eng, "bob"))
    assert "\n" not in str(refused.value) and "expired" in str(refused.value)
    drain(eng)
    assert not [j for j in eng.monitor.jobs() if j.state == "failed"]
    assert not eng.monitor.notifications()


def test_return_to_draft_by_a_workflow_keeps_its_own_execution(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A workflow step returning the policy to draft cancels the policy's other open
    executions, not its own, which completes."""
    back = workflow(
        "Back to draft",
        [{"type": "set_status", "status": "draft"}, {"type": "create_task", "title": "redo"}],
    )
    approve_id = awaiting(eng, install, back)
    drain(eng)
    executions = {e.workflow: e for e in eng.monitor.executions()}
    assert executions["Back to draft"].status == "completed"
    assert executions["Approve"].status == "cancelled"
    assert executions["Approve"].error == "POL-001 was returned to draft by alice"
    assert [a.status for a in eng.approvals.list()] == ["expired"]
    tasks = {t.title: t.status for t in eng.monitor.tasks()}
    assert tasks == {"review POL-001": "cancelled", "redo": "open"}
    assert eng.policies.get("POL-001").status == "draft"
    assert approve_id == executions["Approve"].id


def test_queued_job_of_a_cancelled_execution_does_nothing(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A job still queued (or whose message arrives late) for a cancelled execution ends as
    cancelled when it runs, with no effect."""
    awaiting(eng, install, NOTIFY)
    notify_id = by_workflow(eng)["Tell bob"]
    eng.executions.cancel(notify_id, ME, "not needed")
    with eng.db.transaction() as session:  # the race: a job queued as it was cancelled
        session.execute(update(Job).where(Job.execution_id == notify_id).values(state="queued"))
    (job,) = [j for j in eng.monitor.jobs() if j.execution_id == notify_id]
    outcome = eng.runner.run(job.id, "test")
    assert outcome.state == "cancelled" and outcome.execution_status == "cancelled"
    assert eng.runner.run(job.id, "test").duplicate  # a late duplicate message: nothing
    drain(eng)
    assert not eng.monitor.notifications()
    assert eng.monitor.execution(notify_id)[0].status == "cancelled"


def test_two_workflows_moving_to_the_same_status_both_complete(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """The second `set_status` to the status the policy already has succeeds as "already
    there" instead of failing."""
    install(
        workflow("First", [{"type": "set_status", "status": "awaiting_approval"}]),
        workflow("Second", [{"type": "set_status", "status": "awaiting_approval"}]),
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    executions = [e for e in eng.monitor.executions() if e.workflow in ("First", "Second")]
    assert [e.status for e in executions] == ["completed", "completed"]
    results = sorted(
        (eng.monitor.execution(e.id)[1][0].result for e in executions), key=len, reverse=True
    )
    assert results[0] == {
        "from": "awaiting_approval",
        "to": "awaiting_approval",
        "already_there": True,
    }
    assert results[1] == {"from": "in_review", "to": "awaiting_approval"}
    assert not [j for j in eng.monitor.jobs() if j.state == "failed"]


def test_cancel_by_starter_other_officer_and_admin(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """The person who started an execution may cancel it; another officer or an approver is
    refused (rule: role); an admin may cancel anyone's; a reason is required."""
    eng.users.add(ME, "dave", "Dave", "officer")
    first = awaiting(eng, install)
    with pytest.raises(ValidationError, match=r"^reason: "):
        eng.executions.cancel(first, "alice", "  ")
    for other in ("dave", "bob"):
        with pytest.raises(PermissionDeniedError, match=r"\(rule: role\)$"):
            eng.executions.cancel(first, other, "mine now")
    assert eng.executions.options(first, "dave").cancel is False
    assert eng.executions.options(first, "alice").cancel is True
    ended = eng.executions.cancel(first, "alice", "wrong policy")
    assert ended.executions == (first,) and ended.approvals == 1 and ended.tasks == 1
    execution = only_execution(eng)
    assert execution.status == "cancelled" and execution.error == "cancelled by alice: wrong policy"
    with pytest.raises(ConflictError, match="is cancelled"):
        eng.executions.cancel(first, ME, "again")

    eng.policies.change_status(ME, "POL-001", "draft")
    eng.policies.change_status("alice", "POL-001", "in_review")
    second = by_workflow(eng)["Approve"]
    assert second != first
    run_execution(eng, second)
    eng.executions.cancel(second, ME, "superseded")
    assert eng.monitor.execution(second)[0].status == "cancelled"
    events = [e for e in eng.audit.events() if e.action == "execution.cancelled"]
    assert {(e.actor, e.details["reason"]) for e in events} == {
        ("alice", "cancelled by alice: wrong policy"),
        (ME, f"cancelled by {ME}: superseded"),
    }


def _failing(eng: AppContext, install: Callable[..., None], last: bool = False) -> int:
    """A workflow whose set_status step fails for good (an illegal move)."""
    bad = {"type": "set_status", "status": "published"}
    task = {"type": "create_task", "title": "after the bad step"}
    install(workflow("Bad", [task, bad] if last else [bad, task]))
    eng.policies.change_status("alice", "POL-001", "in_review")
    drain(eng)
    execution = only_execution(eng)
    assert execution.status == "failed"
    return execution.id


def test_skip_failed_step_moves_on_and_completes(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """An admin skips the failed step (marked skipped with the reason, its job no longer a
    failure to retry); the next step runs and the execution completes."""
    execution_id = _failing(eng, install)
    assert eng.executions.options(execution_id, ME).skip_step is True
    skipped = eng.executions.skip_step(execution_id, ME, "moved by hand")
    assert skipped.step_index == 0 and skipped.next_step == 1
    drain(eng)
    execution, steps = eng.monitor.execution(execution_id)
    assert execution.status == "completed" and execution.error is None
    assert [(s.step_index, s.status) for s in steps] == [(0, "skipped"), (1, "completed")]
    assert steps[0].result["reason"] == "moved by hand"
    assert not [j for j in eng.monitor.jobs() if j.state == "failed"]
    assert any(j.message == f"step skipped by {ME}" for j in eng.monitor.jobs())
    assert [t.title for t in eng.monitor.tasks()] == ["after the bad step"]
    (event,) = [e for e in eng.audit.events() if e.action == "execution.step_skipped"]
    assert event.details["reason"] == "moved by hand" and event.details["step"] == 0


def test_skip_last_step_completes(eng: AppContext, install: Callable[..., None]) -> None:
    """Skipping a failed last step completes the execution at once (no job queued)."""
    execution_id = _failing(eng, install, last=True)
    skipped = eng.executions.skip_step(execution_id, ME, "not needed")
    assert skipped.next_step is None and skipped.status == "completed"
    assert only_execution(eng).finished_at is not None


def test_skip_step_refusals(eng: AppContext, install: Callable[..., None]) -> None:
    """Skip-step is for admins, needs a reason, and only for an execution failed on a step."""
    execution_id = _failing(eng, install)
    with pytest.raises(PermissionDeniedError, match=r"^'alice' is officer.*\(rule: role\)$"):
        eng.executions.skip_step(execution_id, "alice", "please")
    assert eng.executions.options(execution_id, "alice").skip_step is False
    with pytest.raises(ValidationError, match=r"^reason: "):
        eng.executions.skip_step(execution_id, ME, "")
    eng.executions.skip_step(execution_id, ME, "ok")
    with pytest.raises(ConflictError, match="only a failed step can be skipped"):
        eng.executions.skip_step(execution_id, ME, "twice")
    assert only_execution(eng).status == "in_progress"


def test_batch_whose_step_ends_another_of_its_executions(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A batch in which one step retires the policy and so cancels another execution of the
    same batch runs again job by job: the cancelled execution's step has no effect."""
    install(workflow("Retire", [{"type": "set_status", "status": "retired"}]), NOTIFY)
    eng.policies.change_status(ME, "POL-001", "in_review")
    starts = sorted(j.id for j in eng.monitor.jobs())
    eng.runner.run_batch(starts, "test", limit=0)
    steps = sorted(j.id for j in eng.monitor.jobs() if j.state == "queued")
    assert len(steps) == 2
    eng.runner.run_batch(steps, "test", limit=0)
    executions = {e.workflow: e.status for e in eng.monitor.executions()}
    assert executions == {"Retire": "completed", "Tell bob": "cancelled"}
    assert not eng.monitor.notifications()
