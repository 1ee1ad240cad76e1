"""Monitor scale: the job monitor over 10^4, 10^5 and 10^6 job rows (issue 6, part 5).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.monitor [--quick] [--runs 3]

For each size a data dir is built once (the app creates the schema and the demo data, then
the job rows go in with one ``executemany``), and each run is a fresh subprocess so memory
starts clean. A run measures, offscreen:

* open: `JobMonitorPage` constructed and shown until the first page of rows is in the model
  and the table has painted it (``grab()``); memory added (VmRSS before/after);
* scroll: ``scrollToBottom`` until the last rows are loaded and painted;
* filter: a state filter, a search text, and both, until the rows are shown;
* stall: the longest gap between ticks of a 1 ms GUI timer while a thread commits job rows
  and publishes 1,000 JobEvents/s on the runtime bus (new jobs queued → running → succeeded).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bench.common  # noqa: F401  (keeps the user's settings file out of the runs)

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10_000, 100_000, 1_000_000)
EXECUTIONS = 1000
#: The bench's executions are numbered after this, clear of the runs the demo itself starts.
EXECUTION_BASE = 10_000_000
EVENTS_PER_S = 1000
NEW_PER_TICK = 5  # new jobs per tick; each gives 3 events (queued, running, succeeded)
GOAL_OPEN_MS = 300.0
GOAL_MEMORY_MB = 50.0
GOAL_STALL_MS = 50.0
SEARCH = "review"  # matches two of the four demo workflows ("Annual review…", "Review kickoff")


# --- data dirs -----------------------------------------------------------------------------


def _stamp(at: datetime) -> str:
    """How UTCDateTime stores a moment in SQLite: naive UTC text."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _job_rows(size: int, now: datetime, first_id: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(size)
    start = now - timedelta(hours=2) - timedelta(seconds=size * 0.05)
    for i in range(size):
        step = i % 4
        execution = EXECUTION_BASE + (i // 4) % EXECUTIONS + 1
        kind = "EXECUTE_WORKFLOW" if step == 0 else "EXECUTE_WORKFLOW_ACTION"
        roll = rng.random()
        state, error, attempts = "succeeded", None, 1
        if roll < 0.015:
            state, error, attempts = "failed", "ValueError: no such policy status", 3
        elif roll < 0.02:
            state = "cancelled"
        enqueued = start + timedelta(seconds=i * 0.05)
        started = enqueued + timedelta(milliseconds=3)
        finished = started + timedelta(milliseconds=rng.randint(2, 40))
        yield (
            first_id + i,
            kind,
            execution,
            None if step == 0 else step - 1,
            state,
            attempts,
            1.0 if state == "succeeded" else 0.0,
            None,
            error,
            "{}",
            _stamp(enqueued),
            _stamp(started),
            _stamp(finished),
            _stamp(finished),
        )


def build_data_dir(size: int, data_dir: Path) -> Path:
    """A data dir with the demo data, `EXECUTIONS` executions and `size` job rows."""
    marker = data_dir / f"jobs-{size}.ready"
    if marker.exists():
        return data_dir
    from bench.common import bench_signer
    from governance_desktop.app import open_app
    from governance_desktop.config import load_settings
    from governance_desktop.services.users import os_username

    if data_dir.exists():  # a build that stopped half-way
        shutil.rmtree(data_dir)
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        ctx.load_demo(os_username(), bench_signer(ctx))
    finally:
        ctx.close()
    now = datetime.now(UTC)
    db = sqlite3.connect(data_dir / "governance.db")
    try:
        versions = db.execute("SELECT workflow_id, id FROM workflow_versions").fetchall()
        policies = [row[0] for row in db.execute("SELECT id FROM policies")]
        rng = random.Random(7)
        when = _stamp(now - timedelta(days=1))
        first_job = int(db.execute("SELECT max(id) FROM jobs").fetchone()[0] or 0) + 1
        with db:
            db.executemany(
                "INSERT INTO workflow_executions (id, workflow_id, workflow_version_id,"
                ' entity_type, entity_id, "trigger", input_data, status, current_step,'
                " step_count, depth, parent_execution_id, started_by, error, created_at,"
                " started_at, finished_at, updated_at) VALUES"
                " (?, ?, ?, 'policy', ?, 'on_status_change', '{}', 'completed', 3, 3, 0,"
                " NULL, 'bench', NULL, ?, ?, ?, ?)",
                [
                    (
                        EXECUTION_BASE + n,
                        *versions[n % len(versions)],
                        rng.choice(policies),
                        when,
                        when,
                        when,
                        when,
                    )
                    for n in range(1, EXECUTIONS + 1)
                ],
            )
            db.executemany(
                "INSERT INTO jobs (id, kind, execution_id, step_index, state, attempts,"
                " progress, message, error, payload, enqueued_at, started_at, finished_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _job_rows(size, now, first_job),
            )
        db.execute("ANALYZE")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    marker.touch()
    return data_dir


# --- the measuring child -------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _Stream(threading.Thread):
    """Commits job rows and publishes their JobEvents at `rate` events/s: each tick inserts
    new queued jobs, moves earlier ones to running and then to succeeded, like the engine."""

    def __init__(self, db_path: Path, bus: Any, seconds: float, rate: int = EVENTS_PER_S) -> None:
        super().__init__(name="bench-stream", daemon=True)
        self._db_path, self._bus, self._seconds, self._rate = db_path, bus, seconds, rate
        self.published = 0
        self.last_id = 0
        self.behind_ms = 0.0

    def run(self) -> None:
        from governance_desktop.jobs.bus import JobEvent

        db = sqlite3.connect(self._db_path, isolation_level=None)
        db.execute("PRAGMA busy_timeout=5000")
        db.execute("PRAGMA synchronous=FULL")  # what the app uses
        next_id = int(db.execute("SELECT max(id) FROM jobs").fetchone()[0] or 0) + 1
        queued: list[int] = []
        running: list[int] = []
        new_per_tick = NEW_PER_TICK
        tick_s = 3 * new_per_tick / self._rate  # 15 events per 15 ms tick at 1,000/s
        start = time.perf_counter()
        tick = 0
        while True:
            due = start + tick * tick_s
            now = time.perf_counter()
            if now - start >= self._seconds:
                break
            if due > now:
                time.sleep(due - now)
            else:
                self.behind_ms = max(self.behind_ms, (now - due) * 1000)
            tick += 1
            stamp = _stamp(datetime.now(UTC))
            events: list[tuple[int, str]] = []
            db.execute("BEGIN IMMEDIATE")
            finishing, running = running, []
            for job_id in finishing:
                db.execute(
                    "UPDATE jobs SET state='succeeded', progress=1.0, finished_at=?,"
                    " updated_at=? WHERE id=?",
                    (stamp, stamp, job_id),
                )
                events.append((job_id, "succeeded"))
            for job_id in queued:
                db.execute(
                    "UPDATE jobs SET state='running', attempts=1, started_at=?, updated_at=?"
                    " WHERE id=?",
                    (stamp, stamp, job_id),
                )
                running.append(job_id)
                events.append((job_id, "running"))
            queued = []
            for _ in range(new_per_tick):
                db.execute(
                    "INSERT INTO jobs (id, kind, execution_id, step_index, state, attempts,"
                    " progress, payload, enqueued_at, updated_at) VALUES"
                    " (?, 'EXECUTE_WORKFLOW_ACTION', ?, 0, 'queued', 0, 0.0, '{}', ?, ?)",
                    (next_id, EXECUTION_BASE + next_id % EXECUTIONS + 1, stamp, stamp),
                )
                queued.append(next_id)
                events.append((next_id, "queued"))
                self.last_id = next_id
                next_id += 1
            db.execute("COMMIT")
            for job_id, state in events:
                self._bus.publish(JobEvent(job_id=job_id, state=state, kind="EXECUTE_WORKFLOW"))
            self.published += len(events)
        db.close()


def child(data_dir: Path, stream_seconds: float) -> dict[str, Any]:
    """One fresh process: open, scroll, filter, stream. Returns figures in ms and MB."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QTableView

    from governance_desktop.app import attach_queue, open_app
    from governance_desktop.config import load_settings
    from governance_desktop.services.users import os_username
    from governance_desktop.ui.background import Background
    from governance_desktop.ui.bridge import JobEventBridge
    from governance_desktop.ui.context import UiContext
    from governance_desktop.ui.gc_guard import collect_on_gui_thread
    from governance_desktop.ui.launch import freeze_startup_objects
    from governance_desktop.ui.pages.jobs.page import JobMonitorPage

    app = QApplication.instance() or QApplication([])
    collect_on_gui_thread()  # what run_gui does: garbage is collected on this thread only
    ctx = open_app(load_settings(data_dir=data_dir))
    runtime = attach_queue(ctx, background_dispatch=True, embedded=True)
    runtime.start()  # the embedded worker, as in the window (it idles: no queued tasks)
    background = Background()
    bridge = JobEventBridge(runtime.bus)
    ui = UiContext(ctx, runtime, os_username(), background, bridge)

    def wait(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
        """Run the event loop (the GIL is free while it waits) until `condition` holds."""
        if condition():
            return
        loop = QEventLoop()
        poll = QTimer(interval=1)
        poll.setTimerType(Qt.TimerType.PreciseTimer)
        deadline = time.perf_counter() + timeout_s

        def check() -> None:
            if condition() or time.perf_counter() > deadline:
                loop.quit()

        poll.timeout.connect(check)
        poll.start()
        loop.exec()
        poll.stop()
        if not condition():
            raise TimeoutError("condition not met in time")

    # The window exists before anyone opens the monitor: warm up Qt's first-widget costs
    # (style, fonts, the offscreen backing store) on a small table first.
    warm = QStandardItemModel(3, 3)
    for r in range(3):
        warm.setItem(r, 0, QStandardItem("warm"))
    view = QTableView()
    view.setModel(warm)
    view.resize(400, 200)
    view.show()
    view.grab()
    view.close()
    app.processEvents()
    freeze_startup_objects()  # what run_gui does once the window is built

    out: dict[str, Any] = {}
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    page = JobMonitorPage(ui)
    page.resize(1200, 760)
    page.show()
    model, table = page.model, page.table

    def shown() -> bool:
        return not model.loading and model.rowCount() > 0 and model.row_item(0) is not None

    wait(shown)
    table.grab()
    out["open_ms"] = (time.perf_counter() - t0) * 1000
    out["rows"] = model.rowCount()
    app.processEvents()
    out["memory_mb"] = _rss_mb() - rss_before

    def bottom_loaded() -> bool:
        last = model.rowCount() - 1
        return model.row_item(last) is not None and model.row_item(last - 30) is not None

    t0 = time.perf_counter()
    table.scrollToBottom()
    app.processEvents()
    wait(bottom_loaded)
    table.grab()
    out["scroll_ms"] = (time.perf_counter() - t0) * 1000

    def filtered(set_filter: Callable[[], None]) -> tuple[float, int]:
        table.scrollToTop()
        start = time.perf_counter()
        set_filter()
        page._apply_filter()  # the search box waits COALESCE_MS for typing to stop: skip it
        wait(lambda: not model.loading and (model.rowCount() == 0 or model.row_item(0) is not None))
        table.grab()
        return (time.perf_counter() - start) * 1000, model.rowCount()

    failed_index = page.state_filter.findData("failed")
    out["filter_state_ms"], out["filter_state_rows"] = filtered(
        lambda: page.state_filter.setCurrentIndex(failed_index)
    )
    out["filter_both_ms"], out["filter_both_rows"] = filtered(lambda: page.search.setText(SEARCH))
    out["filter_search_ms"], out["filter_search_rows"] = filtered(
        lambda: page.state_filter.setCurrentIndex(0)
    )
    out["filter_clear_ms"], _ = filtered(lambda: page.search.setText(""))
    out["memory_end_mb"] = _rss_mb() - rss_before

    # Live stream: 1,000 events/s; the stall is the longest gap between 1 ms timer ticks.
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    reloads = [0]
    model.reloaded.connect(lambda: reloads.__setitem__(0, reloads[0] + 1))
    ticker = QTimer(interval=1)
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(tick)
    stream = _Stream(data_dir / "governance.db", runtime.bus, stream_seconds)
    last[0] = time.perf_counter()
    ticker.start()
    stream.start()
    wait(lambda: not stream.is_alive(), stream_seconds + 30)
    ticker.stop()
    out["stall_ms"] = max(gaps) * 1000 if gaps else 0.0
    out["stall_p99_ms"] = statistics.quantiles(gaps, n=100)[98] * 1000 if len(gaps) > 100 else 0
    out["events"] = stream.published
    out["stream_behind_ms"] = stream.behind_ms
    out["reloads"] = reloads[0]
    # The stream's last job must reach the table (through the coalesced watermark poll).
    settle = time.perf_counter()
    wait(lambda: model.newest_id() >= stream.last_id and not model.loading, 15)
    out["caught_up_ms"] = (time.perf_counter() - settle) * 1000

    page.close()
    runtime.stop(timeout=5)
    background.wait()
    bridge.close()
    runtime.close()
    ctx.close()
    return out


# --- the parent: sizes × runs, medians -----------------------------------------------------


def measure(size: int, runs: int, stream_seconds: float, cache: Path) -> list[dict[str, Any]]:
    base = cache / f"jobs-{size}"
    build_data_dir(size, base)
    samples = []
    for _ in range(runs):
        # Each run starts from the same rows: copy the built database (the stream adds rows).
        with tempfile.TemporaryDirectory(prefix="bench-monitor-") as tmp:
            run_dir = Path(tmp) / "data"
            subprocess.run(["cp", "-a", str(base), str(run_dir)], check=True)
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.monitor",
                    "--child",
                    str(run_dir),
                    "--stream",
                    str(stream_seconds),
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"monitor child failed:\n{done.stderr[-3000:]}")
            samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return samples


def summary(samples: list[dict[str, Any]], key: str) -> tuple[float, float, float]:
    values = sorted(float(s[key]) for s in samples)
    return statistics.median(values), values[0], values[-1]


def run(quick: bool) -> list[Any]:
    """Rows for bench.run: per size, each figure's median over fresh processes."""
    from bench.common import summarize

    sizes = SIZES[:1] if quick else SIZES
    runs, stream_s = (2, 2.0) if quick else (3, 5.0)
    cache = Path(tempfile.gettempdir()) / "gd-bench"
    part = "5 monitor"
    out = []
    for size in sizes:
        samples = measure(size, runs, stream_s, cache)

        def row(
            key: str,
            name: str,
            unit: str,
            goal: float | None = None,
            samples: list[dict[str, Any]] = samples,
            size: int = size,
            **kw: Any,
        ) -> Any:
            values = [float(s[key]) for s in samples]
            if goal is not None and size == SIZES[-1]:
                median = statistics.median(values)
                kw.update(goal=f"≤ {goal:g} {unit}", ratio=median / goal, passed=median <= goal)
            return summarize(part, f"{name} ({size:,} jobs)", values, unit, **kw)

        out += [
            row("open_ms", "open monitor, first rows painted", "ms", GOAL_OPEN_MS),
            row("memory_mb", "memory added by opening", "MB", GOAL_MEMORY_MB),
            row("scroll_ms", "scroll to the end, last rows painted", "ms"),
            row("filter_state_ms", "filter: state=failed", "ms"),
            row("filter_both_ms", f"filter: failed + search {SEARCH!r}", "ms"),
            row("filter_search_ms", f"filter: search {SEARCH!r} (all states)", "ms"),
            row(
                "stall_ms",
                f"longest GUI stall, {EVENTS_PER_S:,} job events/s",
                "ms",
                GOAL_STALL_MS,
                note=f"max gap of a 1 ms timer over {stream_s:g} s; rows committed at that rate",
                extra={
                    "p99_gap_ms": statistics.median(float(s["stall_p99_ms"]) for s in samples),
                    "events": [s["events"] for s in samples],
                    "caught_up_ms": [round(s["caught_up_ms"]) for s in samples],
                },
            ),
            row("memory_end_mb", "memory added after scroll + filters", "MB"),
        ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=Path)
    parser.add_argument("--stream", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=str, default="")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "gd-bench")
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.stream)), flush=True)
        os._exit(0)  # skip interpreter teardown: PySide can crash collecting Qt objects
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(SIZES)
    for size in sizes:
        samples = measure(size, args.runs, args.stream, args.cache)
        print(f"== {size:,} jobs, {len(samples)} runs")
        for key in sorted(samples[0]):
            med, low, high = summary(samples, key)
            print(f"  {key:20} {med:10.1f}   [{low:.1f} .. {high:.1f}]")


if __name__ == "__main__":
    main()
