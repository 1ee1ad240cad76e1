"""Huey signals → Job rows (through the services' tracker) and events on the bus.

Handlers run in the worker (or enqueuing) thread and stay short: one small transaction each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import huey
from huey import signals as S

from governance_desktop.domain.enums import JobState
from governance_desktop.jobs.bus import EventBus, JobEvent
from governance_desktop.jobs.contracts import Tracker
from governance_desktop.jobs.names import EXECUTE_WORKFLOW, EXECUTE_WORKFLOW_ACTION

logger = logging.getLogger("governance_desktop.jobs")

_JOB_TASKS = frozenset({EXECUTE_WORKFLOW, EXECUTE_WORKFLOW_ACTION})
#: How long a running job's lease lasts before another worker may take it over.
DEFAULT_LEASE_SECONDS = 300.0


def job_id_of(task: Any) -> int | None:
    """The job id of one of our job tasks, or None for anything else (periodic tasks)."""
    if getattr(task, "name", None) not in _JOB_TASKS:
        return None
    args: Any = getattr(task, "args", ())
    if len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool):
        return int(args[0])
    return None


def connect_tracking(
    queue: huey.Huey,
    tracker: Tracker,
    bus: EventBus,
    worker_id: str,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> Callable[[], None]:
    """Connect the signal handlers to `queue`; returns a function that disconnects them."""

    def on_enqueued(signal: str, task: Any) -> None:
        job_id = job_id_of(task)
        if job_id is not None and task.eta is None:  # delayed ones are already "retrying"
            bus.publish(JobEvent(job_id, JobState.QUEUED, kind=task.name))

    def on_executing(signal: str, task: Any) -> None:
        job_id = job_id_of(task)
        if job_id is not None and tracker.mark_running(job_id, worker_id, lease_seconds):
            bus.publish(JobEvent(job_id, JobState.RUNNING, kind=task.name))

    def on_interrupted(signal: str, task: Any) -> None:
        job_id = job_id_of(task)
        if job_id is not None:
            logger.warning("job %s was interrupted (consumer stopping)", job_id)
            tracker.mark_interrupted(job_id)
            bus.publish(JobEvent(job_id, JobState.INTERRUPTED, kind=task.name))

    def on_error(signal: str, task: Any, exc: BaseException | None = None) -> None:
        # The runner records failures itself; an exception escaping it is a bug.
        logger.error("task %s escaped the runner with an error", task, exc_info=exc)
        job_id = job_id_of(task)
        if job_id is not None:
            tracker.mark_interrupted(job_id)  # the reconciler re-runs it after its lease
            bus.publish(
                JobEvent(
                    job_id,
                    JobState.INTERRUPTED,
                    kind=task.name,
                    error=f"internal error: {exc!r}"[:500],
                )
            )

    handlers: list[tuple[Callable[..., None], str]] = [
        (on_enqueued, S.SIGNAL_ENQUEUED),
        (on_executing, S.SIGNAL_EXECUTING),
        (on_interrupted, S.SIGNAL_INTERRUPTED),
        (on_error, S.SIGNAL_ERROR),
    ]
    connected = [(_guarded(handler), name) for handler, name in handlers]
    for receiver, name in connected:
        queue.signal(name)(receiver)

    def disconnect() -> None:
        for receiver, name in connected:
            queue.disconnect_signal(receiver, name)

    return disconnect


def _guarded(handler: Callable[..., None]) -> Callable[..., None]:
    """Log a failing handler under our logger with its traceback (never silently)."""

    def run(signal: str, task: Any, *args: Any) -> None:
        try:
            handler(signal, task, *args)
        except Exception:
            logger.exception("job tracking failed on %s for %s", signal, task)

    run.__name__ = handler.__name__
    return run
