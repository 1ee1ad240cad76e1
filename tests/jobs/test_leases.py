"""Leases across hosts (issue 18): a worker's id names its machine, boot and PID namespace; a
heartbeat renews a running job's lease; the reconciler re-queues a dead worker's jobs within
two leases, never a live worker's, and only one reconciler works at a time.

Real components: the app's database (SQLite, or PostgreSQL with `--backends team`), real
`worker` processes killed with SIGKILL by PID, the real tracker and reconciler.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from governance_desktop.app import AppContext, attach_queue
from governance_desktop.config import load_settings
from governance_desktop.domain.enums import JobState
from governance_desktop.jobs.bus import EventBus
from governance_desktop.jobs.lifecycle import DEFAULT_LEASE_SECONDS, JobLifecycle
from governance_desktop.jobs.names import EXECUTE_WORKFLOW
from governance_desktop.jobs.reconciler import Reconciler, new_worker_id, owner_alive
from governance_desktop.services.dispatch import NullDispatcher, QueuedJob
from governance_desktop.services.job_tracker import JobTracker
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job, Notification, Task
from governance_desktop.store.types import utcnow
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.processes import ROOT, start_worker
from tests.helpers.waiting import wait_for
from tests.reliability.chaos_support import wait_until_started

#: Names this machine differently (reconciler.MACHINE_ID_ENV; spelled out so that this file
#: also runs, and fails, on the code before leases across hosts).
MACHINE_ID_ENV = "GOVERNANCE_MACHINE_ID"

WORKFLOW = {
    "schema_version": 1,
    "name": "Kickoff",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [
        {"type": "create_task", "title": "Review {policy.code}", "assignee": "alice"},
        {"type": "notify", "users": ["alice"], "title": "{policy.code} is in review"},
    ],
}


class RecordingDispatcher:
    """Records what it is given; `pause` keeps the caller (the reconciler) busy a while."""

    def __init__(self, pause: float = 0.0) -> None:
        self.sent: list[QueuedJob] = []
        self.pause = pause

    def dispatch(self, jobs: Sequence[QueuedJob]) -> None:
        time.sleep(self.pause)
        self.sent.extend(jobs)


@pytest.fixture
def app(ctx: AppContext) -> AppContext:
    ctx.users.add(ME, "alice", "Alice", "officer")  # type: ignore[arg-type]
    ctx.workflows.import_definitions(
        ME, [DefinitionSource("k.json", data=WORKFLOW)], signer=signer(ctx, ME)
    )
    return ctx


@dataclass(frozen=True)
class _Task:
    """What the lifecycle reads of a Huey task message."""

    name: str
    args: tuple[int, ...]
    eta: None = None


def _queued_jobs(app: AppContext, policies: int) -> list[int]:
    """`policies` status changes whose job rows stay queued (no queue attached)."""
    app.dispatcher.target = NullDispatcher()
    for n in range(policies):
        code = f"POL-{n:03d}"
        app.policies.add(ME, code, f"Policy {n}", owner="alice")
        app.policies.change_status(ME, code, "in_review")
    with app.db.reading() as session:
        return list(session.scalars(select(Job.id).order_by(Job.id)))


def _set_running(app: AppContext, job_id: int, owner: str, lease: timedelta) -> None:
    with app.db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                state=JobState.RUNNING,
                lease_owner=owner,
                lease_expires_at=utcnow() + lease,
            )
        )


def _state(app: AppContext, job_id: int) -> str:
    with app.db.reading() as session:
        return str(session.scalar(select(Job.state).where(Job.id == job_id)))


def _count(app: AppContext, model: type[Task] | type[Notification]) -> int:
    with app.db.reading() as session:
        return len(list(session.scalars(select(model.id))))


def test_default_lease_is_short_and_configurable(app: AppContext) -> None:
    """15 s by default (re-queued within 2 leases = 30 s); a setting changes it."""
    assert DEFAULT_LEASE_SECONDS == app.settings.lease_seconds == 15.0
    assert load_settings(data_dir=app.settings.data_dir, lease_seconds=4).lease_seconds == 4


def test_same_host_name_on_another_machine_is_not_dead(app: AppContext) -> None:
    """A worker on another machine with this machine's host name (cloned VMs called `vm`),
    whose pid means nothing here, keeps its job: only its lease can expire.

    Before: its id was ``host:pid:…`` and the pid, checked on this machine, was gone, so the
    reconciler re-queued a job still running there."""
    (job_id,) = _queued_jobs(app, 1)
    other_machine = subprocess.run(
        [
            sys.executable,
            "-c",
            "from governance_desktop.jobs.reconciler import new_worker_id;print(new_worker_id())",
        ],
        env={**os.environ, MACHINE_ID_ENV: "0123456789abcdef"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()  # that process has exited: its pid is dead here
    assert other_machine.endswith("@" + __import__("socket").gethostname()[:24])
    _set_running(app, job_id, other_machine, timedelta(seconds=60))
    reconciler = Reconciler(app.tracker, RecordingDispatcher())
    assert reconciler.run_once(grace_seconds=0) == 0
    assert _state(app, job_id) == "running"
    assert owner_alive(other_machine)


def test_long_job_that_heart_beats_is_never_requeued(app: AppContext) -> None:
    """A job running for 4 leases (1 s each) whose worker beats is left alone by a reconciler
    running every 0.2 s; once its worker stops beating it is re-queued within 2 leases.

    Before: no heartbeat; the lease given at the start (300 s by default) ran out while the
    job still ran, and the reconciler re-queued it."""
    (job_id,) = _queued_jobs(app, 1)
    worker_id = new_worker_id()
    lease = 1.0
    lifecycle = JobLifecycle(app.tracker, EventBus(), worker_id, lease_seconds=lease)
    task = _Task(EXECUTE_WORKFLOW, (job_id,))
    reconciler = Reconciler(app.tracker, RecordingDispatcher())
    lifecycle.started(task)
    try:
        assert _state(app, job_id) == "running"
        deadline = time.monotonic() + 4 * lease
        while time.monotonic() < deadline:
            assert reconciler.run_once(grace_seconds=0) == 0
            assert _state(app, job_id) == "running"
            time.sleep(0.2)
    finally:
        lifecycle.close()  # the heartbeat stops (the worker "hangs" from here)
    with app.db.reading() as session:
        owner = session.scalar(select(Job.lease_owner).where(Job.id == job_id))
    assert owner == worker_id
    stopped = time.monotonic()
    assert wait_for(lambda: reconciler.run_once(grace_seconds=0) == 1, timeout=2 * lease)
    assert time.monotonic() - stopped <= 2 * lease
    assert _state(app, job_id) == "queued"


def test_two_reconcilers_at_once_one_does_the_work(app: AppContext) -> None:
    """Two reconcilers (two processes' trackers on their own connections) started together:
    one re-enqueues the 5 jobs, the other skips. Before: both did (10 messages)."""
    jobs = _queued_jobs(app, 5)
    other_db = Database(app.db.url)
    try:
        dispatchers = [RecordingDispatcher(pause=0.5), RecordingDispatcher(pause=0.5)]
        reconcilers = [
            Reconciler(JobTracker(db), dispatcher)
            for db, dispatcher in zip((app.db, other_db), dispatchers, strict=True)
        ]
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def run(reconciler: Reconciler, after: float) -> None:
            barrier.wait()
            time.sleep(after)  # the second starts while the first dispatches
            counts.append(reconciler.run_once(grace_seconds=0))

        threads = [
            threading.Thread(target=run, args=(r, after))
            for r, after in zip(reconcilers, (0.0, 0.2), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(counts) == [0, len(jobs)]
        assert sorted(j.job_id for d in dispatchers for j in d.sent) == jobs
    finally:
        other_db.dispose()


def _wait_for_running(app: AppContext, timeout: float = 60) -> tuple[int, str]:
    found: list[tuple[int, str]] = []

    def running() -> bool:
        with app.db.reading() as session:
            row = session.execute(
                select(Job.id, Job.lease_owner).where(Job.state == JobState.RUNNING)
            ).first()
        if row is None or row[1] is None:
            return False
        found.append((int(row[0]), str(row[1])))
        return True

    assert wait_for(running, timeout=timeout), "no job started running"
    return found[-1]


def test_killed_worker_jobs_are_rerun_by_a_worker_on_another_machine(
    app: AppContext, data_dir: Path
) -> None:
    """Worker A (this machine) runs a long job; worker B runs as another machine (its own
    machine id), so it cannot check A's pid and relies on A's lease (4 s here). A is killed
    with SIGKILL: B re-queues and completes the job within 2 leases; its effects happen once.

    Before: a lease of 300 s was taken once and never renewed, and the reconciler ran once a
    minute: the job waited up to 300 s."""
    lease = 4.0
    env = {"GOVERNANCE_LEASE_SECONDS": str(lease)}
    app.policies.add(ME, "POL-001", "Policy", owner="alice")
    runtime = attach_queue(app)  # this process only enqueues
    slow = start_worker(
        data_dir, workers=1, env={**env, "LEASE_TEST_SLOW": "600"}, module="tests.jobs.lease_worker"
    )
    other: subprocess.Popen[bytes] | None = None
    try:
        wait_until_started(data_dir, slow.pid)
        app.policies.change_status(ME, "POL-001", "in_review")
        job_id, owner = _wait_for_running(app)
        assert f":{slow.pid}:" in owner
        other = start_worker(data_dir, workers=1, env={**env, MACHINE_ID_ENV: "fedcba9876543210"})
        wait_until_started(data_dir, other.pid)
        # Past B's start-up reconciles (its own, then the periodic one Huey enqueues as its
        # consumer starts), long before the next periodic one (60 s later), which must not be
        # what rescues the job.
        time.sleep(3.0)
        assert _state(app, job_id) == "running"
        os.kill(slow.pid, signal.SIGKILL)
        killed = time.monotonic()
        slow.wait(10)

        def done() -> bool:
            return [e.status for e in app.monitor.executions()] == ["completed"]

        assert wait_for(done, timeout=2 * lease + 1), f"job {job_id} not done in 2 leases"
        took = time.monotonic() - killed
        print(f"\nkill -9 → re-run and completed by another machine's worker in {took:.1f} s")
        assert took <= 2 * lease
        assert [j.state for j in app.monitor.jobs()] == ["succeeded"] * 3
        assert (_count(app, Task), _count(app, Notification)) == (1, 1)  # 0 lost, 0 doubled
    finally:
        for proc in (slow, other):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        runtime.close()


def test_team_mode_settings_ask_for_no_window_worker(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Team mode: the window is a client (workers run on a server) unless
    GOVERNANCE_WINDOW_WORKER=true; single-user mode: it runs its own worker, as before."""
    from governance_desktop.config import Settings

    for name in ("GOVERNANCE_DATABASE_URL", "GOVERNANCE_QUEUE_URL"):  # the team backend's
        monkeypatch.delenv(name, raising=False)
    team = Settings(data_dir=data_dir, database_url="postgresql+psycopg://u@db.example/gd")
    assert team.team_mode and not team.starts_window_worker
    assert Settings(data_dir=data_dir, queue_url="redis://q.example/0").team_mode
    assert Settings(
        data_dir=data_dir, queue_url="redis://q", window_worker=True
    ).starts_window_worker
    single = Settings(data_dir=data_dir)
    assert not single.team_mode and single.starts_window_worker
    assert not Settings(data_dir=data_dir, window_worker=False).starts_window_worker
    monkeypatch.setenv("GOVERNANCE_WINDOW_WORKER", "true")
    assert load_settings(data_dir=data_dir).window_worker is True
