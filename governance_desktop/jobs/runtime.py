"""QueueRuntime: the queue side of the engine, composed from settings and services.

Wiring (app.py / cli.py); services hold a ``SwitchableDispatcher`` until the queue exists::

    ctx = open_app(settings)
    runtime = QueueRuntime.open(settings)          # Huey on queue.db (or Redis), bus, dispatcher
    runtime.attach(runner=ctx.runner, tracker=ctx.tracker, schedules=ctx.schedules)
    ctx.dispatcher.target = runtime.dispatcher     # services now enqueue after commit

    runtime.start()                                # GUI: embedded consumer (skip for
    ...                                            #   `gui --no-worker` and one-shot commands)
    runtime.stop(timeout=5.0)                      # on quit, after the Qt loop has ended
    runtime.close()                                # always, also for one-shot commands

    # `governance-desktop worker [--workers N] [--burst]` (after attach, instead of start):
    code = runtime.run_worker(burst=args.burst, has_due_work=ctx.tracker.has_due_work)

``QueueRuntime.open(settings, workers=N)`` overrides ``settings.workers`` for ``--workers``.
GUI: ``runtime.bus.subscribe(callback)`` (called in worker threads; the Qt bridge re-emits),
``runtime.rejections`` counts queue rows that were refused, ``background_dispatch=True`` keeps
enqueue waits off the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import huey

from governance_desktop.config import Settings
from governance_desktop.jobs.batch import BatchExecutor
from governance_desktop.jobs.bus import EventBus
from governance_desktop.jobs.consumer import run_worker
from governance_desktop.jobs.contracts import Runner, Schedules, Tracker
from governance_desktop.jobs.dispatcher import HueyDispatcher
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.lifecycle import DEFAULT_LEASE_SECONDS, JobLifecycle
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.queue import make_huey
from governance_desktop.jobs.reconciler import (
    ReconcileLoop,
    Reconciler,
    new_worker_id,
    retire_worker_id,
)
from governance_desktop.jobs.rejections import Rejections
from governance_desktop.jobs.tasks import TaskSet, register_tasks

logger = logging.getLogger("governance_desktop.jobs")


class QueueRuntime:
    """Owns the Huey instance, bus, dispatcher, tasks, reconciler and consumer."""

    def __init__(
        self, queue: huey.Huey, *, workers: int = 2, background_dispatch: bool = False
    ) -> None:
        self.huey = queue
        self.workers = workers
        self.worker_id = new_worker_id()
        self.bus = EventBus()
        self.rejections: Rejections = queue.serializer.rejections  # for the monitor
        self.dispatcher = HueyDispatcher(queue, wake=self._wake, background=background_dispatch)
        self.tasks: TaskSet | None = None
        self.reconciler: Reconciler | None = None
        self.reconcile_loop: ReconcileLoop | None = None
        self.schedules: Schedules | None = None
        self.consumer: EmbeddedConsumer | None = None
        self._disconnect: Callable[[], None] | None = None
        self._stopped_clean = True
        self._closed = False

    @classmethod
    def open(
        cls, settings: Settings, *, workers: int | None = None, background_dispatch: bool = False
    ) -> QueueRuntime:
        """Open the queue named by the settings (a damaged queue.db is rebuilt)."""
        queue = make_huey(settings.effective_queue_url, own_file=settings.data_dir / "queue.db")
        return cls(
            queue, workers=workers or settings.workers, background_dispatch=background_dispatch
        )

    def attach(
        self,
        *,
        runner: Runner,
        tracker: Tracker,
        schedules: Schedules | None = None,
        grace_seconds: float = 30.0,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        periodic: bool = True,
        mark_after: float = 0.0,
    ) -> None:
        """Register the tasks, connect the job lifecycle and build the (not yet started)
        consumer. `mark_after`: see ``lifecycle.JobLifecycle``."""
        if self.tasks is not None:
            raise RuntimeError("QueueRuntime.attach called twice")
        processor = WorkflowProcessor(runner, self.bus, self.worker_id, self.rejections)
        self.reconciler = Reconciler(tracker, self.dispatcher, grace_seconds)
        self.reconcile_loop = ReconcileLoop(self.reconciler, lease_seconds / 2)
        self.schedules = schedules
        self.tasks = register_tasks(self.huey, processor, schedules, self.reconciler)
        self.dispatcher.bind(self.tasks)
        lifecycle = JobLifecycle(tracker, self.bus, self.worker_id, lease_seconds, mark_after)
        self._disconnect = lifecycle.connect(self.huey)
        batch = BatchExecutor(self.huey, processor, lifecycle)
        self.consumer = EmbeddedConsumer(self.huey, self.workers, periodic=periodic, batch=batch)

    def start(self) -> None:
        """Start the embedded consumer threads; reconciles first (grace 0)."""
        consumer = self._require_consumer()
        assert self.reconciler is not None
        self.reconciler.run_once(grace_seconds=0.0)
        consumer.start()
        self._loop_start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the consumer gracefully within `timeout` seconds; True if all threads ended."""
        if self.consumer is None:
            return True
        self._loop_stop()
        self._stopped_clean = self.consumer.stop_gracefully(timeout)
        return self._stopped_clean

    def run_worker(
        self,
        *,
        burst: bool = False,
        has_due_work: Callable[[], bool] | None = None,
        stop_timeout: float = 30.0,
        settle_seconds: float = 0.5,
    ) -> int:
        """The ``worker`` command: foreground, graceful on SIGINT/SIGTERM; returns exit code."""
        consumer = self._require_consumer()
        self._loop_start()
        try:
            code = run_worker(
                consumer,
                reconciler=self.reconciler,
                schedules=self.schedules,
                burst=burst,
                has_due_work=has_due_work,
                stop_timeout=stop_timeout,
                settle_seconds=settle_seconds,
            )
        finally:
            self._loop_stop()
        self._stopped_clean = code == 0
        return code

    def close(self) -> None:
        """Flush the dispatcher, disconnect the job lifecycle and close the queue's connection."""
        if self._closed:
            return
        self._closed = True
        self._loop_stop()
        self.dispatcher.close()
        retire_worker_id(self.worker_id)
        if self._disconnect is not None:
            self._disconnect()
            self._disconnect = None
        if self._stopped_clean:  # a thread still running a task may need the connection
            self.huey.storage.close()

    @property
    def started(self) -> bool:
        return self.consumer is not None and self.consumer.started

    @property
    def paused(self) -> bool:
        return self.consumer is not None and self.consumer.paused.is_set()

    def pause(self) -> None:
        self._require_consumer().pause()

    def resume(self) -> None:
        self._require_consumer().resume()

    def _loop_start(self) -> None:
        if self.reconcile_loop is not None:
            self.reconcile_loop.start()

    def _loop_stop(self) -> None:
        if self.reconcile_loop is not None:
            self.reconcile_loop.stop()

    def _wake(self) -> None:
        if self.consumer is not None:
            self.consumer.wake()

    def _require_consumer(self) -> EmbeddedConsumer:
        if self.consumer is None:
            raise RuntimeError("QueueRuntime.attach must be called before starting")
        return self.consumer
