"""Running the embedded consumer as the ``worker`` command: in the foreground until SIGINT or
SIGTERM (or, with ``--burst``, until nothing is due), then a graceful stop.

The consumer itself (no signal handlers of its own, thread workers woken after an enqueue,
pausable) is `huey_seam.EmbeddedConsumer`; this module owns the process's signals instead.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from governance_desktop.jobs.contracts import Schedules
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.reconciler import Reconciler

logger = logging.getLogger("governance_desktop.jobs")


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
