"""A process with the app's window, for tests/ui/test_gc_thread.py (run as a script).

`python gc_child.py hazard DATA_DIR` — the hang's recipe: Qt objects in reference cycles become
garbage on the GUI thread while a background thread allocates until Python would collect there,
and the GUI thread builds widgets meanwhile.

`python gc_child.py window DATA_DIR SECONDS` — the real window (`run_gui`, embedded worker) under
work: status changes through its writer thread start workflows whose jobs run on the worker's
threads, and page switches load rows on the read pool.

Both print one JSON line: how many collections ran on the GUI thread and how many elsewhere.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QComboBox

GUI = threading.get_ident()
collections: dict[str, int] = {"gui": 0, "other": 0}
other_threads: set[str] = set()


def record(phase: str, info: dict[str, Any]) -> None:
    if phase != "start":
        return
    if threading.get_ident() == GUI:
        collections["gui"] += 1
    else:
        collections["other"] += 1
        other_threads.add(threading.current_thread().name)


class Holder:
    """Garbage with a Qt object inside: a cycle only the cyclic collector frees."""


def hazard(data_dir: Path) -> dict[str, Any]:
    from governance_desktop.ui.launch import create_main_window

    QApplication(sys.argv[:1])
    window = create_main_window(data_dir, embedded_worker=False)  # the app's own set-up
    gc.callbacks.append(record)
    freed = {"gui": 0, "other": 0}
    sink = QObject()

    def on_freed() -> None:
        freed["gui" if threading.get_ident() == GUI else "other"] += 1

    def garbage(count: int) -> None:
        for _ in range(count):
            holder = Holder()
            holder.me = holder  # type: ignore[attr-defined]
            holder.obj = QObject()  # type: ignore[attr-defined]
            holder.obj.objectNameChanged.connect(sink.deleteLater)  # type: ignore[attr-defined]
            weakref.finalize(holder, on_freed)

    stop = threading.Event()

    def allocate() -> None:  # like a read-pool thread loading rows
        while not stop.is_set():
            rows = [[i] for i in range(5_000)]
            del rows
            time.sleep(0.001)

    allocator = threading.Thread(target=allocate, name="allocator", daemon=True)
    allocator.start()
    app = QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + 4
    widgets = []
    while time.monotonic() < deadline:
        garbage(50)
        combo = QComboBox()  # connectImpl on the GUI thread, as in ConditionRow.__init__
        combo.currentIndexChanged.connect(combo.update)
        widgets.append(combo)
        app.processEvents()
    stop.set()
    allocator.join()
    for _ in range(20):  # let the GUI thread's collector catch up
        app.processEvents()
        time.sleep(0.01)
    gc.callbacks.remove(record)
    window.shutdown()
    return {**collections, "freed_gui": freed["gui"], "freed_other": freed["other"]}


def window(data_dir: Path, seconds: float) -> dict[str, Any]:
    from governance_desktop.app import attach_queue, open_app
    from governance_desktop.config import load_settings
    from governance_desktop.services.users import os_username
    from governance_desktop.ui.launch import run_gui
    from governance_desktop.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    gc.callbacks.append(record)
    ctx = open_app(load_settings(data_dir=data_dir))
    runtime = attach_queue(ctx, background_dispatch=True, embedded=True)
    codes = [f"GC-{n:03d}" for n in range(20)]
    done = {"changes": 0, "failed": 0, "pages": 0}
    turn = [0]

    def main_window() -> MainWindow | None:
        return next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None)

    def work() -> None:
        win = main_window()
        if win is None:
            return
        turn[0] += 1
        code = codes[turn[0] % len(codes)]
        policy = ctx.policies

        def move() -> object:
            status = policy.get(code).status
            return policy.change_status(
                win.ui.actor, code, "draft" if status == "in_review" else "in_review"
            )

        win.ui.background.write(
            move,
            lambda _info: done.__setitem__("changes", done["changes"] + 1),
            lambda _error: done.__setitem__("failed", done["failed"] + 1),
        )
        if turn[0] % 5 == 0:
            win.nav.setCurrentRow((turn[0] // 5) % win.nav.count())
            done["pages"] += 1

    driver = QTimer(interval=100)
    driver.timeout.connect(work)
    driver.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    run_gui(ctx, runtime, os_username())
    driver.stop()
    gc.callbacks.remove(record)
    runtime.close()
    ctx.close()
    return {**collections, **done, "other_threads": sorted(other_threads)}


if __name__ == "__main__":
    mode, folder = sys.argv[1], Path(sys.argv[2])
    result = hazard(folder) if mode == "hazard" else window(folder, float(sys.argv[3]))
    print(json.dumps(result), flush=True)
    sys.stderr.flush()
    os._exit(0)  # as cli.run() does after the window: no interpreter finalization
