"""Register our tasks on a Huey instance (no module-level Huey, so tests build fresh ones).

Huey's own retries are not used: retries live in the Job table and the runner re-dispatches
with a delay. Task messages carry the job id only, so one function runs both job tasks; their
two names stay on the wire (queue files written earlier carry them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import huey
from huey.api import TaskWrapper

from governance_desktop.domain.enums import JobKind
from governance_desktop.jobs.contracts import Schedules
from governance_desktop.jobs.names import (
    EXECUTE_WORKFLOW,
    EXECUTE_WORKFLOW_ACTION,
    RECONCILE,
    RUN_SCHEDULES,
    TASK_NAMESPACE,
)


class Handlers(Protocol):
    """What the job tasks call (WorkflowProcessor)."""

    def handle(self, job_id: int) -> Any: ...


class Reconciles(Protocol):
    def run_once(self) -> int: ...


@dataclass(frozen=True)
class TaskSet:
    """The registered tasks; `for_kind` maps a Job kind to its task."""

    execute_workflow: TaskWrapper
    execute_workflow_action: TaskWrapper
    run_schedules: TaskWrapper | None = None
    reconcile: TaskWrapper | None = None

    def for_kind(self, kind: str) -> TaskWrapper:
        if kind == JobKind.EXECUTE_WORKFLOW:
            return self.execute_workflow
        if kind == JobKind.EXECUTE_WORKFLOW_ACTION:
            return self.execute_workflow_action
        raise KeyError(f"no task for job kind {kind!r}")


def register_tasks(
    queue: huey.Huey,
    processor: Handlers,
    schedules: Schedules | None = None,
    reconciler: Reconciles | None = None,
) -> TaskSet:
    """Register EXECUTE_WORKFLOW, EXECUTE_WORKFLOW_ACTION and (if given) the every-minute
    periodic tasks RUN_SCHEDULES and RECONCILE on `queue`."""

    def run_job(job_id: int) -> None:
        processor.handle(_job_id(job_id))

    every_minute = huey.crontab(minute="*")
    run_schedules_task = reconcile_task = None
    if schedules is not None:
        due = schedules

        def run_schedules() -> None:
            due.run_due()

        run_schedules.__module__ = TASK_NAMESPACE
        run_schedules_task = queue.periodic_task(every_minute, name=RUN_SCHEDULES)(run_schedules)
    if reconciler is not None:
        recon = reconciler

        def reconcile() -> None:
            recon.run_once()

        reconcile.__module__ = TASK_NAMESPACE
        reconcile_task = queue.periodic_task(every_minute, name=RECONCILE)(reconcile)
    return TaskSet(
        execute_workflow=_task(queue, run_job, EXECUTE_WORKFLOW),
        execute_workflow_action=_task(queue, run_job, EXECUTE_WORKFLOW_ACTION),
        run_schedules=run_schedules_task,
        reconcile=reconcile_task,
    )


def _task(queue: huey.Huey, func: Any, name: str) -> TaskWrapper:
    func.__module__ = TASK_NAMESPACE  # registry name "governance.<NAME>", layout-independent
    wrapper: TaskWrapper = queue.task(name=name)(func)
    return wrapper


def _job_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"job id must be an int, got {type(value).__name__}")
    return value
