"""Rows written straight into queue.db that are not our JSON are dropped, never executed."""

from __future__ import annotations

import json
import logging
import pickle
import sqlite3
from collections.abc import Callable
from pathlib import Path

import huey
import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import JobKind
from governance_desktop.jobs.dispatcher import HueyDispatcher
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.queue import QUEUE_NAME
from governance_desktop.jobs.tasks import register_tasks
from governance_desktop.services.dispatch import QueuedJob
from tests.helpers.waiting import wait_for
from tests.jobs.fakes import FakeRunner


class CreatesFile:
    """Unpickling this opens (creates) a file: proof that code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def insert_raw(queue_path: Path, payload: bytes) -> None:
    with sqlite3.connect(queue_path) as conn:
        conn.execute(
            "insert into task (queue, data, priority) values (?, ?, 0)", (QUEUE_NAME, payload)
        )
    conn.close()


def test_tampered_rows_are_rejected_and_never_run(
    queue: huey.Huey,
    queue_path: Path,
    tmp_path: Path,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Pickle, garbage, unknown task and wrong shape rows are logged and skipped."""
    marker = tmp_path / "pwned"
    tasks = register_tasks(queue, processor)
    good = json.loads(queue.serialize_task(tasks.execute_workflow.s(1)))
    unknown = json.loads(json.dumps(good))
    unknown["message"]["task"] = "os.system"
    wrong_shape = {"v": 1, "type": "message", "message": {"task": "EXECUTE_WORKFLOW"}}
    for payload in (
        pickle.dumps(CreatesFile(marker)),
        b"\x13\x37 not a message",
        json.dumps(unknown).encode(),
        json.dumps(wrong_shape).encode(),
    ):
        insert_raw(queue_path, payload)
    assert queue.pending_count() == 4

    with caplog.at_level(logging.WARNING, "governance_desktop.jobs"):
        consumer = consumers(queue, workers=1)
        HueyDispatcher(queue, tasks, consumer.wake).dispatch(
            [QueuedJob(99, JobKind.EXECUTE_WORKFLOW)]
        )
        consumer.start()
        assert runner.done.wait(5)
        assert consumer.stop_gracefully(5)

    assert not marker.exists()
    assert [job_id for job_id, _ in runner.runs] == [99]
    assert queue.serializer.rejections.count == 4
    assert queue.pending_count() == 0
    assert caplog.text.count("rejected queue message") == 4


def test_tampered_scheduled_row_is_rejected(
    queue: huey.Huey, queue_path: Path, tmp_path: Path
) -> None:
    """The schedule table is read through the same serializer: a pickle there never runs."""
    marker = tmp_path / "pwned"
    with sqlite3.connect(queue_path) as conn:
        conn.execute(
            "insert into schedule (queue, data, timestamp) values (?, ?, 0)",
            (QUEUE_NAME, pickle.dumps(CreatesFile(marker))),
        )
    conn.close()
    assert queue.read_schedule() == []
    assert not marker.exists()
    assert queue.serializer.rejections.count == 1
    assert wait_for(lambda: queue.scheduled_count() == 0)


def test_message_for_a_job_that_does_not_exist_changes_nothing(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A well-formed message naming no job: the real runner logs it, the monitor counts it."""
    from sqlalchemy import func, select

    from governance_desktop.app import attach_queue
    from governance_desktop.store.models import AuditEvent, Job, WorkflowExecution

    def counts() -> tuple[int, ...]:
        with ctx.db.reading() as session:
            return tuple(
                int(session.scalar(select(func.count()).select_from(m)) or 0)
                for m in (Job, WorkflowExecution, AuditEvent)
            )

    before = counts()
    runtime = attach_queue(ctx, workers=1)
    try:
        assert runtime.tasks is not None
        message = runtime.huey.serialize_task(runtime.tasks.execute_workflow.s(424242))
        runtime.huey.storage.enqueue(message)  # raw bytes into queue.db or Redis alike
        with caplog.at_level(logging.WARNING, "governance_desktop"):
            runtime.start()
            assert wait_for(lambda: runtime.rejections.count == 1)
    finally:
        runtime.close()
    assert "message for unknown job 424242 ignored" in caplog.text
    assert "424242, which does not exist" in runtime.rejections.recent()[-1].reason
    assert counts() == before  # (the queue may hold periodic tasks the consumer scheduled)
