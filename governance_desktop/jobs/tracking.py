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
from governance_desktop.jobs.running_marks import RunningMarks

logger = logging.getLogger("governance_desktop.jobs")

_JOB_TASKS = frozenset({EXECUTE_WORKFLOW, EXECUTE_WORKFLOW_ACTION})
#: How long a running job's lease lasts before another worker may take it over.
DEFAULT_LEASE_SECONDS = 300.0
#: The embedded worker marks a job's row running only after this long (running_marks.py).
EMBEDDED_MARK_AFTER = 0.25
# Huey's signals for a task that has stopped executing, one way or another.
_ENDED = (
    S.SIGNAL_COMPLETE,
    S.SIGNAL_ERROR,
    S.SIGNAL_INTERRUPTED,
    S.SIGNAL_CANCELED,
    S.SIGNAL_TIMEOUT,
    S.SIGNAL_LOCKED,
    S.SIGNAL_RATE_LIMITED,
)


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
    mark_after: float = 0.0,
) -> Callable[[], None]:
    """Connect the signal handlers to `queue`; returns a function that disconnects them.

    With `mark_after` > 0 a job's row is marked running only if it runs that long (the bus
    hears `running` at once); 0 marks every job as it starts."""
    marks = RunningMarks(tracker, worker_id, lease_seconds, mark_after) if mark_after else None

    def on_enqueued(signal: str, task: Any) -> None:
        job_id = job_id_of(task)
        if job_id is not None and task.eta is None:  # delayed ones are already "retrying"
            bus.publish(JobEvent(job_id, JobState.QUEUED, kind=task.name))

    def on_executing(signal: str, task: Any) -> None:
        job_id = job_id_of(task)
        if job_id is None:
            return
        if marks is not None:
            marks.begin(job_id)
        elif not tracker.mark_running(job_id, worker_id, lease_seconds):
            return
        bus.publish(JobEvent(job_id, JobState.RUNNING, kind=task.name))

    def on_ended(signal: str, task: Any, *_: Any) -> None:
        job_id = job_id_of(task)
        if job_id is not None and marks is not None:
            marks.end(job_id)

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
        *((on_ended, name) for name in _ENDED),
    ]
    connected = [(_guarded(handler), name) for handler, name in handlers]
    for receiver, name in connected:
        queue.signal(name)(receiver)

    def disconnect() -> None:
        for receiver, name in connected:
            queue.disconnect_signal(receiver, name)
        if marks is not None:
            marks.close()

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
