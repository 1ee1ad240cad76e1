"""Several writers on one PostgreSQL database, each with its own connection pool and its own
in-process lock, as two workstations and a worker are: one audit chain, and no deadlock or
serialisation failure ever reaches a person."""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from governance_desktop.domain.enums import JobState
from governance_desktop.domain.errors import ConflictError
from governance_desktop.services import standard_approval
from governance_desktop.services.standard_approval import STANDARD_APPROVAL
from governance_desktop.store.models import Job, Workflow, WorkflowStepRun
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.workflows import drain, workflow

pytestmark = pytest.mark.team_only("concurrent writers on different machines need PostgreSQL")


@pytest.fixture
def workstation(data_dir: Path) -> Iterator[Callable[[], AppContext]]:
    """Opens another app on the same database (its own engine and locks: a second machine)."""
    opened: list[AppContext] = []

    def open_one() -> AppContext:
        opened.append(open_app(load_settings(data_dir=data_dir)))
        return opened[-1]

    yield open_one
    for context in opened:
        context.close()


def _together(*work: Callable[[], None]) -> list[BaseException]:
    """Run each callable in its own thread, started together; the exceptions they raised."""
    start = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def _decided(error: BaseException) -> bool:
    """The refusal a second "any" approver may meet: the step was decided a moment before."""
    message = str(error)
    return isinstance(error, ConflictError) and (
        "no longer open" in message or "is already expired" in message
    )


def test_concurrent_writers_keep_one_audit_chain(
    ctx: AppContext, workstation: Callable[[], AppContext]
) -> None:
    """Three writers adding and moving policies at once leave one unbroken chain (before the
    writers' lock, two writers read the same head and the chain forked)."""
    writers = [ctx, workstation(), workstation()]

    def write(app: AppContext, name: str) -> Callable[[], None]:
        def run() -> None:
            for number in range(60):
                app.policies.add(ME, f"{name}-{number:03}", f"Policy {number}", owner=ME)
                app.policies.change_status(ME, f"{name}-{number:03}", "in_review")

        return run

    errors = _together(*(write(app, f"W{i}") for i, app in enumerate(writers)))
    assert not errors, errors[:3]
    result = ctx.audit.verify()
    assert result.ok, result.problem
    assert result.events >= 3 * 60 * 2


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["all", "any"])
def test_two_approvers_answer_one_run_at_once_200_rounds(
    eng: AppContext,
    install: Callable[..., None],
    workstation: Callable[[], AppContext],
    rule: str,
) -> None:
    """Bob and Carol, on two workstations, approve the same run at the same moment, 200
    times: no error reaches either of them (under "any" the later one may be told the step
    is already decided), every run completes, the chain is whole."""
    install(
        workflow(
            "Two approvers",
            [
                {"type": "approval", "approvers": ["bob", "carol"], "rule": rule},
                {"type": "create_task", "title": "after approval"},
            ],
        )
    )
    rounds = 200
    for number in range(rounds):
        eng.policies.add(ME, f"CON-{number:03}", f"Concurrent {number}", owner="alice")
    bob_desk, carol_desk = workstation(), workstation()
    errors: list[BaseException] = []
    for number in range(rounds):
        eng.policies.change_status(ME, f"CON-{number:03}", "in_review")
        drain(eng)

        def answer(app: AppContext, who: str, key: str = f"CON-{number:03}") -> Callable[[], None]:
            pending = [
                a
                for a in app.approvals.list(approver=who)
                if a.status == "pending" and a.policy == key
            ]
            assert len(pending) == 1, pending
            sign = signer(app, who)
            return lambda: app.approvals.approve(pending[0].id, who, "ok", signer=sign)

        answers = _together(answer(bob_desk, "bob"), answer(carol_desk, "carol"))
        errors += [e for e in answers if not (rule == "any" and _decided(e))]
        drain(eng)
    assert not errors, f"{len(errors)} errors reached the approvers, e.g. {errors[:3]}"
    runs = eng.monitor.executions()
    assert len(runs) == rounds
    assert {run.status for run in runs} == {"completed"}
    result = eng.audit.verify()
    assert result.ok, result.problem


def _due_jobs(app: AppContext) -> list[int]:
    with app.db.reading() as session:
        return list(
            session.scalars(
                select(Job.id).where(Job.state.in_((JobState.QUEUED, JobState.RETRYING)))
            )
        )


def test_runners_on_three_machines_run_every_step_once(
    eng: AppContext, install: Callable[..., None], workstation: Callable[[], AppContext]
) -> None:
    """Three machines' step runners (side by side: they share the writers' lock) are each
    handed every job at the same moment, in batches, as a message delivered three times
    would be: every step runs once, two runs on one policy never lose each other's update
    (each assignment's "old" is the one before's "new"), and the chain is whole."""
    install(
        workflow(
            "Assign bob",
            [{"type": "assign", "user": "bob"}, {"type": "create_task", "title": "review"}],
        ),
        workflow(
            "Assign carol",
            [
                {"type": "assign", "user": "carol"},
                {"type": "notify", "users": ["alice"], "title": "{{code}} assigned"},
            ],
        ),
    )
    codes = [f"RUN-{number:02}" for number in range(20)]
    for code in codes:
        eng.policies.add(ME, code, code, owner="alice")
        eng.policies.change_status(ME, code, "in_review")
    machines = [eng, workstation(), workstation()]

    def run_everything(app: AppContext, jobs: list[int], seed: int) -> Callable[[], None]:
        def run() -> None:
            order = random.Random(seed).sample(jobs, len(jobs))
            for start in range(0, len(order), 5):
                app.runner.run_batch(order[start : start + 5], f"machine-{seed}")

        return run

    for round_number in range(10):
        jobs = _due_jobs(eng)
        if not jobs:
            break
        errors = _together(
            *(run_everything(app, jobs, 3 * round_number + i) for i, app in enumerate(machines))
        )
        assert not errors, errors[:3]
    assert not _due_jobs(eng)
    runs = eng.monitor.executions()
    assert len(runs) == 2 * len(codes)
    assert {run.status for run in runs} == {"completed"}
    with eng.db.reading() as session:
        steps = session.execute(
            select(WorkflowStepRun.execution_id, WorkflowStepRun.step_index)
        ).all()
        failed = session.scalar(
            select(func.count()).select_from(Job).where(Job.state == JobState.FAILED)
        )
    assert len(steps) == len(set(steps)) == 2 * 2 * len(codes)
    assert failed == 0
    assert len(eng.monitor.tasks()) == len(codes)
    assert len(eng.monitor.notifications("alice")) == len(codes)
    for code in codes:
        updates = [
            e for e in reversed(eng.audit.events("policy", code)) if e.action == "policy.updated"
        ]
        assignees = [e.details["changes"]["assignee"] for e in updates]
        assert [a["old"] for a in assignees] == [None] + [a["new"] for a in assignees[:-1]], code
        assert eng.policies.get(code).assignee == assignees[-1]["new"]
    result = eng.audit.verify()
    assert result.ok, result.problem


def test_two_runners_needing_the_standard_approval_at_once_make_it_once(
    eng: AppContext,
    install: Callable[..., None],
    workstation: Callable[[], AppContext],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two machines' runners send two policies for approval at the same moment, with no
    workflow asking for it: the built-in "Standard approval" workflow is made once and both
    policies get its requests (before, both runners found it missing, both made it, and one
    run failed for good on the unique name)."""
    install(workflow("Send for approval", [{"type": "set_status", "status": "awaiting_approval"}]))
    eng.policies.add(ME, "POL-002", "Second", owner="alice")
    for code in ("POL-001", "POL-002"):
        eng.policies.change_status(ME, code, "in_review")
    jobs = _due_jobs(eng)
    assert len(jobs) == 2
    # Both runners look for the workflow before either makes it: hold each at the point
    # of making it until the other has looked too (or 2 s have passed).
    both_looked = threading.Barrier(2)
    making = standard_approval.parse_definition

    def parse_when_both_looked(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_looked.wait(2)
        return making(*args, **kwargs)

    monkeypatch.setattr(standard_approval, "parse_definition", parse_when_both_looked)

    def send(app: AppContext, job: int) -> Callable[[], None]:
        def run() -> None:
            app.runner.run_chained(job, "machine")

        return run

    machines = [workstation(), workstation()]
    errors = _together(*(send(app, job) for app, job in zip(machines, jobs, strict=True)))
    assert not errors, errors
    with eng.db.reading() as session:
        made = session.scalar(
            select(func.count()).select_from(Workflow).where(Workflow.name == STANDARD_APPROVAL)
        )
    assert made == 1
    runs = eng.monitor.executions()
    assert sorted(run.status for run in runs) == [
        "awaiting_approval",
        "awaiting_approval",
        "completed",
        "completed",
    ]
    assert {eng.policies.get(c).status for c in ("POL-001", "POL-002")} == {"awaiting_approval"}
