"""Huey consumers for our two homes: embedded in the app, or the ``worker`` command.

Huey's ``Consumer.start()`` installs SIGINT/SIGTERM/SIGHUP handlers (taking over the app's, or
raising off the main thread) and its idle workers back off up to 10 s. `EmbeddedConsumer`
installs none, uses thread workers, and its workers can be woken right after an enqueue; an
idle worker still polls every `max_delay` (0.1 s) so work committed by another process is
seen within a fraction of a second.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

import huey
from huey.consumer import Consumer, Worker

from governance_desktop.jobs.batch import BatchExecutor
from governance_desktop.jobs.contracts import Schedules
from governance_desktop.jobs.reconciler import Reconciler
from governance_desktop.jobs.serializer import RejectedMessage

logger = logging.getLogger("governance_desktop.jobs")


class Waker:
    """One event per worker; `wake()` sets them all (each worker clears its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[threading.Event] = []

    def new_event(self) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._events.append(event)
        return event

    def wake(self) -> None:
        with self._lock:
            events = list(self._events)
        for event in events:
            event.set()


class WakeableWorker(Worker):  # type: ignore[misc]
    """A thread worker whose idle sleep ends early on `wake`, which drops rejected
    messages without sleeping (the serializer already logged them) and, given a
    `batch` executor, takes the ready messages together (jobs/batch.py)."""

    def __init__(
        self,
        *args: Any,
        wake_event: threading.Event,
        paused: threading.Event | None = None,
        batch: BatchExecutor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.wake_event = wake_event
        self.paused = paused or threading.Event()
        self.batch = batch
        self.busy = False

    def loop(self, now: datetime | None = None) -> None:
        if self.paused.is_set():  # paused: take nothing new from the queue
            self.stop_flag.wait(0.1)
            return
        self.busy = True
        try:
            tasks, idle = self._dequeue()
            if tasks:
                self.delay = self.default_delay
                self._execute(tasks, now)
        finally:
            self.busy = False
        if idle:
            self.sleep()

    def _execute(self, tasks: list[Any], now: datetime | None) -> None:
        if self.batch is not None:
            self.batch.execute(tasks, now)
            return
        for task in tasks:
            try:
                self.huey.execute(task, now)
            except Exception:
                self._logger.exception("Unhandled error during execution of task %s.", task.id)

    def _dequeue(self) -> tuple[list[Any], bool]:
        """(tasks taken, whether to sleep before the next poll)."""
        try:
            if self.batch is not None:
                tasks = self.batch.take()
            else:
                task = self.huey.dequeue()
                tasks = [] if task is None else [task]
        except RejectedMessage:
            return [], False  # logged by the serializer; the row is gone, never executed
        except Exception:
            self._logger.exception("Error reading from queue")
            return [], True
        return tasks, not tasks and not getattr(self.huey.storage, "blocking", False)

    def sleep(self) -> None:
        self.delay = min(self.delay, self.max_delay)
        if self.wake_event.wait(self.delay):
            self.wake_event.clear()
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer for use inside another program: no signal handlers, thread workers,
    wakeable, batches with a `batch` executor, and `stop_gracefully(timeout)` with a time
    limit."""

    worker_class = WakeableWorker

    def __init__(
        self,
        queue: huey.Huey,
        workers: int = 2,
        *,
        periodic: bool = True,
        initial_delay: float = 0.02,
        max_delay: float = 0.1,
        batch: BatchExecutor | None = None,
        **options: Any,
    ) -> None:
        self.waker = Waker()
        self.batch = batch
        self.paused = threading.Event()
        self._started = False
        super().__init__(
            queue,
            workers=workers,
            periodic=periodic,
            initial_delay=initial_delay,
            max_delay=max_delay,
            worker_type="thread",
            **options,
        )

    def _create_worker(self) -> WakeableWorker:
        return WakeableWorker(
            huey=self.huey,
            stop_flag=self.stop_flag,
            default_delay=self.default_delay,
            max_delay=self.max_delay,
            backoff=self.backoff,
            max_tasks=self.max_tasks,
            wake_event=self.waker.new_event(),
            paused=self.paused,
            batch=self.batch,
        )

    def _set_signal_handlers(self) -> None:
        """Install nothing: the host program owns its signals."""

    def start(self) -> None:
        if not self._started:
            self._started = True
            super().start()

    def wake(self) -> None:
        """Make idle workers poll the queue now (call after an enqueue commits)."""
        self.waker.wake()

    @property
    def started(self) -> bool:
        return self._started

    def pause(self) -> None:
        """Finish what is running, take nothing new until `resume()`."""
        self.paused.set()

    def resume(self) -> None:
        self.paused.clear()
        self.wake()

    def busy(self) -> bool:
        """Whether any worker is dequeuing or executing a task right now."""
        return any(getattr(worker, "busy", False) for worker, _ in self.worker_threads)

    def stop_gracefully(self, timeout: float) -> bool:
        """Stop taking work, let running tasks finish for up to `timeout` seconds; True if
        every thread ended. Tasks still running are reported as interrupted."""
        self.stop_flag.set()
        self.wake()
        if not self._started:
            return True
        deadline = time.monotonic() + timeout
        threads = [thread for _, thread in self.worker_threads] + [self.scheduler]
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        alive = [thread.name for thread in threads if thread.is_alive()]
        if alive:
            logger.warning("consumer threads still running after %.1fs: %s", timeout, alive)
            self.huey.notify_interrupted_tasks()
        return not alive


def run_worker(
    consumer: EmbeddedConsumer,
    *,
    reconciler: Reconciler | None = None,
    schedules: Schedules | None = None,
    burst: bool = False,
    has_due_work: Callable[[], bool] | None = None,
    settle_seconds: float = 0.5,
    stop_timeout: float = 30.0,
    poll_seconds: float = 0.05,
) -> int:
    """Run `consumer` in the foreground until SIGINT/SIGTERM (or, with `burst`, until nothing
    is due for `settle_seconds`); returns the exit code. Reconciles at start (grace 0)."""
    stop = threading.Event()
    previous = _install_stop_handlers(stop)
    try:
        if reconciler is not None:
            reconciler.run_once(grace_seconds=0.0)
        if schedules is not None:
            _run_schedules(schedules)
        consumer.start()
        idle_since: float | None = None
        last_reconcile = time.monotonic()
        while not stop.wait(poll_seconds):
            if not burst:
                continue
            if consumer.busy() or consumer.huey.pending_count():
                idle_since = None
                continue
            if has_due_work is not None and has_due_work():
                idle_since = None
                if reconciler is not None and time.monotonic() - last_reconcile > 2.0:
                    last_reconcile = time.monotonic()  # rows with no message: re-enqueue
                    reconciler.run_once(grace_seconds=0.0)
                continue
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= settle_seconds:
                logger.info("worker --burst: nothing due, exiting")
                break
    finally:
        _restore_handlers(previous)  # a second Ctrl-C / SIGTERM now acts at once
        clean = consumer.stop_gracefully(stop_timeout)
    return 0 if clean else 1


def _run_schedules(schedules: Schedules) -> None:
    try:
        schedules.run_due()
    except Exception:
        logger.exception("running due schedules failed")


_Handler = Callable[[int, FrameType | None], Any] | int | None


def _install_stop_handlers(stop: threading.Event) -> dict[int, _Handler]:
    if threading.current_thread() is not threading.main_thread():
        logger.info("worker not on the main thread: no signal handlers installed")
        return {}

    def handle(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s, stopping gracefully", signal.Signals(signum).name)
        stop.set()

    previous: dict[int, _Handler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handle)
    return previous


def _restore_handlers(previous: dict[int, _Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
