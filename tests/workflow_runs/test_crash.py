"""Crash proof: kill -9 the worker process again and again while executions run.

Afterwards every execution is final, nothing was lost, and no step took effect twice.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from governance_desktop.app import AppContext, attach_queue
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import (
    Job,
    Notification,
    Task,
    WorkflowExecution,
    WorkflowStepRun,
)
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.processes import start_worker
from tests.helpers.workflows import workflow

POLICIES = 300
KILLS = 6
STEPS = [
    {"type": "create_task", "title": "Review {policy.code}"},
    {"type": "notify", "users": ["bob", "carol"], "title": "{policy.code} in review"},
    {"type": "assign", "user": "carol"},
    {"type": "create_task", "title": "Sign off {policy.code}", "assignee": "bob"},
]


def _wait_for_progress(ctx: AppContext, jobs: int) -> None:
    """Return once the worker has finished `jobs` more jobs (or there is nothing left)."""
    deadline = time.monotonic() + 60
    while not _in_flight(ctx) and time.monotonic() < deadline:
        time.sleep(0.01)  # the driver has not started anything yet
    target = _count(ctx, Job, Job.state == "succeeded") + jobs
    while time.monotonic() < deadline:
        if _count(ctx, Job, Job.state == "succeeded") >= target or not _in_flight(ctx):
            return
        time.sleep(0.01)
    raise AssertionError("the worker made no progress for 60 s")


def _wait_until_all_finished(ctx: AppContext, executions: int) -> None:
    """Return once `executions` executions are finished and no job is left. (Waiting for jobs
    to appear first, as `_wait_for_progress` does, waits forever when fast workers finished
    the last ones before the first look.)"""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        finished = _count(
            ctx, WorkflowExecution, WorkflowExecution.status.in_(("completed", "failed"))
        )
        if finished >= executions and not _in_flight(ctx):
            return
        time.sleep(0.05)
    raise AssertionError(f"{executions} executions not finished within 120 s")


def _in_flight(ctx: AppContext) -> int:
    return _count(ctx, Job, Job.state.not_in(("succeeded", "failed", "cancelled")))


def _count(ctx: AppContext, model: type, *where: object) -> int:
    with ctx.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _setup(ctx: AppContext) -> None:
    for name in ("alice", "bob", "carol"):
        ctx.users.add(ME, name, name.title(), "approver")  # type: ignore[arg-type]
    for n in range(POLICIES):
        ctx.policies.add(ME, f"POL-{n:04}", f"Policy {n}", owner="alice")
    source = DefinitionSource("crash.json", data=workflow("Crash", STEPS))
    ctx.workflows.import_definitions(ME, [source], signer=signer(ctx, ME))


def _drive(ctx: AppContext) -> None:
    for n in range(POLICIES):
        ctx.policies.change_status(ME, f"POL-{n:04}", "in_review")
        if n % 25 == 0:
            time.sleep(0.05)


def _assert_each_effect_once(ctx: AppContext, label: str) -> None:
    executions = _count(ctx, WorkflowExecution)
    completed = _count(ctx, WorkflowExecution, WorkflowExecution.status == "completed")
    steps = _count(ctx, WorkflowStepRun)
    tasks = _count(ctx, Task)
    notes = _count(ctx, Notification)
    with ctx.db.reading() as session:
        per_step = session.execute(
            select(Task.execution_id, Task.step_index, func.count())
            .group_by(Task.execution_id, Task.step_index)
            .having(func.count() > 1)
        ).all()
        states = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    print(
        f"{label} completed={completed} steps={steps} tasks={tasks} notifications={notes} "
        f"jobs={states}"
    )
    assert executions == POLICIES
    assert completed == POLICIES, states
    assert steps == POLICIES * len(STEPS)
    assert tasks == POLICIES * 2 and per_step == []
    assert notes == POLICIES * 2
    assert set(states) == {"succeeded"}
    assert {p.assignee for p in ctx.policies.list()} == {"carol"}
    assert ctx.audit.verify().ok


@pytest.mark.slow
def test_kill_9_worker_repeatedly_loses_and_duplicates_nothing(
    ctx: AppContext, data_dir: Path
) -> None:
    """300 four-step executions, the worker SIGKILLed 7 times: all complete, each effect once."""
    _setup(ctx)
    runtime = attach_queue(ctx)  # this process only enqueues, like the CLI or a GUI
    rng = random.Random(7)

    driver = threading.Thread(target=_drive, args=(ctx,))
    proc = start_worker(data_dir)
    driver.start()
    kills = 0
    in_flight: list[int] = []
    running: list[int] = []
    try:
        for _ in range(KILLS):
            _wait_for_progress(ctx, rng.randint(20, 120))  # kill it mid-work, not mid-start
            in_flight.append(_in_flight(ctx))
            running.append(_count(ctx, Job, Job.state == "running"))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            kills += 1
            proc = start_worker(data_dir)
        driver.join(timeout=120)
        assert not driver.is_alive()
        _wait_for_progress(ctx, rng.randint(20, 120))
        in_flight.append(_in_flight(ctx))
        running.append(_count(ctx, Job, Job.state == "running"))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        kills += 1
        proc = start_worker(data_dir, "--burst")
        proc.wait(timeout=240)
        stderr = (data_dir / "logs" / "worker-stderr.log").read_text(errors="replace")
        assert proc.returncode == 0, stderr[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        runtime.close()

    _assert_each_effect_once(
        ctx,
        f"\ncrash: executions={POLICIES} kills={kills} "
        f"unfinished_jobs_at_kills={in_flight} running_at_kills={running}",
    )


@pytest.mark.slow
def test_two_worker_processes_never_run_a_step_twice(ctx: AppContext, data_dir: Path) -> None:
    """Two worker processes on the same files, each reconciling: every effect exactly once."""
    _setup(ctx)
    runtime = attach_queue(ctx)
    first, second = start_worker(data_dir), start_worker(data_dir)
    try:
        _drive(ctx)
        _wait_until_all_finished(ctx, POLICIES)
    finally:
        for proc in (first, second):
            proc.send_signal(signal.SIGTERM)
        for proc in (first, second):
            assert proc.wait(timeout=60) == 0
        runtime.close()
    _assert_each_effect_once(ctx, "\ntwo workers:")
