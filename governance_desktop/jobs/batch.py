"""Several job messages, one transaction: a worker takes the ready messages together (up to
`BATCH_LIMIT`) and the runner runs their jobs in one durable commit (``run_batch``).

This is group commit across executions: one fsync, one write-lock turn and one queue.db
transaction for several executions instead of one each. A lone message still goes through
Huey's own ``execute``. So does anything that is not a plain job message ready now: periodic
tasks, messages with an ETA (Huey moves them to its schedule), expiring ones; and if any
message of a batch is revoked, all of them.

A batch reports to the worker's `JobLifecycle` per job, in the order a single message does
(started, then ended or failed), so job rows, running marks and the monitor see the same.
We register no pre/post-execute hooks, timeouts or results, which ``Huey.execute`` would
also handle.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import huey

from governance_desktop.jobs.huey_seam import queue_now, revoke_keys
from governance_desktop.jobs.lifecycle import JobLifecycle, job_id_of
from governance_desktop.jobs.rejections import RejectedMessage

logger = logging.getLogger("governance_desktop.jobs")

#: The most messages a worker takes at once. 16 executions of the bench's 3-step workflow
#: hold the write lock ≈ 25 ms (people's writes run off the GUI thread); 16 against 8 gave
#: ≈ +10 % steps/s in one window (docs/benchmarks.md, round 8).
BATCH_LIMIT = 16


class BatchHandler(Protocol):
    """WorkflowProcessor.handle_batch."""

    def handle_batch(self, job_ids: Sequence[int]) -> Any: ...


class BatchExecutor:
    """Takes up to `limit` ready messages and runs the job messages among them together,
    reporting each job to `lifecycle`."""

    def __init__(
        self,
        queue: huey.Huey,
        handler: BatchHandler,
        lifecycle: JobLifecycle,
        limit: int = BATCH_LIMIT,
    ) -> None:
        self.huey = queue
        self.handler = handler
        self.lifecycle = lifecycle
        self.limit = limit

    def take(self, wait: bool = False) -> list[Any]:
        """Dequeue up to `limit` tasks (one queue.db transaction on SQLite, one pop on Redis);
        only with `wait` does a blocking storage wait for the first (never for the rest). A
        message that cannot be read is dropped and logged (the reconciler re-enqueues its
        job, if any)."""
        storage = self.huey.storage
        take_many = getattr(storage, "dequeue_many", None)
        if take_many is not None:
            messages = take_many(self.limit, wait)
        else:  # other storages: one pop each
            messages = []
            while len(messages) < self.limit:
                data = storage.dequeue()
                if data is None:
                    break
                messages.append(data)
        tasks = []
        for data in messages:  # one bad message must not cost the others
            try:
                tasks.append(self.huey.deserialize_task(data))
            except RejectedMessage:
                continue
            except Exception:
                logger.exception("a queue message could not be read; dropped")
        return tasks

    def execute(self, tasks: Sequence[Any], now: datetime | None = None) -> None:
        """Run the ready job messages of `tasks` as one batch, the rest one by one."""
        timestamp = now or queue_now(self.huey)
        batch = [task for task in tasks if self._batchable(task, timestamp)]
        if len(batch) < 2 or self._revoked(batch, with_classes=True):
            batch = []  # a lone message, or something revoked: Huey's execute decides
        for task in tasks:
            if task not in batch:
                try:
                    self.huey.execute(task, now)
                except Exception:
                    logger.exception("unhandled error during execution of task %s", task.id)
        if batch:
            self._run(batch)

    def _batchable(self, task: Any, timestamp: datetime) -> bool:
        return (
            job_id_of(task) is not None
            and self.huey.ready_to_run(task, timestamp)
            and not task.expires_resolved
        )

    def _revoked(self, batch: list[Any], with_classes: bool = False) -> list[str]:
        """The batch's revoke flags that are set, read at once (Huey reads them per task);
        `with_classes` adds the flags that revoke a whole task class."""
        queue = self.huey
        if with_classes:
            keys = [key for task in batch for key in revoke_keys(queue, task)]
        else:
            keys = [task.revoke_id for task in batch]
        return list(queue.storage.peek_many(keys))

    def _run(self, batch: list[Any]) -> None:
        # What Huey.execute/_execute do for one task, for several.
        lifecycle = self.lifecycle
        ids = [job_id_of(task) or 0 for task in batch]
        logger.info("Executing %d job messages together: jobs %s", len(batch), ids)
        lifecycle.started_many(batch)
        try:
            self.handler.handle_batch(ids)
        except Exception as exc:
            logger.exception("unhandled exception in a batch of %d tasks", len(batch))
            for task in batch:
                lifecycle.failed(task, exc)
        else:
            for key in self._revoked(batch):  # revoked while running: clear, as Huey does
                self.huey.delete(key)
            for task in batch:
                lifecycle.ended(task)
