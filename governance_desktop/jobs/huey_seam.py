"""Every place the app reaches into Huey beyond its public task API, in one module.

Huey's signals and task decorators are public and used where they are needed; what we
subclass, override or read that is private lives here and nowhere else, so a Huey upgrade
is checked against this list (tests/jobs/test_huey_contract.py proves each member is still
there with the signature recorded in `RELIES_ON`; tests/jobs/test_huey_privacy.py proves no
other module touches a Huey `_private` name).

Huey members relied on (Huey 3.5):

- ``huey.api.Huey``: ``_get_timestamp()`` (the queue's clock, `queue_now`),
  ``_revoke_keys(task)`` (`revoke_keys`); the batch path also calls the public
  ``execute(task, timestamp)``, ``ready_to_run``, ``deserialize_task`` and ``delete``.
- ``huey.consumer.Worker``: subclassed; ``__init__``, ``loop(now)`` and ``sleep()``
  overridden; attributes ``huey``, ``stop_flag``, ``delay``, ``default_delay``,
  ``max_delay``, ``backoff``.
- ``huey.consumer.Consumer``: subclassed; ``__init__`` (keywords ``workers``, ``periodic``,
  ``initial_delay``, ``max_delay``, ``worker_type``), ``start()``, ``_create_worker()`` and
  ``_set_signal_handlers()`` overridden; attributes ``huey``, ``stop_flag``,
  ``worker_threads``, ``scheduler``, ``default_delay``, ``max_delay``, ``backoff``.
- ``huey.storage.SqliteStorage``: subclassed; ``_create_connection()`` and ``pop_data(key)``
  overridden; ``sql``, ``db``, ``dequeue``, ``peek_many`` and the attributes ``name``,
  ``blocking`` used.
- ``huey.storage.RedisStorage``: subclassed (`RedisQueueStorage`); ``__init__`` extended; the
  attributes ``conn``, ``queue_key``, ``blocking`` and ``read_timeout`` used (its blocking pop,
  ``dequeue()``, is redone with a second key to wake on).
- ``huey.serializer.Serializer``: ``_serialize(data)`` and ``_deserialize(data)`` overridden
  (`MessageSerializer` turns them into our ``encode`` / ``decode``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import huey
from huey.consumer import Consumer, Worker
from huey.serializer import Serializer
from huey.storage import EmptyData, RedisStorage, SqliteStorage

from governance_desktop.jobs.rejections import RejectedMessage

try:
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # no team extra: RedisQueueStorage is never made (jobs/queue.py)
    RedisTimeoutError = TimeoutError  # type: ignore[misc,assignment]

if TYPE_CHECKING:
    from governance_desktop.jobs.lifecycle import JobLifecycle

logger = logging.getLogger("governance_desktop.jobs")


class Batches(Protocol):
    """What a worker needs of `jobs.batch.BatchExecutor` (a Protocol: batch.py imports this
    module, so this module does not import it)."""

    lifecycle: JobLifecycle

    def take(self, wait: bool = False) -> list[Any]: ...

    def execute(self, tasks: Sequence[Any], now: datetime | None = None) -> None: ...


#: Each Huey member this module relies on → its signature in the tested Huey (None: an
#: attribute, checked on a live instance).
RELIES_ON: dict[str, str | None] = {
    "huey.api.Huey._get_timestamp": "(self)",
    "huey.api.Huey._revoke_keys": "(self, task)",
    "huey.api.Huey.execute": "(self, task, timestamp=None)",
    "huey.api.Huey.ready_to_run": "(self, task, timestamp=None)",
    "huey.api.Huey.deserialize_task": "(self, data)",
    "huey.api.Huey.delete": "(self, key)",
    "huey.consumer.Worker.__init__": (
        "(self, huey, stop_flag, default_delay, max_delay, backoff, max_tasks=None)"
    ),
    "huey.consumer.Worker.loop": "(self, now=None)",
    "huey.consumer.Worker.sleep": "(self)",
    "huey.consumer.Worker.huey": None,
    "huey.consumer.Worker.stop_flag": None,
    "huey.consumer.Worker.delay": None,
    "huey.consumer.Worker.default_delay": None,
    "huey.consumer.Worker.max_delay": None,
    "huey.consumer.Worker.backoff": None,
    "huey.consumer.Consumer.__init__": (
        "(self, huey, workers=1, periodic=True, initial_delay=0.1, backoff=1.15, "
        "max_delay=10.0, scheduler_interval=1, worker_type='thread', "
        "check_worker_health=True, health_check_interval=10, flush_locks=False, "
        "extra_locks=None, max_tasks=None, shutdown_timeout=None, graceful_signal='INT')"
    ),
    "huey.consumer.Consumer.start": "(self)",
    "huey.consumer.Consumer._create_worker": "(self)",
    "huey.consumer.Consumer._set_signal_handlers": "(self)",
    "huey.consumer.Consumer.huey": None,
    "huey.consumer.Consumer.stop_flag": None,
    "huey.consumer.Consumer.worker_threads": None,
    "huey.consumer.Consumer.scheduler": None,
    "huey.consumer.Consumer.default_delay": None,
    "huey.consumer.Consumer.max_delay": None,
    "huey.consumer.Consumer.backoff": None,
    "huey.storage.SqliteStorage._create_connection": "(self)",
    "huey.storage.SqliteStorage.pop_data": "(self, key)",
    "huey.storage.SqliteStorage.sql": "(self, query, params=None, commit=False, results=False)",
    "huey.storage.SqliteStorage.db": "(self, commit=False, close=False)",
    "huey.storage.SqliteStorage.dequeue": "(self)",
    "huey.storage.SqliteStorage.peek_many": "(self, keys)",
    "huey.storage.SqliteStorage.name": None,
    "huey.storage.SqliteStorage.blocking": None,
    "huey.storage.RedisStorage.__init__": (
        "(self, name='huey', blocking=True, read_timeout=1, connection_pool=None, url=None, "
        "client_name=None, notify_result=False, notify_result_ttl=60, clean_name=True, "
        "**connection_params)"
    ),
    "huey.storage.RedisStorage.conn": None,
    "huey.storage.RedisStorage.queue_key": None,
    "huey.storage.RedisStorage.blocking": None,
    "huey.storage.RedisStorage.read_timeout": None,
    "huey.serializer.Serializer._serialize": "(self, data)",
    "huey.serializer.Serializer._deserialize": "(self, data)",
}


def queue_now(queue: huey.Huey) -> datetime:
    """The time Huey compares ETAs and expiries with (naive UTC unless ``utc=False``)."""
    now: datetime = queue._get_timestamp()
    return now


def revoke_keys(queue: huey.Huey, task: Any) -> list[str]:
    """The revoke flags that would stop `task`: its own and its task class's."""
    keys: list[str] = queue._revoke_keys(task)
    return keys


class QueueStorage(SqliteStorage):  # type: ignore[misc]
    """Huey's SQLite storage with ``synchronous=NORMAL`` (Huey offers only FULL or OFF),
    `dequeue_many` for batches, and a `pop_data` that looks before it takes the write lock."""

    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn

    def dequeue_many(self, limit: int, wait: bool = False) -> list[bytes]:
        """Up to `limit` messages in Huey's order (priority, then id), taken in one
        transaction (jobs/batch.py); like Huey's `dequeue`, a read first when empty. Never
        waits (the storage does not block: idle workers sleep until woken)."""
        if not self.sql("select 1 from task where queue = ? limit 1", (self.name,), results=True):
            return []
        with self.db(commit=True) as curs:
            curs.execute(
                "select id, data from task where queue = ? order by priority desc, id limit ?",
                (self.name, limit),
            )
            rows: list[tuple[int, bytes]] = curs.fetchall()
            if rows:
                marks = ",".join("?" * len(rows))
                curs.execute(f"delete from task where id in ({marks})", [row[0] for row in rows])
        return [data for _, data in rows]

    def pop_data(self, key: bytes) -> Any:
        # Huey pops every executed task's revoke flag; we never revoke, so the key is almost
        # never there, yet each pop was a write transaction on queue.db. A plain read first;
        # the real pop (unchanged) only when the key exists.
        if not self.sql("select 1 from kv where queue=? and key=?", (self.name, key), results=True):
            return EmptyData
        return super().pop_data(key)


class RedisQueueStorage(RedisStorage):  # type: ignore[misc]
    """Huey's Redis storage with `dequeue_many` for batches: only a worker with nothing to
    do waits in the blocking pop (BRPOP, at most ``read_timeout`` s); the rest of a batch is
    taken without waiting (one RPOP with a count, Redis ≥ 6.2), so no batch waits for the
    pop's timeout when the queue runs dry. The pop also waits on a list of this storage's
    own, `wake_key`: `release_waiters` pushes to it so that a stopping consumer's workers
    return at once rather than after ``read_timeout``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wake_key = f"{self.queue_key}.wake.{uuid.uuid4().hex}"

    def dequeue_many(self, limit: int, wait: bool = False) -> list[bytes]:
        """Up to `limit` messages in Huey's order (oldest first). With `wait` (and a
        blocking storage) an empty queue is waited on for up to ``read_timeout`` seconds,
        or until `release_waiters`."""
        if wait and self.blocking:
            first = self._wait_for_one()
            if first is None:
                return []
            return [first, *self.pop_now(limit - 1)]
        return self.pop_now(limit)

    def _wait_for_one(self) -> bytes | None:
        # Huey's dequeue() with the wake list after the queue (BRPOP serves keys in order).
        try:
            got = self.conn.brpop([self.queue_key, self.wake_key], timeout=self.read_timeout)
        except RedisTimeoutError:
            return None  # ConnectionError propagates: the worker logs it and backs off
        if got is None or got[0].decode() == self.wake_key:
            return None
        data: bytes = got[1]
        return data

    def release_waiters(self, count: int) -> None:
        """Make up to `count` workers waiting in `dequeue_many` return now (on stop)."""
        if count > 0:
            with self.conn.pipeline() as pipe:
                pipe.lpush(self.wake_key, *[b"1"] * count)
                pipe.expire(self.wake_key, 60)
                pipe.execute()

    def pop_now(self, count: int) -> list[bytes]:
        """Up to `count` messages, oldest first, without waiting. (Not ``_pop``: Huey's
        storage keeps its schedule script under that name.)"""
        if count < 1:
            return []
        taken: list[bytes] | None = self.conn.rpop(self.queue_key, count)
        return taken or []


class MessageSerializer(Serializer):  # type: ignore[misc]
    """A Huey serializer whose subclasses implement `encode` and `decode` (Huey's
    compression, if asked for, still wraps them)."""

    def _serialize(self, data: Any) -> bytes:
        return self.encode(data)

    def _deserialize(self, data: Any) -> Any:
        return self.decode(data)

    def encode(self, data: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: Any) -> Any:
        raise NotImplementedError


class QuietConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer, minus the signal handlers: the host program owns its signals."""

    def _set_signal_handlers(self) -> None:
        """Install nothing."""


class WakeableWorker(Worker):  # type: ignore[misc]
    """A thread worker whose idle sleep ends early on `wake_event`, which drops rejected
    messages without sleeping (the serializer already logged them) and, given a `batch`
    executor, takes the ready messages together (jobs/batch.py)."""

    def __init__(
        self,
        huey: huey.Huey,
        stop_flag: threading.Event,
        default_delay: float,
        max_delay: float,
        backoff: float,
        *,
        wake_event: threading.Event,
        paused: threading.Event,
        batch: Batches | None = None,
    ) -> None:
        super().__init__(huey, stop_flag, default_delay, max_delay, backoff)
        self.wake_event = wake_event
        self.paused = paused
        self.batch = batch
        self.busy = False

    def loop(self, now: datetime | None = None) -> None:
        if self.paused.is_set():  # paused: take nothing new from the queue
            self.stop_flag.wait(0.1)
            return
        self.busy = True
        try:
            tasks, idle = self._take()
            if tasks:
                self.delay = self.default_delay
                self._run(tasks, now)
        finally:
            self.busy = False
        if idle:
            self.sleep()

    def _run(self, tasks: Sequence[Any], now: datetime | None) -> None:
        if self.batch is not None:
            self.batch.execute(tasks, now)
            return
        for task in tasks:
            try:
                self.huey.execute(task, now)
            except Exception:
                logger.exception("unhandled error during execution of task %s", task.id)

    def _take(self) -> tuple[list[Any], bool]:
        """(tasks taken, whether to sleep before the next poll). On a blocking storage
        (Redis) an empty queue is waited on in a blocking pop; a worker waiting there is
        idle, not busy (`worker --burst` exits while workers wait)."""
        blocking = bool(getattr(self.huey.storage, "blocking", False))
        try:
            tasks = self._take_from_queue(wait=False)
            if not tasks and blocking:
                self.busy = False
                try:
                    tasks = self._take_from_queue(wait=True)
                finally:
                    self.busy = True
        except RejectedMessage:
            return [], False  # logged by the serializer; the row is gone, never executed
        except Exception:
            logger.exception("error reading from the queue")
            return [], True
        return tasks, not tasks and not blocking

    def _take_from_queue(self, wait: bool) -> list[Any]:
        if self.batch is not None:
            return self.batch.take(wait)
        if not wait and getattr(self.huey.storage, "blocking", False):
            return []  # Huey's own dequeue blocks: only when waiting
        task = self.huey.dequeue()
        return [] if task is None else [task]

    def sleep(self) -> None:
        self.delay = min(self.delay, self.max_delay)
        if self.wake_event.wait(self.delay):
            self.wake_event.clear()
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class EmbeddedConsumer(QuietConsumer):
    """A consumer for use inside another program: no signal handlers, thread workers,
    wakeable, batches with a `batch` executor, pausable, and `stop_gracefully(timeout)`
    with a time limit that reports the `lifecycle`'s jobs still running as interrupted
    (the batch's lifecycle unless another is given)."""

    def __init__(
        self,
        queue: huey.Huey,
        workers: int = 2,
        *,
        periodic: bool = True,
        initial_delay: float = 0.02,
        max_delay: float = 0.1,
        batch: Batches | None = None,
        lifecycle: JobLifecycle | None = None,
    ) -> None:
        self.wake_events: list[threading.Event] = []
        self.batch = batch
        if lifecycle is None and batch is not None:
            lifecycle = batch.lifecycle
        self.lifecycle = lifecycle
        self.paused = threading.Event()
        self._started = False
        super().__init__(
            queue,
            workers=workers,
            periodic=periodic,
            initial_delay=initial_delay,
            max_delay=max_delay,
            worker_type="thread",
        )

    def _create_worker(self) -> WakeableWorker:
        # Also called by Huey's health check to replace a worker: give each its own event.
        wake_event = threading.Event()
        self.wake_events.append(wake_event)
        return WakeableWorker(
            self.huey,
            self.stop_flag,
            self.default_delay,
            self.max_delay,
            self.backoff,
            wake_event=wake_event,
            paused=self.paused,
            batch=self.batch,
        )

    def start(self) -> None:
        if not self._started:
            self._started = True
            super().start()

    def wake(self) -> None:
        """Make idle workers poll the queue now (call after an enqueue commits)."""
        for event in list(self.wake_events):
            event.set()

    @property
    def started(self) -> bool:
        return self._started

    def pause(self) -> None:
        """Finish what is running, take nothing new until `resume()`."""
        self.paused.set()

    def resume(self) -> None:
        self.paused.clear()
        self.wake()

    def busy(self) -> bool:
        """Whether any worker is dequeuing or executing a task right now."""
        return any(getattr(worker, "busy", False) for worker, _ in self.worker_threads)

    def stop_gracefully(self, timeout: float) -> bool:
        """Stop taking work, let running tasks finish for up to `timeout` seconds; True if
        every thread ended. Jobs still running are reported as interrupted."""
        self.stop_flag.set()
        self.wake()
        if not self._started:
            return True
        self._release_waiters()
        deadline = time.monotonic() + timeout
        threads = [thread for _, thread in self.worker_threads] + [self.scheduler]
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        alive = [thread.name for thread in threads if thread.is_alive()]
        if alive:
            logger.warning("consumer threads still running after %.1fs: %s", timeout, alive)
            if self.lifecycle is not None:
                self.lifecycle.interrupt_in_flight()
        return not alive

    def _release_waiters(self) -> None:
        """Workers waiting in a blocking pop (Redis) return now, not after its timeout."""
        release = getattr(self.huey.storage, "release_waiters", None)
        if release is None:
            return
        try:
            release(len(self.worker_threads))
        except Exception as exc:  # the queue is unreachable: they return on the timeout
            logger.warning("could not wake the workers waiting on the queue: %s", exc)
