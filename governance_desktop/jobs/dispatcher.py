"""HueyDispatcher: the services' JobDispatcher on Huey (ids only; never raises)."""

from __future__ import annotations

import logging
import queue as stdqueue
import threading
from collections.abc import Callable, Sequence

import huey

from governance_desktop.jobs.tasks import TaskSet
from governance_desktop.services.dispatch import QueuedJob

logger = logging.getLogger("governance_desktop.jobs")

_STOP = object()


class HueyDispatcher:
    """Enqueues one message per committed Job row, then calls `wake` so an idle in-process
    consumer starts at once. Failures are logged: the reconciler re-enqueues from the table.

    `background=True` moves the enqueue to one helper thread so a GUI-thread caller never
    waits on the queue file's lock; call `close()` before exit to flush it.
    `tasks` may be bound later with `bind()` (the runner needs the dispatcher first).
    """

    def __init__(
        self,
        queue: huey.Huey,
        tasks: TaskSet | None = None,
        wake: Callable[[], None] | None = None,
        *,
        background: bool = False,
    ) -> None:
        self.queue = queue
        self.tasks = tasks
        self.wake = wake
        self._inbox: stdqueue.SimpleQueue[object] | None = None
        self._thread: threading.Thread | None = None
        if background:
            self._inbox = stdqueue.SimpleQueue()
            self._thread = threading.Thread(target=self._drain, name="job-dispatch", daemon=True)
            self._thread.start()

    def bind(self, tasks: TaskSet) -> None:
        self.tasks = tasks

    def dispatch(self, jobs: Sequence[QueuedJob]) -> None:
        if not jobs:
            return
        if self._inbox is not None:
            self._inbox.put(list(jobs))
        else:
            self._send(list(jobs))

    def close(self, timeout: float = 5.0) -> None:
        """Flush and stop the background thread (no-op when synchronous)."""
        if self._inbox is not None and self._thread is not None:
            self._inbox.put(_STOP)
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("job dispatch thread did not finish in %.1fs", timeout)

    def _drain(self) -> None:
        assert self._inbox is not None
        while (item := self._inbox.get()) is not _STOP:
            self._send(item)  # type: ignore[arg-type]

    def _send(self, jobs: list[QueuedJob]) -> None:
        sent = 0
        for job in jobs:
            try:
                if self.tasks is None:
                    raise RuntimeError("dispatcher has no tasks bound")
                task = self.tasks.for_kind(job.kind)
                if job.delay > 0:
                    task.schedule(args=(job.job_id,), delay=job.delay)
                else:
                    task(job.job_id)
                sent += 1
            except Exception:
                logger.exception(
                    "could not enqueue job %s (%s); the reconciler will retry it",
                    job.job_id,
                    job.kind,
                )
        if sent and self.wake is not None:
            try:
                self.wake()
            except Exception:
                logger.exception("waking the consumer failed")
