"""Both job task names stay on the wire: a queue file written before the two handlers became
one still runs messages of either name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import huey

from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.names import EXECUTE_WORKFLOW, EXECUTE_WORKFLOW_ACTION
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.tasks import register_tasks
from tests.jobs.fakes import FakeRunner

from .test_tampered_queue import insert_raw


def _stored_message(task_name: str, job_id: int) -> bytes:
    """A message as an earlier release wrote it into queue.db (written out by hand)."""
    message = {
        "id": f"00000000-0000-0000-0000-{job_id:012d}",
        "task": task_name,
        "eta": None,
        "retries": 0,
        "retry_delay": 0,
        "priority": None,
        "args": [job_id],
        "kwargs": {},
        "on_complete": None,
        "on_error": None,
        "expires": None,
        "expires_resolved": None,
        "timeout": None,
        "chord_config": None,
        "retry_backoff": 0,
    }
    return json.dumps({"v": 1, "type": "message", "message": message}).encode()


def test_stored_messages_of_either_name_still_run(
    queue: huey.Huey,
    queue_path: Path,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    insert_raw(queue_path, _stored_message(EXECUTE_WORKFLOW, 11))
    insert_raw(queue_path, _stored_message(EXECUTE_WORKFLOW_ACTION, 12))
    runner.expected = 2
    register_tasks(queue, processor)
    consumers(queue, workers=1, periodic=False).start()  # no batch: each through its task
    assert runner.done.wait(10)
    assert sorted(job_id for job_id, _ in runner.runs) == [11, 12]
    assert queue.pending_count() == 0 and queue.serializer.rejections.count == 0


def test_each_kind_is_still_sent_under_its_own_name(
    queue: huey.Huey, processor: WorkflowProcessor
) -> None:
    tasks = register_tasks(queue, processor)
    for task, name in (
        (tasks.execute_workflow, EXECUTE_WORKFLOW),
        (tasks.execute_workflow_action, EXECUTE_WORKFLOW_ACTION),
    ):
        body = json.loads(queue.serialize_task(task.s(1)))
        assert body["message"]["task"] == name
