"""run_worker: --burst exits when nothing is due; SIGTERM stops it gracefully."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

import huey

from governance_desktop.domain.enums import JobKind
from governance_desktop.jobs.consumer import run_worker
from governance_desktop.jobs.dispatcher import HueyDispatcher
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.reconciler import Reconciler
from governance_desktop.jobs.tasks import register_tasks
from governance_desktop.services.dispatch import QueuedJob
from tests.jobs.fakes import FakeRunner, FakeTracker


def test_burst_reconciles_runs_everything_and_exits(
    queue: huey.Huey,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    """Jobs found by the start-up reconcile and ones already queued all run; exit code 0."""
    tracker = FakeTracker(to_recover=[QueuedJob(1, JobKind.EXECUTE_WORKFLOW)])
    dispatcher = HueyDispatcher(queue)
    tasks = register_tasks(queue, processor)
    dispatcher.bind(tasks)
    dispatcher.dispatch([QueuedJob(n, JobKind.EXECUTE_WORKFLOW_ACTION) for n in (2, 3)])
    consumer = consumers(queue, workers=2)
    dispatcher.wake = consumer.wake
    runner.expected = 3

    def due() -> bool:
        return not runner.done.is_set()

    code = run_worker(
        consumer,
        reconciler=Reconciler(tracker, dispatcher),
        burst=True,
        has_due_work=due,
        settle_seconds=0.2,
    )
    assert code == 0
    assert sorted(job_id for job_id, _ in runner.runs) == [1, 2, 3]
    assert tracker.recover_calls[0][1] == 0.0  # start-up reconcile uses no grace


def test_sigterm_stops_the_worker_and_restores_handlers(
    queue: huey.Huey, processor: WorkflowProcessor, consumers: Callable[..., EmbeddedConsumer]
) -> None:
    """A SIGTERM makes run_worker stop gracefully and return 0; old handlers come back."""
    register_tasks(queue, processor)
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        assert run_worker(consumers(queue, workers=1)) == 0
    finally:
        timer.cancel()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_burst_recovers_rows_that_have_no_message(
    queue: huey.Huey,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    """If the table says work is due but the queue is empty, burst re-runs the reconciler."""
    tracker = FakeTracker()
    dispatcher = HueyDispatcher(queue, register_tasks(queue, processor))
    consumer = consumers(queue, workers=1)
    dispatcher.wake = consumer.wake
    reconciler = Reconciler(tracker, dispatcher)
    lost = threading.Timer(
        0.2, lambda: tracker.to_recover.append(QueuedJob(6, JobKind.EXECUTE_WORKFLOW))
    )
    lost.start()
    code = run_worker(
        consumer,
        reconciler=reconciler,
        burst=True,
        has_due_work=lambda: not runner.done.is_set(),
        settle_seconds=0.1,
    )
    lost.join()
    assert code == 0 and [job_id for job_id, _ in runner.runs] == [6]
