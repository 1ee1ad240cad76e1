"""Part 1: the ceilings of the parts the engine is built from, on this machine, in this run.

* Bare Huey draining no-op tasks: a SqliteHuey with exactly the app's queue settings
  (``jobs.queue.make_huey``: its own file, WAL, ``synchronous=NORMAL``, JSON serializer), Huey's
  stock ``Consumer`` with thread workers (as many as the app's default, 2) and its stock polling.
  N tasks are enqueued first (not timed); the clock runs from ``start()`` to the last task done.
  The same drain on Huey's default ``synchronous=FULL`` is shown for reference.
* Raw SQLite commits/s of one-row transactions (``BEGIN IMMEDIATE; INSERT; COMMIT``) in WAL on
  this filesystem, at ``synchronous=FULL`` (governance.db) and ``NORMAL`` (queue.db).
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import huey

from bench.common import Result, repeat, summarize, temp_dir, wait_until
from governance_desktop.jobs.huey_seam import QuietConsumer
from governance_desktop.jobs.names import EXECUTE_WORKFLOW, TASK_NAMESPACE
from governance_desktop.jobs.queue import make_huey

PART = "1 ceilings"


def bare_drain(directory: Path, n: int, *, workers: int = 2, full_sync: bool = False) -> float:
    """Jobs/s of Huey's own consumer draining `n` pre-enqueued no-op tasks from a new file."""
    path = directory / f"bare-{time.monotonic_ns()}.db"
    if full_sync:
        queue: huey.Huey = huey.SqliteHuey("bench", filename=str(path), results=False)
    else:
        queue = make_huey(str(path))
    done = itertools.count(1)
    finished = threading.Event()

    def noop(job_id: int) -> None:
        if next(done) >= n:
            finished.set()

    # The app's message shape: our task name (the serializer's allow-list), one int argument.
    noop.__module__ = TASK_NAMESPACE
    task = queue.task(name=EXECUTE_WORKFLOW)(noop)
    for i in range(n):
        task(i)
    consumer = QuietConsumer(queue, workers=workers, worker_type="thread", periodic=False)
    start = time.perf_counter()
    consumer.start()
    if not finished.wait(120):
        raise RuntimeError(f"bare Huey drained fewer than {n} tasks in 120 s")
    elapsed = time.perf_counter() - start
    _stop(consumer)
    queue.storage.close()
    return n / elapsed


def _stop(consumer: Any) -> None:
    consumer.stop_flag.set()
    for _, thread in consumer.worker_threads:
        thread.join(5)
    consumer.scheduler.join(5)


def sqlite_commits(directory: Path, synchronous: str, n: int) -> float:
    """Commits/s of `n` one-row write transactions in WAL at the given synchronous level."""
    path = directory / f"commits-{synchronous}-{time.monotonic_ns()}.db"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("pragma journal_mode=wal")
    conn.execute(f"pragma synchronous={synchronous}")
    conn.execute("create table t (id integer primary key, v text)")
    start = time.perf_counter()
    for i in range(n):
        conn.execute("begin immediate")
        conn.execute("insert into t (v) values (?)", (f"row {i}",))
        conn.execute("commit")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def run(quick: bool) -> list[Result]:
    k = 3 if quick else 5
    n_drain = 300 if quick else 3000
    n_commits = 200 if quick else 2000
    drain_normal: list[float] = []
    drain_full: list[float] = []
    commits_full: list[float] = []
    commits_normal: list[float] = []
    with temp_dir() as tmp:
        for _ in range(k):  # interleaved, so a noisy moment hits every figure alike
            drain_normal += repeat(lambda: bare_drain(tmp, n_drain), 1)
            drain_full += repeat(lambda: bare_drain(tmp, n_drain, full_sync=True), 1)
            commits_full += repeat(lambda: sqlite_commits(tmp, "FULL", n_commits), 1)
            commits_normal += repeat(lambda: sqlite_commits(tmp, "NORMAL", n_commits), 1)
    note = f"N={n_drain} no-op tasks, 2 thread workers"
    return [
        summarize(
            PART,
            "bare Huey no-op drain (queue.db settings: NORMAL)",
            drain_normal,
            "jobs/s",
            note=note,
        ),
        summarize(
            PART, "bare Huey no-op drain (Huey default: FULL)", drain_full, "jobs/s", note=note
        ),
        summarize(
            PART,
            "raw SQLite commits, synchronous=FULL (governance.db)",
            commits_full,
            "commits/s",
            note=f"{n_commits} one-row transactions, WAL",
        ),
        summarize(
            PART,
            "raw SQLite commits, synchronous=NORMAL (queue.db)",
            commits_normal,
            "commits/s",
            note=f"{n_commits} one-row transactions, WAL",
        ),
    ]


__all__ = ["bare_drain", "run", "sqlite_commits", "wait_until"]
