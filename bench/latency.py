"""Part 3: start latency — from the commit of a status change to the start of the job it made.

Two homes for the worker, each on its own data dir, measured in the same run:

* **embedded**: ``QueueRuntime`` started in this process, wired as the window wires it
  (``background_dispatch=True``). Clock: ``perf_counter`` taken right after the commit, in the
  committing thread (a wrapper around the services' dispatcher: ``dispatch`` is called only
  after the commit), to the moment the runner is handed that job (``JobRunner.run_chained``,
  or ``run_batch`` for messages a worker took together; a wrapper around the runner). Both
  in this process, on one monotonic clock.
* **process**: ``governance-desktop worker`` as its own process; this process commits the
  changes and enqueues (as the CLI does). Clock: wall time right after the commit (same
  wrapper) to the job row's ``started_at``, which the worker writes when it takes the job
  (Huey's EXECUTING signal, just before the runner). One machine, one wall clock.

The workflow has one action (assign) and triggers on any status change. Idle: after 1, 10
and 60 idle seconds, one change, and the latency of its first job (EXECUTE_WORKFLOW): the
embedded change first, then the process one. Steady: changes paced at 100/s for each home in
turn, i.e. 200 jobs/s (start + step), the latency of every start job counted (the step runs
chained in its start job's transaction, with no queue message of its own); then the same at
40 jobs/s. Each steady window also reports, without a goal, commit → the first action step's
``started_at`` (written when the step begins, after the write lock is taken).

**Team mode** (PostgreSQL + Redis): when GOVERNANCE_TEST_POSTGRES and GOVERNANCE_TEST_REDIS
name servers (``tools/team-servers start DIR; . DIR/env``), the same two homes run a second
time, each on a fresh PostgreSQL database and a Redis database of its own (bench/team.py),
in the same run and the same idle and steady windows as the queue.db homes ("… on Redis"
rows). Their goal, for both homes: enqueue → start p50 ≤ 5 ms, p99 ≤ 20 ms, after each idle
and at 40 jobs/s (200 jobs/s is reported without a goal: the engine on PostgreSQL does not
keep up with it on this machine, and the backlog, not the queue, sets that latency).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.common import (
    Result,
    import_workflows,
    me,
    open_bench_app,
    percentile,
    seed_policies,
    temp_dir,
)
from bench.team import TeamStore, team_servers

PART = "3 latency"


class StampingDispatcher:
    """Records when each job was handed over (right after its commit), then forwards."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.mono: dict[int, float] = {}
        self.wall: dict[int, datetime] = {}

    def dispatch(self, jobs: Sequence[Any]) -> None:
        mono, wall = time.perf_counter(), datetime.now(UTC)
        for job in jobs:
            self.mono[job.job_id] = mono
            self.wall[job.job_id] = wall
        self.target.dispatch(jobs)


class TimedRunner:
    """Records when the runner is handed each job (first delivery), then runs it."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.started: dict[int, float] = {}

    def run(self, job_id: int, worker_id: str = "") -> Any:
        self.started.setdefault(job_id, time.perf_counter())
        return self.runner.run(job_id, worker_id)

    def run_chained(self, job_id: int, worker_id: str = "") -> Any:
        self.started.setdefault(job_id, time.perf_counter())
        return self.runner.run_chained(job_id, worker_id)

    def run_batch(self, job_ids: Sequence[int], worker_id: str = "") -> Any:
        # Handed over together, like the worker process's EXECUTING marks; when each job's
        # step really began is the "first action step" row (its started_at).
        now = time.perf_counter()
        for job_id in job_ids:
            self.started.setdefault(job_id, now)
        return self.runner.run_batch(job_ids, worker_id)


def _definition() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "Bench latency",
        "entity_type": "policy",
        "trigger": {"type": "on_status_change"},
        "actions": [{"type": "assign", "user": me()}],
    }


class Home:
    """One data dir, its policies, and how to read a job's start latency (ms)."""

    def __init__(
        self, data: Path, embedded: bool, policies: int, store: TeamStore | None = None
    ) -> None:
        from governance_desktop.jobs.lifecycle import EMBEDDED_MARK_AFTER
        from governance_desktop.jobs.runtime import QueueRuntime

        self.embedded = embedded
        self.store = store
        urls = (
            {}
            if store is None
            else {"database_url": store.database_url, "queue_url": store.queue_url}
        )
        self.ctx = open_bench_app(data, **urls)
        import_workflows(self.ctx, [_definition()])
        self.codes = seed_policies(self.ctx, policies)
        self.status = dict.fromkeys(self.codes, "draft")
        self.runtime = QueueRuntime.open(self.ctx.settings, background_dispatch=embedded)
        self.timed = TimedRunner(self.ctx.runner)
        self.runtime.attach(
            runner=self.timed,
            tracker=self.ctx.tracker,
            schedules=self.ctx.schedules,
            mark_after=EMBEDDED_MARK_AFTER if embedded else 0.0,
        )
        self.stamps = StampingDispatcher(self.runtime.dispatcher)
        self.ctx.dispatcher.target = self.stamps
        self.worker: subprocess.Popen[bytes] | None = None
        if embedded:
            self.runtime.start()
        else:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "governance_desktop", "--data-dir", str(data), "worker"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **(store.env() if store is not None else {})},
            )
        self._next = 0

    def change(self) -> list[int]:
        """Move the next policy (draft ⇄ in_review); returns the new job ids (one)."""
        code = self.codes[self._next % len(self.codes)]
        self._next += 1
        new = "in_review" if self.status[code] == "draft" else "draft"
        before = set(self.stamps.mono)
        self.ctx.policies.change_status(me(), code, new)
        self.status[code] = new
        return sorted(set(self.stamps.mono) - before)

    def latency_ms(self, job_id: int) -> float | None:
        if self.embedded:
            start = self.timed.started.get(job_id)
            return None if start is None else (start - self.stamps.mono[job_id]) * 1000
        from governance_desktop.store.models import Job

        with self.ctx.db.reading() as session:
            started = session.scalar(select(Job.started_at).where(Job.id == job_id))
        if started is None:
            return None
        delay: float = (started - self.stamps.wall[job_id]).total_seconds()
        return delay * 1000

    def wait_ms(self, job_id: int, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.latency_ms(job_id)
            if value is not None:
                return value
            time.sleep(0.001 if self.embedded else 0.005)
        raise RuntimeError(f"job {job_id} did not start within {timeout} s")

    def close(self) -> None:
        if self.worker is not None:
            self.worker.terminate()
            self.worker.wait(30)
        else:
            self.runtime.stop(10.0)
        self.runtime.close()
        self.ctx.close()
        if self.store is not None:
            self.store.drop()


def steady(
    home: Home, changes_per_s: float, seconds: float
) -> tuple[list[float], float, list[int]]:
    """Pace status changes (each creates 2 jobs: start + step); returns the latencies (ms) of
    the jobs this process dispatched in the window — each change's start job (its step runs
    chained in the start job's transaction, or is dispatched by the worker process) — the
    jobs/s the committed changes created (2 × changes/s), and those start jobs' ids."""
    total = int(changes_per_s * seconds)
    start = time.perf_counter()
    for k in range(total):
        target = start + k / changes_per_s
        pause = target - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        home.change()
    elapsed = time.perf_counter() - start
    time.sleep(0.5)
    jobs = [j for j in home.stamps.mono if home.stamps.mono[j] >= start]
    values = [home.wait_ms(j, timeout=180) for j in jobs]
    return values, 2 * total / elapsed, jobs


def first_step_ms(home: Home, start_jobs: list[int]) -> list[float]:
    """For each start job: wall time from its commit to its execution's first action step
    starting (the step job's ``started_at``; chained steps run in the start job's own
    transaction, right after it, so they have no queue message of their own). Call after
    the jobs have run."""
    from governance_desktop.store.models import Job

    out: list[float] = []
    with home.ctx.db.reading() as session:
        query = select(Job.id, Job.execution_id).where(Job.id.in_(start_jobs))
        executions = {job_id: ex for job_id, ex in session.execute(query)}
        steps = select(Job.execution_id, Job.started_at).where(
            Job.execution_id.in_(list(executions.values())), Job.step_index == 0
        )
        started = {ex: at for ex, at in session.execute(steps)}
    for job_id in start_jobs:
        at = started.get(executions.get(job_id))
        if at is not None:
            out.append((at - home.stamps.wall[job_id]).total_seconds() * 1000)
    return out


def _row(
    name: str, values: list[float], goal50: float | None, goal99: float | None, note: str
) -> list[Result]:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    rows = [
        Result(PART, f"{name} p50", p50, min(values), max(values), "ms", len(values), note=note),
        Result(PART, f"{name} p99", p99, min(values), max(values), "ms", len(values), note=note),
    ]
    if goal50 is not None:
        rows[0].goal, rows[0].ratio = f"≤ {goal50:g} ms", p50 / goal50
        rows[0].passed = p50 <= goal50
    if goal99 is not None:
        rows[1].goal, rows[1].ratio = f"≤ {goal99:g} ms", p99 / goal99
        rows[1].passed = p99 <= goal99
    return rows


def run(quick: bool) -> list[Result]:
    if quick:
        idles, samples, steady_s = [0.2], {0.2: 3}, 0.5
    else:
        idles, samples, steady_s = [1.0, 10.0, 60.0], {1.0: 20, 10.0: 5, 60.0: 3}, 10.0
    results: list[Result] = []
    with temp_dir() as tmp:
        homes = {
            "embedded": Home(tmp / "embedded", True, 50),
            "process": Home(tmp / "process", False, 50),
        }
        servers = team_servers()
        if servers is not None:
            for number, (name, embedded) in enumerate(
                (("embedded on Redis", True), ("process on Redis", False))
            ):
                store = TeamStore.create(*servers, number)
                homes[name] = Home(tmp / f"team-{number}", embedded, 50, store)
        try:
            for home in homes.values():  # warm-up; waits for the worker process to be up
                for _ in range(3):
                    for job in home.change():
                        home.wait_ms(job, timeout=60)
            for idle in idles:
                got: dict[str, list[float]] = {name: [] for name in homes}
                for _ in range(samples[idle]):
                    time.sleep(idle)
                    for name, home in homes.items():
                        jobs = home.change()
                        got[name].append(home.wait_ms(jobs[0]))
                note = f"after {idle:g} s idle, first job of each change"
                results += _row(f"embedded, idle {idle:g} s", got["embedded"], 3, 20, note)
                results += _row(f"process, idle {idle:g} s", got["process"], 250, None, note)
                for name in [n for n in homes if n not in ("embedded", "process")]:
                    results += _row(f"{name}, idle {idle:g} s", got[name], 5, 20, note)
            # 200 jobs/s is the goal's load; 40 jobs/s shows the latency at a load this
            # machine sustains (see docs/benchmarks.md: the engine tops out below 200 jobs/s).
            for jobs_per_s in (200, 40):
                for name, home in homes.items():
                    values, rate, jobs = steady(home, jobs_per_s / 2, steady_s)
                    goal50: float | None = 3.0 if name == "embedded" else 250.0
                    goal99: float | None = 20.0 if name == "embedded" else None
                    if jobs_per_s != 200:
                        goal50 = goal99 = None
                    if home.store is not None:  # Redis: the goal where the engine keeps up
                        goal50, goal99 = (5.0, 20.0) if jobs_per_s == 40 else (None, None)
                    results += _row(
                        f"{name}, steady {jobs_per_s} jobs/s",
                        values,
                        goal50,
                        goal99,
                        note=f"changes committed at {rate:.0f} jobs/s created, for {steady_s:g} s",
                    )
                    time.sleep(1 if quick else 10)  # let the backlog drain
                    results += _row(
                        f"{name}, steady {jobs_per_s} jobs/s, first action step",
                        first_step_ms(home, jobs),
                        None,
                        None,
                        note="commit → the step job's started_at (wall clock); no goal row",
                    )
        finally:
            for home in homes.values():
                home.close()
    return results
