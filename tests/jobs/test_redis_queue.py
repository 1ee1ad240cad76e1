"""The Redis queue's blocking pop (team backend): a batch never waits for the pop's timeout,
an idle worker is not busy, and a stopping consumer does not wait for the timeout either.

A batch taken from a queue holding messages issues no blocking pop at all (the server's own
command counts say so), so it cannot wait for one's timeout; before, the pop after the last
message waited its timeout (1 s) every time the queue ran dry."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import huey
import pytest

from governance_desktop.domain.enums import JobKind
from governance_desktop.jobs.batch import BatchExecutor
from governance_desktop.jobs.dispatcher import HueyDispatcher
from governance_desktop.jobs.huey_seam import EmbeddedConsumer
from governance_desktop.jobs.lifecycle import JobLifecycle
from governance_desktop.jobs.processor import WorkflowProcessor
from governance_desktop.jobs.queue import make_huey
from governance_desktop.jobs.tasks import register_tasks
from governance_desktop.services.dispatch import QueuedJob
from tests.helpers.waiting import wait_for
from tests.jobs.fakes import FakeRunner, FakeTracker

pytestmark = [pytest.mark.team_only("Redis's blocking pop"), pytest.mark.timeout(60)]

#: Longer than any test here may take: a worker that waits for the timeout fails the test.
LONG = 300


@pytest.fixture
def redis_queue(backend: str) -> Iterator[huey.Huey]:
    queue = make_huey(os.environ["GOVERNANCE_QUEUE_URL"])
    assert queue.storage.blocking  # Redis: workers wait in a blocking pop
    queue.storage.read_timeout = LONG
    # redis-py's socket timeout would cut the blocking pop short
    queue.storage.conn.connection_pool.connection_kwargs["socket_timeout"] = LONG + 10
    yield queue
    queue.storage.conn.close()


def _blocking_pops(queue: huey.Huey) -> int:
    """BRPOPs the Redis server has run so far (all clients: none other runs in these tests)."""
    stats = queue.storage.conn.info("commandstats")
    return int(stats.get("cmdstat_brpop", {}).get("calls", 0))


def _batches(queue: huey.Huey, processor: WorkflowProcessor, limit: int = 16) -> BatchExecutor:
    lifecycle = JobLifecycle(FakeTracker(), processor.bus, "w1")
    lifecycle.connect(queue)
    return BatchExecutor(queue, processor, lifecycle, limit=limit)


def test_a_batch_takes_what_is_queued_without_waiting_for_more(
    redis_queue: huey.Huey, processor: WorkflowProcessor
) -> None:
    """Three messages and room for 16: all three at once, oldest first (the pop once waited
    its timeout for a fourth)."""
    batch = _batches(redis_queue, processor)
    jobs = [QueuedJob(n, JobKind.EXECUTE_WORKFLOW) for n in (1, 2, 3)]
    HueyDispatcher(redis_queue, register_tasks(redis_queue, processor)).dispatch(jobs)
    pops = _blocking_pops(redis_queue)
    tasks = batch.take()
    assert [task.args for task in tasks] == [(1,), (2,), (3,)]
    assert batch.take() == []
    assert _blocking_pops(redis_queue) == pops


def test_a_batch_of_the_limit_leaves_the_rest_queued(
    redis_queue: huey.Huey, processor: WorkflowProcessor
) -> None:
    batch = _batches(redis_queue, processor, limit=4)
    jobs = [QueuedJob(n, JobKind.EXECUTE_WORKFLOW) for n in range(1, 7)]
    HueyDispatcher(redis_queue, register_tasks(redis_queue, processor)).dispatch(jobs)
    pops = _blocking_pops(redis_queue)
    assert [task.args[0] for task in batch.take()] == [1, 2, 3, 4]
    assert redis_queue.pending_count() == 2
    assert [task.args[0] for task in batch.take()] == [5, 6]
    assert _blocking_pops(redis_queue) == pops


def test_an_idle_worker_waiting_in_the_pop_is_not_busy_and_stops_at_once(
    redis_queue: huey.Huey,
    runner: FakeRunner,
    processor: WorkflowProcessor,
    consumers: Callable[..., EmbeddedConsumer],
) -> None:
    """Workers waiting on an empty queue are idle (`worker --burst` can exit), a message
    still wakes one, and stopping does not wait for the pop's timeout."""
    dispatcher = HueyDispatcher(redis_queue, register_tasks(redis_queue, processor))
    consumer = consumers(redis_queue, workers=2, batch=_batches(redis_queue, processor))
    consumer.start()
    assert wait_for(lambda: not consumer.busy(), timeout=10)
    runner.expected = 1
    dispatcher.dispatch([QueuedJob(7, JobKind.EXECUTE_WORKFLOW)])
    assert runner.done.wait(10)
    assert [job_id for job_id, _ in runner.runs] == [7]
    assert wait_for(lambda: not consumer.busy(), timeout=10)
    assert consumer.stop_gracefully(30), "workers still waiting in the pop"
    assert not any(thread.is_alive() for _, thread in consumer.worker_threads)
