"""Chaos harness pieces: worker processes, an approver thread, and the every-effect-once check.

Used by test_chaos.py. Everything is real: worker processes on the test's data dir, killed by
PID; the approver answers through ApprovalService as bob and carol.

The workflow follows the authority rules (docs/authority.md): it moves the policy to
awaiting_approval and then asks bob and carol; the rule met approves the policy (in the
answer's transaction) and the answer queues the last step; a rejection returns the policy to
draft and tells the requester and the owner.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.domain.errors import GovernanceError, PermissionDeniedError
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import (
    AuditEvent,
    Job,
    Notification,
    Policy,
    Task,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowStepRun,
)
from tests.helpers.actors import ME
from tests.helpers.identity import credential, signer
from tests.helpers.processes import start_worker

APPROVERS = ("bob", "carol")
NOTIFIED = ("alice", "bob")
FINAL_JOB_STATES = ("succeeded", "failed", "cancelled")
REJECT_SHARE = 0.15


def _actions(rule: str) -> list[dict[str, Any]]:
    return [
        {"type": "create_task", "title": "Review {policy.code}"},
        {"type": "notify", "users": list(NOTIFIED), "title": "{policy.code} is in review"},
        {"type": "assign", "user": "carol"},
        {"type": "set_status", "status": "awaiting_approval"},
        {"type": "approval", "approvers": list(APPROVERS), "rule": rule, "due_in_days": 3},
        {"type": "notify", "users": [OWNER], "title": "{policy.code} was approved"},
    ]


OWNER = "alice"
STEP_COUNT = len(_actions("all"))
APPROVAL_STEP = 4
APPROVED_STEP = 5  # queued by the answer that met the rule
#: Who a rejection tells (services/rejection.py): the requester (the driver) and the owner.
TOLD_OF_REJECTION = (ME, OWNER)


def chaos_workflows() -> list[dict[str, Any]]:
    """Two six-step workflows on draft → in_review: rule `all` for titles with [all],
    rule `any` for titles with [any]. Each policy matches exactly one of them."""
    return [
        {
            "schema_version": 1,
            "name": f"Chaos {rule}",
            "trigger": {"type": "on_status_change", "to_status": "in_review"},
            "conditions": {"all": [{"field": "title", "op": "contains", "value": f"[{rule}]"}]},
            "actions": _actions(rule),
        }
        for rule in ("all", "any")
    ]


def policy_code(n: int) -> str:
    return f"POL-{n:04}"


def seed(ctx: AppContext, policies: int) -> None:
    """Users alice (officer), bob and carol (approvers), `policies` drafts, both workflows."""
    ctx.users.add(ME, "alice", "Alice", "officer")
    for name in APPROVERS:
        ctx.users.add(ME, name, name.title(), "approver")
    for n in range(policies):
        rule = "all" if n % 2 == 0 else "any"
        ctx.policies.add(ME, policy_code(n), f"Policy {n} [{rule}]", owner=OWNER)
    ctx.workflows.import_definitions(
        ME,
        [DefinitionSource(f"{d['name']}.json", data=d) for d in chaos_workflows()],
        signer=signer(ctx, ME),
    )
    for name in APPROVERS:
        credential(ctx, name)  # the Approver thread signs as each of them


def drive(ctx: AppContext, policies: int, rng: random.Random, pace: float = 0.0) -> None:
    """Move every policy draft → in_review (one execution each), with uneven pauses. With
    `pace`, bursts of 1–8 changes about `pace` seconds a change apart keep work coming for
    the whole run, and queued for a while after each burst."""
    n = 0
    while n < policies:
        burst = min(rng.randint(1, 8) if pace else 1, policies - n)
        for _ in range(burst):
            ctx.policies.change_status(ME, policy_code(n), "in_review")
            n += 1
        if rng.random() < 0.05:
            time.sleep(rng.uniform(0.05, 0.3))
        elif pace:
            time.sleep(pace * burst)


def rejects(execution_id: int) -> bool:
    """The harness's decision for an execution, fixed by its id (so the check can expect it)."""
    return random.Random(f"chaos-{execution_id}").random() < REJECT_SHARE


class Approver(threading.Thread):
    """Answers pending approvals as they appear, as the approver named on each row."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(name="chaos-approver", daemon=True)
        self._ctx = ctx
        self._halt = threading.Event()
        self.answered = 0
        self.refused = 0
        self.self_approval_refused = False
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self._halt.is_set():
                if not self.answer_pending():
                    self._halt.wait(0.1)
        except BaseException as exc:  # surfaced by stop()
            self.errors.append(exc)

    def answer_pending(self) -> int:
        """Answer every approval pending now; returns how many were answered."""
        done = 0
        for row in self._ctx.approvals.list(status=ApprovalStatus.PENDING):
            if not self.self_approval_refused:
                self.self_approval_refused = self._starter_refused(row.id)
            try:
                signed = signer(self._ctx, row.approver)
                if rejects(row.execution_id):
                    self._ctx.approvals.reject(
                        row.id, row.approver, "not ready: chaos says no", signer=signed
                    )
                else:
                    self._ctx.approvals.approve(row.id, row.approver, signer=signed)
            except GovernanceError:
                self.refused += 1  # closed meanwhile by the other approver's answer
                continue
            done += 1
        self.answered += done
        return done

    def _starter_refused(self, approval_id: int) -> bool:
        """Segregation of duties: the starter (an admin, so allowed to answer for a named
        approver with a reason) may not answer the approval of its own change."""
        try:
            self._ctx.approvals.approve(
                approval_id, ME, reason="the starter tries to approve", signer=signer(self._ctx, ME)
            )
        except PermissionDeniedError as exc:
            return "segregation of duties" in str(exc)
        except GovernanceError:
            return False  # closed meanwhile; try again on the next one
        raise AssertionError(f"{ME} approved approval {approval_id} of its own change")

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=60)
        assert not self.is_alive(), "the approver thread did not stop"
        if self.errors:
            raise self.errors[0]


def worker_log(data_dir: Path) -> str:
    return (data_dir / "logs" / "worker-stderr.log").read_text(errors="replace")[-3000:]


def count(ctx: AppContext, model: type, *where: Any) -> int:
    with ctx.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def unfinished_jobs(ctx: AppContext) -> int:
    return count(ctx, Job, Job.state.not_in(FINAL_JOB_STATES))


def running_jobs(ctx: AppContext) -> int:
    return count(ctx, Job, Job.state == "running")


def succeeded_jobs(ctx: AppContext) -> int:
    return count(ctx, Job, Job.state == "succeeded")


def wait_for_jobs(ctx: AppContext, more: int, timeout: float = 90.0) -> None:
    """Return once `more` further jobs have succeeded, or nothing is left to run."""
    deadline = time.monotonic() + timeout
    target = succeeded_jobs(ctx) + more
    while time.monotonic() < deadline:
        if succeeded_jobs(ctx) >= target or not unfinished_jobs(ctx):
            return
        time.sleep(0.05)
    raise AssertionError(f"the worker finished fewer than {more} jobs in {timeout:.0f} s")


def wait_for_unfinished(ctx: AppContext, at_least: int = 3, timeout: float = 10.0) -> None:
    """Return once `at_least` jobs are queued or running (a burst of the driver's changes:
    a batch drains one or two in a few ms), or at timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and unfinished_jobs(ctx) < at_least:
        time.sleep(0.002)


def finish_everything(ctx: AppContext, data_dir: Path, approver: Approver) -> int:
    """`worker --burst` until no job is due, answering approvals in between; returns runs."""
    for runs in range(1, 30):
        proc = start_worker(data_dir, "--burst")
        assert proc.wait(timeout=240) == 0, worker_log(data_dir)
        pending = count(ctx, WorkflowApproval, WorkflowApproval.status == "pending")
        if not pending and not unfinished_jobs(ctx):
            return runs
        approver.answer_pending()
    raise AssertionError("work still pending after 30 burst runs")


@dataclass
class Figures:
    executions: int = 0
    completed: int = 0
    rejected: int = 0
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"executions={self.executions} completed={self.completed} "
            f"rejected={self.rejected} lost={self.lost} duplicated={self.duplicated}"
        )


def _per(rows: Any) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(row) for row in rows)


#: The audit actions a run of the chaos workflows leaves, counted per execution.
AUDITED = ("policy.updated", "policy.status_changed", "approval.requested", "execution.rejected")


@dataclass
class Effects:
    """What the runs left: rows per (execution, step), job states, audit actions per execution."""

    executions: dict[int, WorkflowExecution]
    steps: Counter[tuple[Any, ...]]
    tasks: Counter[tuple[Any, ...]]
    notes: Counter[tuple[Any, ...]]
    approvals: Counter[tuple[Any, ...]]
    jobs: Counter[tuple[Any, ...]]
    job_states: Counter[str]
    audited: Counter[tuple[str, int]]

    def expected_rows(
        self, execution: int, rejected: bool
    ) -> dict[str, tuple[Counter[tuple[Any, ...]], list[tuple[int, int | None]], int]]:
        """Per kind of row: its counter, the keys one execution must have, and how many each."""
        ran = STEP_COUNT - 1 if rejected else STEP_COUNT
        last = (APPROVAL_STEP, len(TOLD_OF_REJECTION)) if rejected else (APPROVED_STEP, 1)
        return {
            "step rows": (self.steps, [(execution, s) for s in range(ran)], 1),
            "tasks": (self.tasks, [(execution, 0)], 1),
            "notifications": (self.notes, [(execution, 1)], len(NOTIFIED)),
            "last notifications": (self.notes, [(execution, last[0])], last[1]),
            "approval rows": (self.approvals, [(execution, APPROVAL_STEP)], len(APPROVERS)),
            "jobs": (self.jobs, [(execution, None)] + [(execution, s) for s in range(ran)], 1),
        }


def read_effects(session: Any) -> Effects:
    """Every execution and the rows and audit events the runs left, in one read."""

    def pairs(model: Any) -> Counter[tuple[Any, ...]]:
        return _per(session.execute(select(model.execution_id, model.step_index)).all())

    audit = session.execute(
        select(AuditEvent.action, AuditEvent.details).where(AuditEvent.action.in_(AUDITED))
    ).all()
    return Effects(
        executions={
            e.id: e
            for e in session.scalars(select(WorkflowExecution).order_by(WorkflowExecution.id))
        },
        steps=pairs(WorkflowStepRun),
        tasks=pairs(Task),
        notes=pairs(Notification),
        approvals=pairs(WorkflowApproval),
        jobs=pairs(Job),
        job_states=Counter(session.scalars(select(Job.state))),
        audited=Counter(
            (action, details["execution_id"])
            for action, details in audit
            if "execution_id" in details
        ),
    )


def check_every_effect_once(ctx: AppContext, expected: int) -> Figures:
    """Every execution final, none lost, and each step's effect present exactly once."""
    with ctx.db.reading() as session:
        found = read_effects(session)
    executions, notes, by_workflow = found.executions, found.notes, found.audited
    tasks, steps, job_states = found.tasks, found.steps, found.job_states
    figures = Figures(executions=len(executions))
    figures.lost = max(0, expected - len(executions))
    problems = figures.problems
    if len(executions) != expected:
        problems.append(f"{len(executions)} executions, expected {expected}")
    duplicated = 0
    notifying: dict[int, set[int]] = {}
    for ex in executions.values():
        rejected = rejects(ex.id)
        want_status = "rejected" if rejected else "completed"
        if ex.status != want_status:
            problems.append(f"execution {ex.id} is {ex.status}, expected {want_status}")
        elif rejected and "chaos says no" not in (ex.error or ""):
            problems.append(f"execution {ex.id} rejected without the comment: {ex.error}")
        notifying[ex.id] = {1, APPROVAL_STEP if rejected else APPROVED_STEP}
        for label, (counter, keys, each) in found.expected_rows(ex.id, rejected).items():
            for key in keys:
                if counter[key] != each:
                    problems.append(f"{label} {key}: {counter[key]}, expected {each}")
                    duplicated += counter[key] > each
                    figures.lost += counter[key] < each
        effects = {
            "policy.updated": 1,  # the assignment
            "approval.requested": 1,
            # to awaiting_approval, then to approved by the rule met (or back to draft)
            "policy.status_changed": 2,
            "execution.rejected": 1 if rejected else 0,
        }
        for action, each in effects.items():
            got = by_workflow[(action, ex.id)]
            if got != each:
                problems.append(f"{action} by execution {ex.id}: {got}, expected {each}")
                duplicated += got > each
                figures.lost += got < each
    figures.duplicated = duplicated
    # each execution's notifications come from the steps counted above, and no other
    strays = [key for key in notes if key[0] in notifying and key[1] not in notifying[key[0]]]
    if strays:
        problems.append(f"notifications of steps that notify nobody: {strays[:5]}")
    # effects that belong to no known step (e.g. a task of a step that never ran)
    for label, counter in (("tasks", tasks), ("notifications", notes), ("step rows", steps)):
        strays = [key for key in counter if key[0] not in executions]
        if strays:
            problems.append(f"{label} of unknown executions: {strays[:5]}")
    if set(job_states) != {"succeeded"}:
        problems.append(f"job states {dict(job_states)}")
    figures.completed = sum(e.status == "completed" for e in executions.values())
    figures.rejected = sum(e.status == "rejected" for e in executions.values())
    return figures


def check_policies(ctx: AppContext, policies: int) -> list[str]:
    """Each policy is assigned to carol and ends where its one execution left it: approved
    by the rule met, or back in draft after a rejection."""
    problems = []
    with ctx.db.reading() as session:
        rows = session.execute(
            select(Policy.code, Policy.status, Policy.assignee, WorkflowExecution.id)
            .join(WorkflowExecution, WorkflowExecution.entity_id == Policy.id)
            .order_by(Policy.code)
        ).all()
    if len(rows) != policies:
        problems.append(f"{len(rows)} policies with an execution, expected {policies}")
    for code, status, assignee, execution_id in rows:
        want = "draft" if rejects(execution_id) else "approved"
        if (status, assignee) != (want, "carol"):
            problems.append(f"{code}: {status}/{assignee}, expected {want}/carol")
    return problems


def wait_until_started(data_dir: Path, pid: int, timeout: float = 90.0) -> None:
    """Wait for the Huey consumer of process `pid` to log its start (its stop handlers are
    installed by then, in `worker` and in the window alike)."""
    log = data_dir / "logs" / "governance.log"
    marker = f"PID {pid} at"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and marker in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not start its consumer in {timeout:.0f} s")
