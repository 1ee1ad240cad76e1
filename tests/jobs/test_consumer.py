"""EmbeddedConsumer: no signal handlers, wakeable, stops within its time limit."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

import huey
import pytest

from governance_desktop.domain.enums import JobKind
from governance_desktop.jobs.bus import EventBus, JobEvent
from governance_desktop.jobs.dispatcher import HueyDispatcher
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.lifecycle import JobLifecycle
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.tasks import register_tasks
from governance_desktop.services.dispatch import QueuedJob
from tests.jobs.fakes import FakeRunner, FakeTracker

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def test_installs_no_signal_handlers(
    queue: huey.Huey, consumers: Callable[..., EmbeddedConsumer]
) -> None:
    """Starting and stopping leaves the process's signal handlers exactly as they were."""
    before = [signal.getsignal(s) for s in SIGNALS]
    consumer = consumers(queue, workers=2)
    consumer.start()
    assert [signal.getsignal(s) for s in SIGNALS] == before
    assert consumer.stop_gracefully(5)
    assert [signal.getsignal(s) for s in SIGNALS] == before


def test_starts_off_the_main_thread(
    queue: huey.Huey, consumers: Callable[..., EmbeddedConsumer]
) -> None:
    """A consumer can be started from any thread (Huey's own raises there)."""
    consumer = consumers(queue, workers=1)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            consumer.start()
        except BaseException as exc:  # pragma: no cover - the failure being tested
            errors.append(exc)

    thread = threading.Thread(target=start)
    thread.start()
    thread.join(5)
    assert errors == []
    assert consumer.stop_gracefully(5)


def test_idle_consumer_stops_within_its_time_limit(
    queue: huey.Huey, consumers: Callable[..., EmbeddedConsumer]
) -> None:
    """An idle consumer with a long poll back-off still stops well inside the limit."""
    consumer = consumers(queue, workers=3, initial_delay=30, max_delay=30)
    consumer.start()
    time.sleep(0.1)  # let the workers enter their long sleep
    started = time.monotonic()
    assert consumer.stop_gracefully(2.0)
    assert time.monotonic() - started < 2.0


def test_woken_consumer_runs_an_enqueued_task(
    queue: huey.Huey,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    """With polling pushed out to 60 s, only the wake can make the task run in time."""
    tasks = register_tasks(queue, processor)
    consumer = consumers(queue, workers=1, initial_delay=60, max_delay=60)
    consumer.start()
    time.sleep(0.1)  # the worker has polled once and now sleeps for 60 s
    HueyDispatcher(queue, tasks, consumer.wake).dispatch([QueuedJob(5, JobKind.EXECUTE_WORKFLOW)])
    assert runner.done.wait(10)
    assert runner.runs[0][0] == 5


def test_task_still_running_at_stop_is_reported_interrupted(
    queue: huey.Huey,
    bus: EventBus,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    """When the time limit passes, stop returns False and the job is marked interrupted."""
    runner, tracker, events = FakeRunner(), FakeTracker(), list[JobEvent]()
    runner.block = threading.Event()
    bus.subscribe(events.append)
    tasks = register_tasks(queue, WorkflowProcessor(runner, bus, "w"))
    lifecycle = JobLifecycle(tracker, bus, "host:1:w")
    lifecycle.connect(queue)
    consumer = consumers(queue, workers=1, lifecycle=lifecycle)
    HueyDispatcher(queue, tasks, consumer.wake).dispatch(
        [QueuedJob(8, JobKind.EXECUTE_WORKFLOW_ACTION)]
    )
    consumer.start()
    assert runner.started.wait(5)
    assert consumer.stop_gracefully(0.2) is False
    assert tracker.interrupted == [8]
    assert [e.state for e in events] == ["queued", "running", "interrupted"]
    runner.block.set()
    assert runner.done.wait(5)
    assert consumer.stop_gracefully(5)


def test_max_tasks_is_not_offered(queue: huey.Huey) -> None:
    """Nothing recycles workers: the embedded consumer takes no `max_tasks` (Huey's option
    would stop a worker after N tasks and only Huey's own run loop replaces it)."""
    with pytest.raises(TypeError, match="max_tasks"):
        EmbeddedConsumer(queue, max_tasks=1)  # type: ignore[call-arg]
