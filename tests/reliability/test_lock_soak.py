"""Lock soak: a GUI-shaped writer and reader, the embedded consumer and a 4-worker process.

For GOVERNANCE_SOAK_SECONDS (default 150) one thread moves and edits policies and answers
approvals the way the window's writer thread does, one thread polls the job monitor's reads,
the in-process consumer (as in the window) and a separate `worker --workers 4` process run the
jobs. No GUI-side call may fail ("database is locked" or anything else; the one refusal a
person could meet, a text edit raced by the workflow that submits the policy for approval, is
counted apart), and after a `worker --burst` drain every job must have succeeded: retries are
allowed, failures are not.
The summary line (`pytest -s`) gives the counts and the longest GUI-side waits; the lines after
it say where the waits went: the write-lock wait (BEGIN IMMEDIATE) of each GUI write, and how
long the transactions of both processes held the lock (wall and on-CPU time, first statement).
GOVERNANCE_SOAK_PAUSE (default 0.05 s) is the writer's mean pause between calls.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from governance_desktop.app import AppContext, attach_queue
from governance_desktop.store.models import Job
from tests.helpers.processes import start_worker
from tests.reliability.soak_support import (
    LockProbe,
    MonitorReader,
    Timings,
    Writer,
    build_data,
    percentile,
)

pytestmark = pytest.mark.sqlite_only(
    "SQLite's single-writer lock (team-mode writers: the team soak)"
)

SECONDS = float(os.environ.get("GOVERNANCE_SOAK_SECONDS", "150"))
PAUSE = float(os.environ.get("GOVERNANCE_SOAK_PAUSE", "0.05"))  # between the writer's calls
LOCKED = "database is locked"
WARM_UP = 10.0  # seconds in which the worker process starts (imports, cold statement caches)


def end_process(proc: subprocess.Popen[bytes], timeout: float, terminate: bool = False) -> int:
    """Its exit code: after SIGTERM if `terminate`; killed (and -9 returned) after `timeout`."""
    if terminate and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -9


def worker_stderr(data_dir: Path, tail: int = 2000) -> str:
    return (data_dir / "logs" / "worker-stderr.log").read_text(errors="replace")[-tail:]


def count_in_logs(data_dir: Path, text: str) -> dict[str, int]:
    """How often `text` occurs in each file under data_dir/logs (rotated ones too)."""
    found = {}
    for path in sorted((data_dir / "logs").glob("*.log*")):
        found[path.name] = path.read_text(errors="replace").count(text)
    return found


def job_figures(ctx: AppContext) -> tuple[dict[str, int], int, int]:
    """Jobs per state, jobs that needed more than one attempt, and all extra attempts."""
    with ctx.db.reading() as session:
        states = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
        retried = session.scalar(select(func.count()).where(Job.attempts > 1)) or 0
        extra = session.scalar(select(func.sum(Job.attempts - 1)).where(Job.attempts > 1)) or 0
    return {str(k): int(v) for k, v in states.items()}, int(retried), int(extra)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _report(
    timings: Timings,
    elapsed: float,
    states: dict[str, int],
    retried: int,
    extra_attempts: int,
    data_dir: Path,
) -> None:
    """The summary line and where the waits came from (shown by `pytest -s`)."""
    locked_in_logs = count_in_logs(data_dir, LOCKED)
    writes, reads = timings.waits("write"), timings.waits("read")
    moves, edits = timings.count("write", "change_status"), timings.count("write", "update")
    approvals = timings.count("write", "approve")
    print(
        f"\nlock soak: {elapsed:.0f} s, status changes {moves}, edits {edits}, "
        f"approvals {approvals}, reads {len(reads)}, jobs run {sum(states.values())} {states}, "
        f"jobs retried {retried} (extra attempts {extra_attempts}), "
        f"'{LOCKED}' in logs {sum(locked_in_logs.values())} {locked_in_logs}, "
        f"GUI errors {len(timings.errors)}, raced edits refused {len(timings.refusals)}, "
        f"longest wait write {_ms(writes[-1] if writes else 0)} ms / "
        f"read {_ms(reads[-1] if reads else 0)} ms, "
        f"p99 write {_ms(percentile(writes, 99))} ms / read {_ms(percentile(reads, 99))} ms, "
        f"p50 write {_ms(percentile(writes, 50))} ms / read {_ms(percentile(reads, 50))} ms"
    )
    first = min(c.started for c in timings.calls)
    print(
        "slowest GUI-side calls: "
        + ", ".join(
            f"{c.kind} {c.name} {_ms(c.seconds)} ms (lock wait {_ms(c.lock_wait)}, "
            f"commit {_ms(c.commit)}) at +{c.started - first:.1f} s"
            for c in timings.slowest()
        )
    )
    warm = sorted(
        c.seconds for c in timings.calls if c.kind == "write" and c.started > WARM_UP + first
    )
    lock = sorted(c.lock_wait for c in timings.calls if c.kind == "write")
    print(
        f"GUI writes waiting in BEGIN IMMEDIATE: longest {_ms(lock[-1] if lock else 0)} ms, "
        f"p99 {_ms(percentile(lock, 99))} ms, p50 {_ms(percentile(lock, 50))} ms; "
        f"longest GUI write after the first {WARM_UP:.0f} s: {_ms(warm[-1] if warm else 0)} ms"
    )
    print(f"write lock held, this process: {timings.probe.summary()}")
    probed = data_dir / "logs" / "worker-locks.txt"  # written when the probed worker exits
    for line in probed.read_text().splitlines() if probed.exists() else ["(no summary)"]:
        print(f"write lock held, worker process: {line}")


@pytest.mark.slow
def test_gui_writer_reader_and_two_consumers_never_see_a_locked_database(
    ctx: AppContext, data_dir: Path
) -> None:
    manual, auto = build_data(ctx)
    runtime = attach_queue(ctx, background_dispatch=True)  # as the window does
    worker = start_worker(data_dir, workers=4, module="tests.reliability.soak_support")
    timings, stop = Timings(LockProbe(ctx.db.engine)), threading.Event()
    writer = Writer(ctx, manual, auto, timings, stop, PAUSE)
    reader = MonitorReader(ctx, timings, stop)
    runtime.start()  # the window's embedded consumer (settings.workers threads)
    began = time.monotonic()
    try:
        writer.start()
        reader.start()
        stop.wait(SECONDS)
    finally:
        stop.set()
        writer.join(timeout=60)
        reader.join(timeout=60)
        elapsed = time.monotonic() - began
        stopped = runtime.stop(timeout=30)
        runtime.close()
        worker_code = end_process(worker, timeout=60, terminate=True)
        timings.probe.close()
    assert not writer.is_alive() and not reader.is_alive()
    assert stopped, "the embedded consumer did not stop within 30 s"
    assert worker_code == 0, worker_stderr(data_dir)

    drain = start_worker(data_dir, "--burst", workers=4)  # what is left, then exit
    assert end_process(drain, timeout=240) == 0, worker_stderr(data_dir)

    states, retried, extra_attempts = job_figures(ctx)
    _report(timings, elapsed, states, retried, extra_attempts, data_dir)
    moves, edits = timings.count("write", "change_status"), timings.count("write", "update")
    approvals = timings.count("write", "approve")
    assert timings.errors == [], timings.errors[:5]
    assert all(r.startswith("write update: AUTO-") for r in timings.refusals), timings.refusals
    assert moves > 0 and edits > 0 and timings.waits("read")
    assert approvals > 0 or SECONDS < 60  # a short run may end before an approval step ran
    assert set(states) == {"succeeded"}, states
    assert ctx.audit.verify().ok
