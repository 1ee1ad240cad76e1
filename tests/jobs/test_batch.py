"""BatchExecutor: ready job messages taken together run as one batch, reported to the job
lifecycle for each; anything else (a delayed message, a rejected row) is handled one by one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import huey
import pytest

from governance_desktop.domain.enums import JobKind, JobState
from governance_desktop.jobs.batch import BatchExecutor
from governance_desktop.jobs.bus import EventBus, JobEvent
from governance_desktop.jobs.dispatcher import HueyDispatcher
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.lifecycle import JobLifecycle
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.tasks import register_tasks
from governance_desktop.services.dispatch import QueuedJob
from tests.helpers.waiting import wait_for
from tests.jobs.fakes import FakeRunner, FakeTracker
from tests.jobs.test_tampered_queue import insert_raw


def _start(
    queue: huey.Huey,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
    jobs: list[QueuedJob],
    limit: int = 4,
) -> FakeTracker:
    """Enqueue `jobs`, then start one worker that batches up to `limit` messages."""
    tracker = FakeTracker()
    lifecycle = JobLifecycle(tracker, processor.bus, "w1")
    lifecycle.connect(queue)
    HueyDispatcher(queue, register_tasks(queue, processor)).dispatch(jobs)
    batch = BatchExecutor(queue, processor, lifecycle, limit=limit)
    consumers(queue, workers=1, batch=batch, periodic=False).start()
    return tracker


def test_ready_messages_run_as_batches_with_lifecycle_events_for_each(
    queue: huey.Huey,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    bus: EventBus,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    events: list[JobEvent] = []
    bus.subscribe(events.append)
    runner.expected = 6
    jobs = [QueuedJob(i, JobKind.EXECUTE_WORKFLOW) for i in range(1, 7)]
    tracker = _start(queue, processor, consumers, jobs)
    assert runner.done.wait(10)
    assert wait_for(lambda: len(events) >= 18)
    assert runner.batches == [[1, 2, 3, 4], [5, 6]]  # in queue order, `limit` at a time
    assert [job_id for job_id, _, _ in tracker.running] == [1, 2, 3, 4, 5, 6]
    for job_id in range(1, 7):  # what a single task would have said, in the same order
        said = [e.state for e in events if e.job_id == job_id]
        assert said == [JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED]
    assert queue.pending_count() == 0


def test_delayed_and_rejected_messages_are_not_batched(
    queue: huey.Huey,
    queue_path: Path,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    runner.expected = 3
    insert_raw(queue_path, json.dumps({"not": "ours"}).encode())
    jobs = [
        QueuedJob(1, JobKind.EXECUTE_WORKFLOW),
        QueuedJob(2, JobKind.EXECUTE_WORKFLOW_ACTION, delay=60),
        QueuedJob(3, JobKind.EXECUTE_WORKFLOW_ACTION),
        QueuedJob(4, JobKind.EXECUTE_WORKFLOW),
    ]
    _start(queue, processor, consumers, jobs, limit=8)
    assert runner.done.wait(10)
    assert runner.batches == [[1, 3, 4]]
    assert wait_for(lambda: queue.scheduled_count() == 1)  # the delayed one waits for its time
    assert [task.args for task in queue.scheduled()] == [(2,)]
    assert queue.pending_count() == 0 and queue.serializer.rejections.count == 1


def test_a_batch_escaping_with_an_error_reports_each_job(
    queue: huey.Huey,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    runner.fail = True
    tracker = _start(
        queue, processor, consumers, [QueuedJob(i, JobKind.EXECUTE_WORKFLOW) for i in (7, 8)]
    )
    assert wait_for(lambda: len(tracker.interrupted) == 2)  # the reconciler re-runs them
    assert sorted(tracker.interrupted) == [7, 8]


def test_a_revoked_message_sends_its_batch_through_huey_one_by_one(
    queue: huey.Huey,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    runner.expected = 2
    tracker = FakeTracker()
    lifecycle = JobLifecycle(tracker, processor.bus, "w1")
    lifecycle.connect(queue)
    jobs = [QueuedJob(i, JobKind.EXECUTE_WORKFLOW) for i in (1, 2, 3)]
    HueyDispatcher(queue, register_tasks(queue, processor)).dispatch(jobs)
    queue.revoke_by_id(queue.pending()[1].id)
    batch = BatchExecutor(queue, processor, lifecycle)
    consumers(queue, workers=1, batch=batch, periodic=False).start()
    assert runner.done.wait(10)
    assert runner.batches == [] and [job_id for job_id, _ in runner.runs] == [1, 3]
    assert [job_id for job_id, _, _ in tracker.running] == [1, 3]


def test_a_message_that_cannot_be_read_costs_only_itself(
    queue: huey.Huey,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jobs = [QueuedJob(i, JobKind.EXECUTE_WORKFLOW) for i in (1, 2, 3)]
    HueyDispatcher(queue, register_tasks(queue, processor)).dispatch(jobs)
    read = queue.deserialize_task
    calls = iter(range(3))

    def flaky(data: bytes) -> object:
        if next(calls) == 1:  # an unexpected failure, not a RejectedMessage
            raise ValueError("unreadable")
        return read(data)

    monkeypatch.setattr(queue, "deserialize_task", flaky)
    lifecycle = JobLifecycle(FakeTracker(), processor.bus, "w1")
    tasks = BatchExecutor(queue, processor, lifecycle).take()
    assert [task.args for task in tasks] == [(1,), (3,)] and queue.pending_count() == 0
