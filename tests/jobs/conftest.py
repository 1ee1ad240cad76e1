"""Fixtures for the queue side: a real Huey on a real queue.db, and small fakes of services
(tests/jobs/fakes.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import huey
import pytest

from governance_desktop.jobs.bus import EventBus
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.queue import make_huey
from tests.jobs.fakes import FakeRunner


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
