"""JobLifecycle: a single message's Huey signals update Job rows through the tracker and
publish bus events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import huey
import pytest

from governance_desktop.domain.enums import JobKind
from governance_desktop.jobs.bus import EventBus, JobEvent
from governance_desktop.jobs.dispatcher import HueyDispatcher
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.lifecycle import JobLifecycle
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.reconciler import Reconciler
from governance_desktop.jobs.tasks import register_tasks
from governance_desktop.services.dispatch import QueuedJob
from tests.helpers.waiting import wait_for
from tests.jobs.fakes import FakeRunner, FakeTracker


def test_successful_job_events(
    queue: huey.Huey, bus: EventBus, consumers: Callable[..., EmbeddedConsumer]
) -> None:
    """queued → running (lease taken by our worker id) → the runner's outcome."""
    runner, tracker, events = FakeRunner(), FakeTracker(), list[JobEvent]()
    bus.subscribe(events.append)
    tasks = register_tasks(queue, WorkflowProcessor(runner, bus, "host:1:w"))
    JobLifecycle(tracker, bus, "host:1:w", lease_seconds=60).connect(queue)
    consumer = consumers(queue, workers=1)
    consumer.start()
    HueyDispatcher(queue, tasks, consumer.wake).dispatch([QueuedJob(3, JobKind.EXECUTE_WORKFLOW)])
    assert wait_for(lambda: len(events) == 3)
    assert [(e.job_id, e.state) for e in events] == [
        (3, "queued"),
        (3, "running"),
        (3, "succeeded"),
    ]
    assert events[2].execution_id == 7
    assert tracker.running == [(3, "host:1:w", 60)]


def test_embedded_marks_only_slow_jobs(
    queue: huey.Huey, bus: EventBus, consumers: Callable[..., EmbeddedConsumer]
) -> None:
    """With `mark_after`, the bus hears running at once; a quick job's row is never marked."""
    runner, tracker, events = FakeRunner(), FakeTracker(), list[JobEvent]()
    bus.subscribe(events.append)
    tasks = register_tasks(queue, WorkflowProcessor(runner, bus, "host:1:w"))
    disconnect = JobLifecycle(tracker, bus, "host:1:w", 60, mark_after=30).connect(queue)
    consumer = consumers(queue, workers=1)
    consumer.start()
    HueyDispatcher(queue, tasks, consumer.wake).dispatch([QueuedJob(3, JobKind.EXECUTE_WORKFLOW)])
    assert wait_for(lambda: len(events) == 3)
    assert [e.state for e in events] == ["queued", "running", "succeeded"]
    disconnect()
    assert tracker.running == []


def test_error_escaping_the_runner_is_logged_and_recorded(
    queue: huey.Huey,
    bus: EventBus,
    consumers: Callable[..., EmbeddedConsumer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in the runner: traceback in the log, job marked interrupted, error event."""
    runner, tracker, events = FakeRunner(), FakeTracker(), list[JobEvent]()
    runner.fail = True
    bus.subscribe(events.append)
    tasks = register_tasks(queue, WorkflowProcessor(runner, bus, "w"))
    JobLifecycle(tracker, bus, "w").connect(queue)
    consumer = consumers(queue, workers=1)
    with caplog.at_level(logging.INFO):
        consumer.start()
        HueyDispatcher(queue, tasks, consumer.wake).dispatch(
            [QueuedJob(9, JobKind.EXECUTE_WORKFLOW_ACTION)]
        )
        assert wait_for(lambda: tracker.interrupted == [9])
    assert events[-1].state == "interrupted" and "boom" in (events[-1].error or "")
    assert "escaped the runner" in caplog.text and "RuntimeError: boom" in caplog.text


def test_failing_tracker_is_logged_and_work_goes_on(
    queue: huey.Huey,
    bus: EventBus,
    consumers: Callable[..., EmbeddedConsumer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If marking a job running fails, it is logged and the runner still runs the job."""

    class Broken(FakeTracker):
        def mark_running(
            self, job_id: int, lease_owner: str, lease_seconds: float, began: object = None
        ) -> bool:
            raise RuntimeError("locked")

    runner = FakeRunner()
    tasks = register_tasks(queue, WorkflowProcessor(runner, bus, "w"))
    JobLifecycle(Broken(), bus, "w").connect(queue)
    consumer = consumers(queue, workers=1)
    consumer.start()
    HueyDispatcher(queue, tasks, consumer.wake).dispatch([QueuedJob(2, JobKind.EXECUTE_WORKFLOW)])
    assert runner.done.wait(5)
    assert "job tracking failed" in caplog.text


def test_periodic_tasks_run_schedules_and_reconcile(
    queue: huey.Huey, processor: WorkflowProcessor, consumers: Callable[..., EmbeddedConsumer]
) -> None:
    """At consumer start the every-minute RUN_SCHEDULES and RECONCILE tasks run."""
    calls: list[datetime | None] = []

    class Schedules:
        def run_due(self, now: datetime | None = None) -> int:
            calls.append(now)
            return 0

    tracker = FakeTracker()
    reconciler = Reconciler(tracker, HueyDispatcher(queue))
    register_tasks(queue, processor, Schedules(), reconciler)
    consumers(queue, workers=1).start()
    assert wait_for(lambda: bool(calls) and bool(tracker.recover_calls))
    assert calls[0] is None  # the service reads its own (injectable) clock
