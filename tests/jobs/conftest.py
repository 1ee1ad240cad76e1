"""Fixtures for the queue side: a real Huey on a real queue.db, and small fakes of services."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import huey
import pytest

from governance_desktop.domain.enums import JobKind, JobState
from governance_desktop.jobs.bus import EventBus
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.queue import make_huey
from governance_desktop.services.dispatch import QueuedJob


@dataclass(frozen=True)
class FakeOutcome:
    job_id: int
    kind: JobKind
    state: JobState
    execution_id: int | None = None
    execution_status: str | None = None
    error: str | None = None
    duplicate: bool = False
    unknown: bool = False


class FakeRunner:
    """Records runs; `block` makes a run wait; `fail` makes it raise (a bug escaping)."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, str]] = []
        self.done = threading.Event()
        self.expected = 1
        self.block: threading.Event | None = None
        self.started = threading.Event()
        self.fail = False
        self.batches: list[list[int]] = []
        self._lock = threading.Lock()

    def run(self, job_id: int, worker_id: str) -> FakeOutcome:
        self.started.set()
        if self.block is not None:
            self.block.wait(10)
        if self.fail:
            raise RuntimeError("boom")
        with self._lock:
            self.runs.append((job_id, worker_id))
            if len(self.runs) >= self.expected:
                self.done.set()
        return FakeOutcome(job_id, JobKind.EXECUTE_WORKFLOW, JobState.SUCCEEDED, execution_id=7)

    def run_chained(self, job_id: int, worker_id: str) -> list[FakeOutcome]:
        return [self.run(job_id, worker_id)]

    def run_batch(self, job_ids: list[int], worker_id: str) -> list[list[FakeOutcome]]:
        self.batches.append(list(job_ids))
        return [self.run_chained(job_id, worker_id) for job_id in job_ids]


@dataclass
class FakeTracker:
    running: list[tuple[int, str, float]] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)
    to_recover: list[QueuedJob] = field(default_factory=list)
    recover_calls: list[tuple[datetime, float]] = field(default_factory=list)
    owner_check: Callable[[str], bool] | None = None

    def mark_running(
        self, job_id: int, lease_owner: str, lease_seconds: float, began: object = None
    ) -> bool:
        self.running.append((job_id, lease_owner, lease_seconds))
        return True

    def mark_interrupted(self, job_id: int) -> None:
        self.interrupted.append(job_id)

    def recoverable(
        self, now: datetime, grace_seconds: float, owner_alive: Callable[[str], bool]
    ) -> list[QueuedJob]:
        self.recover_calls.append((now, grace_seconds))
        self.owner_check = owner_alive
        jobs, self.to_recover = self.to_recover, []
        return jobs


@pytest.fixture
def queue_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "queue.db"


@pytest.fixture
def queue(queue_path: Path) -> Iterator[huey.Huey]:
    instance = make_huey(str(queue_path))
    yield instance
    instance.storage.close()


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def processor(runner: FakeRunner, bus: EventBus) -> WorkflowProcessor:
    return WorkflowProcessor(runner, bus, "test-host:1:abc")


@pytest.fixture
def consumers(queue: huey.Huey) -> Iterator[Callable[..., EmbeddedConsumer]]:
    """Build consumers that are always stopped at the end of the test (before the queue's
    storage is closed)."""
    made: list[EmbeddedConsumer] = []

    def make(queue: huey.Huey, **options: Any) -> EmbeddedConsumer:
        consumer = EmbeddedConsumer(queue, **options)
        made.append(consumer)
        return consumer

    yield make
    for consumer in made:
        consumer.stop_gracefully(5.0)
