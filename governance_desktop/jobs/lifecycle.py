"""The life of a job message in a worker, recorded in one place: queued, started, ended,
failed, interrupted → Job rows (through the services' tracker) and events on the bus.

Both ways a worker runs jobs report here: a single message through Huey's public signals
(`JobLifecycle.connect`), a batch by calling the methods itself (jobs/batch.py). The
lifecycle keeps its own set of job messages in flight, so a stop that runs out of time
reports exactly those as interrupted. Every method is short (one small transaction at most)
and logs, never raises: a failing tracker must not stop the work.

Leases: a running job's row names its worker (`reconciler.new_worker_id`) and when its lease
runs out; while the worker has jobs in flight, `LeaseHeartbeat` renews them every third of a
lease, so a long job is never taken over while its worker lives, and a dead worker's jobs are
re-queued by the reconciler (every half lease) within two leases of its last heartbeat.

Running marks written late: with `mark_after` > 0 a job's row says `running` only once it
has run that long (`RunningMarks`); the bus hears `running` at once, and most jobs finish
within milliseconds, their own transaction writing them done with `started_at`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import huey
from huey import signals as S

from governance_desktop.domain.enums import JobState
from governance_desktop.jobs.bus import EventBus, JobEvent
from governance_desktop.jobs.contracts import Tracker
from governance_desktop.jobs.names import EXECUTE_WORKFLOW, EXECUTE_WORKFLOW_ACTION
from governance_desktop.store.types import utcnow

logger = logging.getLogger("governance_desktop.jobs")

_JOB_TASKS = frozenset({EXECUTE_WORKFLOW, EXECUTE_WORKFLOW_ACTION})
#: How long a running job's lease lasts without a heartbeat before the reconciler re-queues
#: it (``Settings.lease_seconds``); the heartbeat renews it every third of this.
DEFAULT_LEASE_SECONDS = 15.0
#: The embedded worker marks a job's row running only after this long (`RunningMarks`).
EMBEDDED_MARK_AFTER = 0.25
# Huey's signals for a task that stopped executing without an error or an interruption.
_ENDED = (
    S.SIGNAL_COMPLETE,
    S.SIGNAL_CANCELED,
    S.SIGNAL_TIMEOUT,
    S.SIGNAL_LOCKED,
    S.SIGNAL_RATE_LIMITED,
)
_SIGNALS = (S.SIGNAL_ENQUEUED, S.SIGNAL_EXECUTING, S.SIGNAL_ERROR, S.SIGNAL_INTERRUPTED, *_ENDED)


def job_id_of(task: Any) -> int | None:
    """The job id of one of our job tasks, or None for anything else (periodic tasks)."""
    if getattr(task, "name", None) not in _JOB_TASKS:
        return None
    args: Any = getattr(task, "args", ())
    if len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool):
        return int(args[0])
    return None


class JobLifecycle:
    """One worker's record of its job messages: `started` when one begins, then exactly
    one of `ended`, `failed` or `interrupted`; `interrupt_in_flight` when a stop times out.

    `mark_after` > 0 marks a job's row running only if it runs that long; 0 marks every
    job as it starts."""

    def __init__(
        self,
        tracker: Tracker,
        bus: EventBus,
        worker_id: str,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        mark_after: float = 0.0,
    ) -> None:
        self.tracker = tracker
        self.bus = bus
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.marks = (
            RunningMarks(tracker, worker_id, lease_seconds, mark_after) if mark_after else None
        )
        # Added and discarded by the worker threads (atomic under the GIL, as Huey's own set).
        self._in_flight: set[Any] = set()
        self.heartbeat = LeaseHeartbeat(
            tracker, worker_id, lease_seconds, lambda: bool(self._in_flight)
        )

    def connect(self, queue: huey.Huey) -> Callable[[], None]:
        """Hear `queue`'s single messages through its signals; returns a function that
        disconnects and stops the late marks."""
        queue.signal(*_SIGNALS)(self._on_signal)

        def disconnect() -> None:
            queue.disconnect_signal(self._on_signal, *_SIGNALS)
            self.close()

        return disconnect

    def enqueued(self, task: Any) -> None:
        job_id = job_id_of(task)
        if job_id is not None and task.eta is None:  # delayed ones are already "retrying"
            self.bus.publish(JobEvent(job_id, JobState.QUEUED, kind=task.name))

    def started(self, task: Any) -> None:
        job_id = job_id_of(task)
        if job_id is None:
            return
        self._in_flight.add(task)
        self.heartbeat.start()
        try:
            if self.marks is not None:
                self.marks.begin(job_id)
            elif not self.tracker.mark_running(job_id, self.worker_id, self.lease_seconds):
                return
            self.bus.publish(JobEvent(job_id, JobState.RUNNING, kind=task.name))
        except Exception:
            logger.exception("job tracking failed on start of %s", task)

    def started_many(self, tasks: Sequence[Any]) -> None:
        """`started` for a batch's tasks, with one running mark for all of them (a mark is
        a transaction of its own: one per job cost as much as a step, team_scaling)."""
        if self.marks is not None:
            for task in tasks:
                self.started(task)
            return
        named = [(task, job_id_of(task)) for task in tasks]
        jobs = {job_id: task for task, job_id in named if job_id is not None}
        if not jobs:
            return
        self._in_flight.update(jobs.values())
        self.heartbeat.start()
        try:
            marked = self.tracker.mark_running_many(list(jobs), self.worker_id, self.lease_seconds)
            for job_id in sorted(marked):
                self.bus.publish(JobEvent(job_id, JobState.RUNNING, kind=jobs[job_id].name))
        except Exception:
            logger.exception("job tracking failed on start of jobs %s", sorted(jobs))

    def ended(self, task: Any) -> None:
        """The runner finished the job; its own transaction recorded how."""
        self._in_flight.discard(task)
        job_id = job_id_of(task)
        if job_id is not None and self.marks is not None:
            self.marks.end(job_id)

    def failed(self, task: Any, exc: BaseException | None) -> None:
        """An exception escaped the runner (a bug): logged, the job marked interrupted (the
        reconciler re-runs it after its lease)."""
        logger.error("task %s escaped the runner with an error", task, exc_info=exc)
        self.ended(task)
        job_id = job_id_of(task)
        if job_id is not None:
            error = f"internal error: {exc!r}"[:500]
            self._interrupt(job_id, task, error)

    def interrupted(self, task: Any) -> None:
        """The job stopped before it finished (the consumer is stopping)."""
        self.ended(task)
        job_id = job_id_of(task)
        if job_id is not None:
            logger.warning("job %s was interrupted (consumer stopping)", job_id)
            self._interrupt(job_id, task, None)

    def interrupt_in_flight(self) -> int:
        """Report every job still running as interrupted; returns how many."""
        count = 0
        while self._in_flight:
            try:
                task = self._in_flight.pop()
            except KeyError:
                break  # it finished meanwhile
            self.interrupted(task)
            count += 1
        return count

    def close(self) -> None:
        self.heartbeat.close()
        if self.marks is not None:
            self.marks.close()

    def _interrupt(self, job_id: int, task: Any, error: str | None) -> None:
        try:
            self.tracker.mark_interrupted(job_id)
            self.bus.publish(JobEvent(job_id, JobState.INTERRUPTED, kind=task.name, error=error))
        except Exception:
            logger.exception("job tracking failed on interruption of %s", task)

    def _on_signal(self, signal: str, task: Any, *args: Any) -> None:
        if signal == S.SIGNAL_EXECUTING:
            self.started(task)
        elif signal == S.SIGNAL_ERROR:
            self.failed(task, args[0] if args else None)
        elif signal == S.SIGNAL_INTERRUPTED:
            self.interrupted(task)
        elif signal == S.SIGNAL_ENQUEUED:
            try:
                self.enqueued(task)
            except Exception:
                logger.exception("job tracking failed on enqueue of %s", task)
        else:
            self.ended(task)


class RunningMarks:
    """`begin` when a job starts, `end` when it is done; a daemon thread marks the jobs
    still running after `after` seconds, with the time they began."""

    def __init__(
        self, tracker: Tracker, worker_id: str, lease_seconds: float, after: float
    ) -> None:
        self.tracker = tracker
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.after = after
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[float, datetime]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def begin(self, job_id: int) -> None:
        with self._lock:
            self._pending[job_id] = (time.monotonic(), utcnow())  # the rows' clock
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="RunningMarks", daemon=True)
                self._thread.start()

    def end(self, job_id: int) -> None:
        with self._lock:
            self._pending.pop(job_id, None)

    def flush(self, older_than: float) -> int:
        """Mark the jobs begun at least `older_than` seconds ago; returns how many."""
        now = time.monotonic()
        with self._lock:
            due = [(j, at) for j, (t, at) in self._pending.items() if now - t >= older_than]
            for job_id, _ in due:
                del self._pending[job_id]
        for job_id, started in due:
            try:
                self.tracker.mark_running(job_id, self.worker_id, self.lease_seconds, started)
            except Exception:
                logger.exception("could not mark job %s running", job_id)
        return len(due)

    def _loop(self) -> None:
        while not self._stop.wait(self.after / 2):
            self.flush(self.after)

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(5.0)


class LeaseHeartbeat:
    """A daemon thread, started with the first job: every `lease_seconds` / 3, while
    `active()` says jobs are in flight, the worker's running jobs get a fresh lease."""

    def __init__(
        self,
        tracker: Tracker,
        worker_id: str,
        lease_seconds: float,
        active: Callable[[], bool],
    ) -> None:
        self.tracker = tracker
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.interval = lease_seconds / 3
        self.active = active
        self.beats = 0  # renewals written (tests read it)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._loop, name="LeaseHeartbeat", daemon=True
                )
                self._thread.start()

    def beat(self) -> int:
        """Renew now; returns how many leases. Logs, never raises."""
        try:
            renewed = self.tracker.renew_leases(self.worker_id, self.lease_seconds)
        except Exception:
            logger.exception("could not renew the leases of %s", self.worker_id)
            return 0
        self.beats += 1
        return renewed

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            if self.active():
                self.beat()

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)
