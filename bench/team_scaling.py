"""Part "team_scaling": engine steps/s with 1, 2 and 3 `worker` processes on one PostgreSQL
database and one Redis queue (team mode).

Only runs when GOVERNANCE_TEST_POSTGRES (an admin URL) and GOVERNANCE_TEST_REDIS name the
team servers (`tools/team-servers start DIR; . DIR/env`); otherwise the part is skipped and
says so.

One run, as part 2 (bench/engine.py) on SQLite: a fresh database (cloned from a migrated
template made once) and a flushed Redis database; the 3-action workflow (assign,
create_task, notify) imported and N draft policies seeded; K worker processes (`python -m
governance_desktop worker`, the default 2 threads each, each in a data folder of its own) are
started and the harness waits until each consumer has logged its start; then N status
changes commit in one transaction (N executions, N first jobs, N Redis messages) and the
clock runs until 3·N action steps have succeeded (the job table, polled every 20 ms).
Every execution is then checked to be completed, and each job to have succeeded once.

Goal: 3 workers ≥ 2 × one worker's steps/s (medians, measured in the same run, the worker
counts alternating round by round so they see the same noise).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import (
    Result,
    Skipped,
    import_workflows,
    me,
    open_bench_app,
    seed_policies,
    summarize,
    temp_dir,
    three_actions,
    workflow,
)

PART = "team scaling"
STEPS = 3
POSTGRES_ENV = "GOVERNANCE_TEST_POSTGRES"
REDIS_ENV = "GOVERNANCE_TEST_REDIS"
TEMPLATE = "gd_bench_scaling_template"
#: The Redis database the part flushes and uses (the test fixture counts up from 1).
REDIS_DB = 62
ROOT = Path(__file__).resolve().parents[1]


class Servers:
    """Fresh databases from one migrated template, and the flushed Redis database."""

    def __init__(self, admin_url: str, redis_url: str) -> None:
        from sqlalchemy import create_engine

        self.admin_url = admin_url
        self.queue_url = f"{redis_url.rstrip('/')}/{REDIS_DB}"
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.made: list[str] = []
        self._sql(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self._sql(f"CREATE DATABASE {TEMPLATE}")
        from governance_desktop.store.db import Database
        from governance_desktop.store.migrate import upgrade_to_head

        db = Database(self.url(TEMPLATE))
        try:
            with tempfile.TemporaryDirectory() as folder:
                upgrade_to_head(db, Path(folder))
        finally:
            db.dispose()

    def _sql(self, statement: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(statement))

    def url(self, name: str) -> str:
        return f"{self.admin_url.rpartition('/')[0]}/{name}"

    @contextmanager
    def fresh(self) -> Iterator[tuple[str, str]]:
        import redis

        name = f"gd_bench_scaling_{os.getpid()}_{len(self.made) + 1}"
        self.made.append(name)
        self._sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        client = redis.Redis.from_url(self.queue_url)
        try:
            client.flushdb()
        finally:
            client.close()
        try:
            yield self.url(name), self.queue_url
        finally:
            self._sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        self._sql(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self.admin.dispose()


def _team_env(database_url: str, queue_url: str) -> dict[str, str]:
    return {
        "GOVERNANCE_DATABASE_URL": database_url,
        "GOVERNANCE_QUEUE_URL": queue_url,
        "GOVERNANCE_BACKUP_INTERVAL_HOURS": "0",
    }


def _start_workers(base: Path, env: dict[str, str], k: int) -> list[subprocess.Popen[bytes]]:
    procs = []
    for n in range(k):
        folder = base / f"worker-{n + 1}"
        (folder / "logs").mkdir(parents=True, exist_ok=True)
        with (folder / "logs" / "worker-stderr.log").open("ab") as log:
            procs.append(
                subprocess.Popen(
                    [
                        *(sys.executable, "-m", "governance_desktop"),
                        *("--data-dir", str(folder), "worker"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    env=env,
                    cwd=ROOT,
                )
            )
    deadline = time.monotonic() + 60
    for n, proc in enumerate(procs):
        started = base / f"worker-{n + 1}" / "logs" / "governance.log"
        while f"PID {proc.pid} at" not in (
            started.read_text(errors="replace") if started.exists() else ""
        ):
            if proc.poll() is not None or time.monotonic() > deadline:
                _stop(procs)
                raise RuntimeError(f"worker {proc.pid} did not start its consumer")
            time.sleep(0.05)
    return procs


def _cpu_times() -> tuple[int, int]:
    """The machine's (busy, total) CPU ticks since boot, from /proc/stat ((0, 0) elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def scaling_drain(servers: Servers, directory: Path, n: int, k: int) -> dict[str, float]:
    """N executions of the 3-action workflow drained by K worker processes; steps/s."""
    from sqlalchemy import func, select, text

    from governance_desktop.app import attach_queue
    from governance_desktop.domain.enums import ExecutionStatus, JobKind
    from governance_desktop.services.policy_rows import require_policy_row
    from governance_desktop.store.models import Job, WorkflowExecution

    with servers.fresh() as (database_url, queue_url):
        team = _team_env(database_url, queue_url)
        saved = {name: os.environ.get(name) for name in team}
        os.environ.update(team)
        base = directory / f"scaling-{k}-{time.monotonic_ns()}"
        ctx = open_bench_app(base / "harness")
        runtime = None
        procs: list[subprocess.Popen[bytes]] = []
        try:
            import_workflows(ctx, [workflow("Bench three actions", three_actions(me()))])
            codes = seed_policies(ctx, n)
            runtime = attach_queue(ctx)  # this process only enqueues
            procs = _start_workers(base, {**os.environ, **team}, k)

            def steps_done() -> int:
                with ctx.db.reading() as session:
                    return int(
                        session.scalar(
                            select(func.count())
                            .select_from(Job)
                            .where(
                                Job.kind == JobKind.EXECUTE_WORKFLOW_ACTION,
                                Job.state == "succeeded",
                            )
                        )
                        or 0
                    )

            def advisory_waiters() -> int:
                """Connections of this database waiting for an advisory lock (the writers'
                or the audit lock, store/db.py) right now."""
                with ctx.db.reading() as session:
                    return int(
                        session.scalar(
                            text(
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                "current_database() AND wait_event = 'advisory'"
                            )
                        )
                        or 0
                    )

            with ctx.db.transaction() as session:
                for code in codes:
                    row = require_policy_row(session, code)
                    ctx.policies.apply_status(session, row, "in_review", me())
            start = time.perf_counter()
            busy_before, total_before = _cpu_times()
            deadline = start + 60 + n * 0.2
            waiting: list[int] = []
            while steps_done() < n * STEPS:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{k} worker(s) did not finish {n} executions in time")
                waiting.append(advisory_waiters())
                time.sleep(0.02)
            elapsed = time.perf_counter() - start
            busy_after, total_after = _cpu_times()
            busy = (busy_after - busy_before) / max(1, total_after - total_before)
            with ctx.db.reading() as session:
                completed = session.scalar(
                    select(func.count())
                    .select_from(WorkflowExecution)
                    .where(WorkflowExecution.status == ExecutionStatus.COMPLETED)
                )
                jobs = session.scalar(select(func.count()).select_from(Job))
            if completed != n or jobs != n * (STEPS + 1):
                raise RuntimeError(f"{completed} of {n} executions completed, {jobs} jobs")
            return {
                "workers": k,
                "elapsed": elapsed,
                "steps_per_s": n * STEPS / elapsed,
                "load_average_1m": os.getloadavg()[0],
                # the whole machine's CPU busy share during the drain (all users' work)
                "machine_cpu_busy": busy,
                # mean connections queued on an advisory lock while draining
                "writer_lock_waiters": sum(waiting) / max(1, len(waiting)),
            }
        finally:
            _stop(procs)
            if runtime is not None:
                runtime.close()
            ctx.close()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def run(quick: bool) -> list[Result]:
    admin_url, redis_url = os.environ.get(POSTGRES_ENV), os.environ.get(REDIS_ENV)
    if not admin_url or not redis_url:
        raise Skipped(f"needs {POSTGRES_ENV} and {REDIS_ENV} (tools/team-servers)")
    # N=1,000: a run's fixed costs (the first pops, the last poll) stay small beside it
    n, rounds = (40, 1) if quick else (1000, 2)
    runs: dict[int, list[dict[str, float]]] = {1: [], 2: [], 3: []}
    servers = Servers(admin_url, redis_url)
    try:
        with temp_dir() as tmp:
            for _ in range(rounds):  # alternate: each count sees the same noise
                for k in runs:
                    runs[k].append(scaling_drain(servers, tmp, n, k))
    finally:
        servers.close()
    results = [
        summarize(
            PART,
            f"steps/s, {k} worker process{'es' if k > 1 else ''}, N={n:,}",
            [r["steps_per_s"] for r in rs],
            "steps/s",
            extra={"runs": rs},
        )
        for k, rs in runs.items()
    ]
    for result, rs in zip(results, runs.values(), strict=True):
        busy = sorted(r["machine_cpu_busy"] for r in rs)
        waiters = sorted(r["writer_lock_waiters"] for r in rs)
        result.note = (
            f"machine CPU busy {busy[len(busy) // 2]:.0%}, "
            f"{waiters[len(waiters) // 2]:.1f} connections waiting on an advisory lock "
            "(writers', audit; mean) while draining"
        )
    one, three = results[0].median, results[2].median
    ratio = three / one
    results.append(
        Result(
            part=PART,
            name="3 workers ÷ 1 worker, steps/s",
            median=ratio,
            low=min(r["steps_per_s"] for r in runs[3]) / max(r["steps_per_s"] for r in runs[1]),
            high=max(r["steps_per_s"] for r in runs[3]) / min(r["steps_per_s"] for r in runs[1]),
            unit="×",
            n=rounds,
            goal="3 workers ≥ 2 × 1 worker",
            ratio=ratio,
            passed=ratio >= 2.0,
            note=f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} after the "
            f"runs); 2 workers ÷ 1 = {results[1].median / one:.2f}",
        )
    )
    return results


def main() -> None:
    """``python -m bench.team_scaling [--quick]``: this part alone, printed."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    try:
        results = run(args.quick)
    except Skipped as exc:
        print(f"team_scaling skipped: {exc}")
        return
    for r in results:
        print(f"{r.name}: {r.median:,.2f} {r.unit} ({r.low:,.2f}–{r.high:,.2f}) {r.note}")


if __name__ == "__main__":
    main()
