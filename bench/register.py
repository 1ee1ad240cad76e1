"""Register scale: the Policies page over 10^5 policies, beside a bare lazy QTableView over the
same SQLite table (issue 17).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.register [--quick] [--runs 1]

A data dir is built once (the app creates the schema and the demo data, then the policies go
in with one ``executemany``); each run is a fresh subprocess so memory starts clean. Following
bench/monitor.py's method, a run measures, offscreen, for the real page (`PoliciesPage`, its
lazy SQL-sorted model) and for a bare lazy `QAbstractTableModel` (keyset pages of 500 read on
the GUI thread, ``rowCount`` from ``max(rowid)``; sorting and filtering by LIMIT/OFFSET and
LIKE, also on the GUI thread, as the simplest lazy table would):

* first paint: constructed and shown until the first rows are in and painted (``grab()``);
* the longest GUI stall (largest gap between ticks of a 1 ms timer) while sorting every
  column (both directions), while filtering (typing a few letters one by one, then clearing)
  and while scrolling to the end;
* memory added (VmRSS) by opening and after everything.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import bench.common  # noqa: F401  (keeps the user's settings file out of the runs)

ROOT = Path(__file__).resolve().parent.parent
SIZE = 100_000
QUICK_SIZE = 2_000
GOAL_OPEN_MS = 300.0
GOAL_STALL_MS = 50.0
GOAL_MEMORY_MB = 50.0
TYPED = "topic 1"
STATUSES = ("draft", "in_review", "awaiting_approval", "approved", "published", "retired")
COLUMNS = ("code", "title", "status", "owner", "assignee", "next_review_date", "updated_at")


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def build_data_dir(size: int, data_dir: Path) -> Path:
    """The demo data plus `size` policies (Core inserts, one transaction)."""
    marker = data_dir / f"policies-{size}.ready"
    if marker.exists():
        return data_dir
    from bench.common import bench_signer
    from governance_desktop.app import open_app
    from governance_desktop.config import load_settings
    from governance_desktop.services.users import os_username

    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        ctx.load_demo(os_username(), bench_signer(ctx))
    finally:
        ctx.close()
    db = sqlite3.connect(data_dir / "governance.db")
    try:
        users = [row[0] for row in db.execute("SELECT username FROM users ORDER BY username")]
        now = datetime.now(UTC)
        today = date.today()
        rows = []
        for n in range(1, size + 1):
            status = STATUSES[n % len(STATUSES)]
            review = today + timedelta(days=n % 400 - 60) if status == "published" else None
            rows.append(
                (
                    f"REG-{n:06d}",
                    f"Policy {(n * 7919) % size:06d} on topic {n % 37}",
                    "",
                    status,
                    users[n % len(users)],
                    users[(n * 3) % len(users)] if n % 4 else None,
                    365,
                    review.isoformat() if review else None,
                    1,
                    users[0],
                    _stamp(now),
                    users[0],
                    _stamp(now - timedelta(minutes=(n * 31) % 50_000)),
                )
            )
        with db:
            db.executemany(
                "INSERT INTO policies (code, title, body, status, owner, assignee,"
                " review_interval_days, next_review_date, version, created_by, created_at,"
                " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        db.execute("ANALYZE")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    marker.touch()
    return data_dir


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _bare_model(db_path: Path) -> Any:
    """The floor: a minimal lazy model read on the GUI thread (FACTS.md, "big tables")."""
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

    class Bare(QAbstractTableModel):
        PAGE = 500

        def __init__(self) -> None:
            super().__init__()
            self.db = sqlite3.connect(db_path)
            self.order = "rowid"
            self.where, self.args = "", ()
            self.pages: dict[int, list[tuple[Any, ...]]] = {}
            self.total = int(self.db.execute("SELECT max(rowid) FROM policies").fetchone()[0])

        def sort_by(self, column: int, descending: bool) -> None:
            way = "DESC" if descending else "ASC"
            self.beginResetModel()
            self.order = f"{COLUMNS[column]} {way}, rowid {way}"
            self.pages.clear()
            self.endResetModel()

        def filter_by(self, text: str) -> None:
            self.beginResetModel()
            if text:
                self.where = "WHERE code LIKE ? OR title LIKE ? OR owner LIKE ?"
                self.args = (f"%{text}%",) * 3
                query = f"SELECT count(*) FROM policies {self.where}"
                self.total = int(self.db.execute(query, self.args).fetchone()[0])
            else:
                self.where, self.args = "", ()
                self.total = int(self.db.execute("SELECT max(rowid) FROM policies").fetchone()[0])
            self.pages.clear()
            self.endResetModel()

        def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else self.total

        def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
            return 0 if parent.isValid() else len(COLUMNS)

        def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
                return None
            page, i = divmod(index.row(), self.PAGE)
            rows = self.pages.get(page)
            if rows is None:
                query = (
                    f"SELECT {', '.join(COLUMNS)} FROM policies {self.where} "
                    f"ORDER BY {self.order} LIMIT {self.PAGE} OFFSET {page * self.PAGE}"
                )
                rows = self.pages[page] = self.db.execute(query, self.args).fetchall()
                if len(self.pages) > 8:
                    self.pages.pop(next(iter(self.pages)))
            return rows[i][index.column()] if i < len(rows) else None

    return Bare()


def child(data_dir: Path) -> dict[str, Any]:
    """One fresh process: the page, then the bare view. Returns figures in ms and MB."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QTableView

    from governance_desktop.app import attach_queue, open_app
    from governance_desktop.config import load_settings
    from governance_desktop.services.users import os_username
    from governance_desktop.ui.background import Background
    from governance_desktop.ui.bridge import JobEventBridge
    from governance_desktop.ui.context import UiContext
    from governance_desktop.ui.gc_guard import collect_on_gui_thread
    from governance_desktop.ui.launch import freeze_startup_objects
    from governance_desktop.ui.pages.policies.page import PoliciesPage

    app = QApplication.instance() or QApplication([])
    collect_on_gui_thread()
    ctx = open_app(load_settings(data_dir=data_dir))
    runtime = attach_queue(ctx, background_dispatch=True, embedded=True)
    runtime.start()
    background = Background()
    bridge = JobEventBridge(runtime.bus)
    ui = UiContext(ctx, runtime, os_username(), background, bridge)

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer(interval=1)
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(tick)

    def wait(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
        loop = QEventLoop()
        poll = QTimer(interval=1)
        deadline = time.perf_counter() + timeout_s

        def check() -> None:
            if condition() or time.perf_counter() > deadline:
                loop.quit()

        poll.timeout.connect(check)
        poll.start()
        if not condition():
            loop.exec()
        poll.stop()
        if not condition():
            raise TimeoutError("condition not met in time")

    shown: list[float] = []  # how long each measured action took until `settled`

    def stall(action: Callable[[], None], settled: Callable[[], bool]) -> float:
        """The longest gap of the 1 ms timer from `action` until `settled` (and a paint)."""
        gaps.clear()
        start = last[0] = time.perf_counter()
        ticker.start()
        action()
        wait(settled)
        ticker.stop()
        tick()  # the gap up to now counts too
        shown.append((time.perf_counter() - start) * 1000)
        return max(gaps) * 1000

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
    freeze_startup_objects()

    out: dict[str, Any] = {}
    # --- the page -------------------------------------------------------------------------
    rss = _rss_mb()
    t0 = time.perf_counter()
    page = PoliciesPage(ui)
    page.resize(1200, 760)
    page.show()
    model, table = page.model, page.table

    def page_ready() -> bool:
        return not model.loading and model.rowCount() > 0 and model.row_item(0) is not None

    wait(page_ready)
    table.grab()
    out["page_open_ms"] = (time.perf_counter() - t0) * 1000
    out["rows"] = model.rowCount()
    app.processEvents()
    out["page_memory_mb"] = _rss_mb() - rss

    def page_sort(column: int, order: Qt.SortOrder) -> float:
        before = model.generation
        return stall(
            lambda: table.sortByColumn(column, order),
            lambda: model.generation > before and page_ready() and bool(table.grab()),
        )

    shown.clear()
    sorts = [
        page_sort(c, o)
        for c in range(len(COLUMNS))
        for o in (Qt.SortOrder.DescendingOrder, Qt.SortOrder.AscendingOrder)
    ]
    out["page_sort_stall_ms"] = max(sorts)
    out["page_sort_shown_ms"] = max(shown)  # click to sorted rows painted (read off-thread)

    def page_filter() -> None:
        for letter in TYPED:
            QTest.keyClick(page.filter, letter)
            app.processEvents()
        page.filter.clear()

    def filter_settled() -> bool:
        return (
            not page._typing.isActive()
            and model.filter.text == ""
            and page_ready()
            and model.rowCount() == out["rows"]
        )

    out["page_filter_stall_ms"] = stall(page_filter, filter_settled)

    def page_bottom() -> bool:
        end = model.rowCount() - 1
        loaded = model.row_item(end) is not None and model.row_item(end - 30) is not None
        return loaded and bool(table.grab())  # the last rows painted, inside the window

    out["page_scroll_stall_ms"] = stall(table.scrollToBottom, page_bottom)
    out["page_memory_end_mb"] = _rss_mb() - rss
    page.close()
    background.wait()
    app.processEvents()

    # --- the bare view --------------------------------------------------------------------
    rss = _rss_mb()
    t0 = time.perf_counter()
    bare = _bare_model(data_dir / "governance.db")
    bview = QTableView()
    bview.setModel(bare)
    bview.verticalHeader().setDefaultSectionSize(24)
    bview.resize(1200, 760)
    bview.show()
    bview.grab()
    out["bare_open_ms"] = (time.perf_counter() - t0) * 1000
    out["bare_memory_mb"] = _rss_mb() - rss

    def bare_sort(column: int, descending: bool) -> float:
        return stall(lambda: (bare.sort_by(column, descending), bview.grab()), lambda: True)

    shown.clear()
    out["bare_sort_stall_ms"] = max(
        bare_sort(c, d) for c in range(len(COLUMNS)) for d in (True, False)
    )
    out["bare_sort_shown_ms"] = max(shown)

    def bare_filter() -> None:
        for n in range(1, len(TYPED) + 1):
            bare.filter_by(TYPED[:n])
            bview.grab()
            app.processEvents()
        bare.filter_by("")
        bview.grab()

    out["bare_filter_stall_ms"] = stall(bare_filter, lambda: True)
    out["bare_scroll_stall_ms"] = stall(
        lambda: (bview.scrollToBottom(), bview.grab()), lambda: True
    )
    out["bare_memory_end_mb"] = _rss_mb() - rss

    runtime.stop(timeout=5)
    background.wait()
    bridge.close()
    runtime.close()
    ctx.close()
    return out


def measure(size: int, runs: int, cache: Path) -> list[dict[str, Any]]:
    base = cache / f"policies-{size}"
    build_data_dir(size, base)
    samples = []
    for _ in range(runs):
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        done = subprocess.run(
            [sys.executable, "-m", "bench.register", "--child", str(base)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"register child failed:\n{done.stderr[-3000:]}")
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return samples


FIGURES = (
    ("open", "first paint", "ms", GOAL_OPEN_MS),
    ("sort_stall", "longest GUI stall, sorting every column both ways", "ms", GOAL_STALL_MS),
    ("filter_stall", f"longest GUI stall, typing {TYPED!r} then clearing", "ms", GOAL_STALL_MS),
    ("scroll_stall", "longest GUI stall, scrolling to the end", "ms", GOAL_STALL_MS),
    ("memory", "memory added by opening", "MB", GOAL_MEMORY_MB),
    ("memory_end", "memory added after sort, filter, scroll", "MB", GOAL_MEMORY_MB),
)


def run(quick: bool) -> list[Any]:
    """Rows for bench.run: each figure of the page (goal) and of the bare view."""
    from bench.common import summarize

    size = QUICK_SIZE if quick else SIZE
    samples = measure(size, 1 if quick else 3, Path(tempfile.gettempdir()) / "gd-bench")
    part = "9 register"
    out = []
    for key, name, unit, goal in FIGURES:
        page = [float(s[f"page_{key}_{unit.lower()}"]) for s in samples]
        bare = [float(s[f"bare_{key}_{unit.lower()}"]) for s in samples]
        median, floor = statistics.median(page), statistics.median(bare)
        passed = median <= goal if size == SIZE else None
        out.append(
            summarize(
                part,
                f"page: {name} ({size:,} policies)",
                page,
                unit,
                goal=f"≤ {goal:g} {unit}",
                ratio=median / goal,
                passed=passed,
                extra={"bare_median": floor, "page_over_bare": median / floor if floor else None},
            )
        )
        out.append(summarize(part, f"bare lazy view: {name}", bare, unit))
    page = [float(s["page_sort_shown_ms"]) for s in samples]
    bare = [float(s["bare_sort_shown_ms"]) for s in samples]
    out.append(summarize(part, "page: slowest sort, click to rows painted", page, "ms"))
    out.append(summarize(part, "bare lazy view: slowest sort, click to rows painted", bare, "ms"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=Path)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "gd-bench")
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)), flush=True)
        os._exit(0)  # skip interpreter teardown: PySide can crash collecting Qt objects
    size = QUICK_SIZE if args.quick else args.size
    samples = measure(size, args.runs, args.cache)
    print(f"== {size:,} policies, {len(samples)} run(s)")
    print(f"{'figure':55} {'page':>9} {'bare':>9} {'page/bare':>9} {'goal':>8}")
    for key, name, unit, goal in FIGURES:
        suffix = unit.lower()
        page = statistics.median(float(s[f"page_{key}_{suffix}"]) for s in samples)
        bare = statistics.median(float(s[f"bare_{key}_{suffix}"]) for s in samples)
        ratio = f"{page / bare:.2f}" if bare > 0 else "—"
        mark = "pass" if page <= goal else "MISS"
        print(f"{name + ' (' + unit + ')':55} {page:9.1f} {bare:9.1f} {ratio:>9} {goal:6g} {mark}")
    page = statistics.median(float(s["page_sort_shown_ms"]) for s in samples)
    bare = statistics.median(float(s["bare_sort_shown_ms"]) for s in samples)
    print(f"{'slowest sort, click to rows painted (ms)':55} {page:9.1f} {bare:9.1f}")


if __name__ == "__main__":
    main()
