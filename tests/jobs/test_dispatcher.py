"""HueyDispatcher: ids only, delays become a schedule, never raises, wakes the consumer."""

from __future__ import annotations

import json

import huey
import pytest

from governance_desktop.domain.enums import JobKind
from governance_desktop.jobs.dispatcher import HueyDispatcher
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.tasks import register_tasks
from governance_desktop.services.dispatch import QueuedJob


def test_messages_carry_the_job_id_only(queue: huey.Huey, processor: WorkflowProcessor) -> None:
    """Each kind maps to its task name; the payload is JSON with args [job_id]."""
    woken: list[int] = []
    dispatcher = HueyDispatcher(queue, register_tasks(queue, processor), lambda: woken.append(1))
    dispatcher.dispatch(
        [QueuedJob(1, JobKind.EXECUTE_WORKFLOW), QueuedJob(2, JobKind.EXECUTE_WORKFLOW_ACTION)]
    )
    rows = [json.loads(raw)["message"] for raw in queue.storage.enqueued_items()]
    assert [(r["task"], r["args"], r["kwargs"]) for r in rows] == [
        ("EXECUTE_WORKFLOW", [1], {}),
        ("EXECUTE_WORKFLOW_ACTION", [2], {}),
    ]
    assert woken == [1]


def test_delay_sets_an_eta(queue: huey.Huey, processor: WorkflowProcessor) -> None:
    """A delayed job is enqueued with an eta, so the consumer parks it in the schedule."""
    dispatcher = HueyDispatcher(queue, register_tasks(queue, processor))
    dispatcher.dispatch([QueuedJob(3, JobKind.EXECUTE_WORKFLOW_ACTION, delay=60)])
    (task,) = queue.pending()
    assert task.args == (3,) and task.eta is not None
    queue.execute(queue.dequeue())
    assert queue.scheduled_count() == 1 and queue.pending_count() == 0


def test_dispatch_never_raises(
    queue: huey.Huey, processor: WorkflowProcessor, caplog: pytest.LogCaptureFixture
) -> None:
    """Unbound tasks, an unknown kind or a failing wake are logged, not raised."""
    HueyDispatcher(queue).dispatch([QueuedJob(1, JobKind.EXECUTE_WORKFLOW)])
    assert "no tasks bound" in caplog.text

    def bad_wake() -> None:
        raise RuntimeError("wake failed")

    dispatcher = HueyDispatcher(queue, register_tasks(queue, processor), bad_wake)
    dispatcher.dispatch(
        [QueuedJob(1, "NOPE"), QueuedJob(2, JobKind.EXECUTE_WORKFLOW)]  # type: ignore[arg-type]
    )
    assert "could not enqueue job 1" in caplog.text and "waking the consumer" in caplog.text
    assert queue.pending_count() == 1


def test_background_dispatch_flushes_on_close(
    queue: huey.Huey, processor: WorkflowProcessor
) -> None:
    """With background=True the enqueue happens on a helper thread; close() flushes it."""
    dispatcher = HueyDispatcher(queue, register_tasks(queue, processor), background=True)
    dispatcher.dispatch([QueuedJob(n, JobKind.EXECUTE_WORKFLOW) for n in range(20)])
    dispatcher.close()
    assert queue.pending_count() == 20
