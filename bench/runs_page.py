"""The Runs page over many runs: read time of the first page and of each column's sort (the
service, off the GUI thread), and how long the GUI thread is held when a sort is asked.

    python -m bench.runs_page [count]      (20,000 runs by default)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.services.run_overview import RunFilter
from governance_desktop.services.sorted_pages import Sort
from governance_desktop.ui.pages.executions.model import SORTS
from tests.helpers.demo import seed
from tests.helpers.runs import seed_runs


def _ms(fn: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times)


def main(count: int = 20_000) -> None:
    data_dir = Path(tempfile.mkdtemp()) / "data"
    seed(data_dir)
    ctx = open_app(load_settings(data_dir=data_dir))
    begin = time.perf_counter()
    seed_runs(ctx.db, count)
    print(f"seeded {count} runs in {time.perf_counter() - begin:.1f} s")
    overview, flt = ctx.run_overview, RunFilter()
    total = overview.count(flt)
    print(f"count: {_ms(lambda: overview.count(flt)):.1f} ms ({total} runs)")
    for name in SORTS:
        for descending in (False, True):
            sort = Sort(name, descending)
            first = _ms(lambda s=sort: overview.page(flt, s, 0, 300, total))
            last = _ms(lambda s=sort: overview.page(flt, s, total - 300, 300, total))
            where = _ms(lambda s=sort: overview.position(flt, s, total // 2))
            arrow = "desc" if descending else "asc "
            print(
                f"sort {name:<10} {arrow}: first page {first:6.1f} ms, last page {last:6.1f} ms,"
                f" position {where:6.1f} ms"
            )
    for state in ("stuck", "waiting"):
        f = RunFilter(state)
        took = _ms(lambda f=f: (overview.count(f), overview.page(f)))
        print(f"filter {state}: count+page {took:.1f} ms")
    ctx.close()
    gui(data_dir)


def gui(data_dir: Path) -> None:
    """The page in a real (offscreen) window: the GUI thread's time in each sort call and
    the longest pause of a 1 ms timer while the sort's snapshot is read and applied."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from governance_desktop.app import attach_queue
    from governance_desktop.ui.background import Background
    from governance_desktop.ui.bridge import JobEventBridge
    from governance_desktop.ui.context import UiContext
    from governance_desktop.ui.pages.executions.page import ExecutionsPage

    app = QApplication.instance() or QApplication([])  # kept alive until the end
    ctx = open_app(load_settings(data_dir=data_dir))
    runtime = attach_queue(ctx, background_dispatch=True, embedded=True)
    bridge = JobEventBridge(runtime.bus)
    ui = UiContext(ctx, runtime, "bench", Background(), bridge)

    def wait_shown(page: ExecutionsPage) -> tuple[float, float]:
        """Wall ms until the first page is applied, and the longest tick gap (ms)."""
        begin = last = time.perf_counter()
        gap = 0.0
        loop = QEventLoop()
        tick = QTimer(interval=1)
        tick.setTimerType(Qt.TimerType.PreciseTimer)

        def check() -> None:
            nonlocal last, gap
            now = time.perf_counter()
            gap = max(gap, now - last)
            last = now
            if not page.model.loading and page.model.row_item(0) is not None:
                loop.quit()

        tick.timeout.connect(check)
        tick.start()
        loop.exec()
        tick.stop()
        return (time.perf_counter() - begin) * 1000, gap * 1000

    begin = time.perf_counter()
    page = ExecutionsPage(ui)
    page.resize(1024, 700)
    page.show()
    built = (time.perf_counter() - begin) * 1000
    shown, gap = wait_shown(page)
    print(
        f"page built in {built:.0f} ms (GUI thread); first rows after {shown:.0f} ms, "
        f"longest GUI pause {gap:.0f} ms"
    )
    for column, name in enumerate(SORTS):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            begin = time.perf_counter()
            page.table.sortByColumn(column, order)
            call = (time.perf_counter() - begin) * 1000
            shown, gap = wait_shown(page)
            arrow = "desc" if order == Qt.SortOrder.DescendingOrder else "asc "
            print(
                f"gui sort {name:<10} {arrow}: call {call:5.1f} ms, rows after {shown:5.0f} ms,"
                f" longest GUI pause {gap:5.1f} ms"
            )
    page.close()
    ui.background.wait()
    bridge.close()
    runtime.close()
    ctx.close()
    del app


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
