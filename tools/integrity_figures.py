"""Figures for docs/reliability.md: integrity-check costs and `backup` on a big database.

    PYTHONPATH=$PWD .venv/bin/python tools/integrity_figures.py [DIR]

Builds (once) a data dir with 1,000,000 job rows in DIR (default /tmp/gd-integrity, with
bench/monitor.py's generator, about a minute), then prints:

* the cost of the open-time check (header + schema + each table's first page) and of
  ``PRAGMA quick_check(1)``, ``quick_check`` and ``integrity_check`` (median of 3);
* the wall time of ``governance-desktop backup FILE`` (a whole CLI process) while another
  connection commits a job row every 5 ms, the commits made meanwhile, the slowest commit,
  and the copy's ``integrity_check``.
"""

from __future__ import annotations

import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.common  # noqa: E402, F401  (keeps the user's settings file out)
from bench.monitor import build_data_dir  # noqa: E402
from governance_desktop.store.integrity import quick_problem  # noqa: E402


def timed(label: str, fn: Callable[[], Any], runs: int = 3) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    shown = ", ".join(f"{t:.1f}" for t in times)
    print(f"{label}: median {statistics.median(times):.1f} ms ({shown}) -> {result}")


def pragma(path: Path, sql: str) -> Callable[[], Any]:
    def run() -> Any:
        conn = sqlite3.connect(path)
        try:
            return conn.execute(sql).fetchall()[:1]
        finally:
            conn.close()

    return run


def backup_while_writing(data: Path, copy: Path) -> None:
    copy.unlink(missing_ok=True)
    stop, commits, slowest = threading.Event(), [0], [0.0]

    def write() -> None:
        db = sqlite3.connect(data / "governance.db", isolation_level=None)
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA synchronous=FULL")
        next_id = db.execute("SELECT max(id) FROM jobs").fetchone()[0] + 1
        while not stop.is_set():
            start = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO jobs (id, kind, execution_id, state, attempts, progress, payload,"
                " enqueued_at, updated_at) VALUES (?, 'EXECUTE_WORKFLOW', 1, 'queued', 0, 0,"
                " '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                (next_id,),
            )
            db.execute("COMMIT")
            next_id += 1
            commits[0] += 1
            slowest[0] = max(slowest[0], time.perf_counter() - start)
            time.sleep(0.005)
        db.execute("DELETE FROM jobs WHERE state = 'queued' AND payload = '{}'")
        db.close()

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(1)
    before, start = commits[0], time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "governance_desktop", "--data-dir", str(data), "backup", str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    during = commits[0] - before
    stop.set()
    writer.join()
    print(
        f"backup exit {done.returncode} {done.stderr.strip()}: {wall:.2f} s wall (whole CLI "
        f"process), {during} commits meanwhile, slowest commit {slowest[0] * 1000:.0f} ms"
    )
    timed("copy integrity_check", pragma(copy, "PRAGMA integrity_check"), runs=1)


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/gd-integrity")
    data = build_data_dir(1_000_000, folder / "data")
    db = data / "governance.db"
    print(f"{db}: {db.stat().st_size / 1e6:.0f} MB")
    timed("open-time check (header, schema, table roots)", lambda: quick_problem(db), runs=5)
    for sql in ("PRAGMA quick_check(1)", "PRAGMA quick_check", "PRAGMA integrity_check"):
        timed(sql, pragma(db, sql))
    backup_while_writing(data, folder / "copy.db")


if __name__ == "__main__":
    main()
