"""Python's garbage collector runs on the GUI thread only in a process with the window.

A collection in a worker thread that frees a Qt object deadlocks against the GUI thread
(docs/reliability.md, row 9). Both tests run the app in a child process with a time limit:
a hang is a failure, not a stuck test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from tests.helpers.actors import ME
from tests.helpers.demo import seed

CHILD = Path(__file__).with_name("gc_child.py")


def run_child(*args: str, timeout: float) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        proc = subprocess.run(
            [sys.executable, str(CHILD), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the window's process hung for {timeout:.0f} s (gc_child.py {args[0]})")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_worker_thread_allocations_never_collect_qt_garbage_off_the_gui_thread(
    data_dir: Path,
) -> None:
    """The hang's recipe: Qt objects in cycles die on the GUI thread, another thread
    allocates past the threshold, the GUI thread builds widgets. Every collection, and every
    Qt object it frees, must be on the GUI thread."""
    result = run_child("hazard", str(data_dir), timeout=90)
    assert result["other"] == 0, result
    assert result["freed_other"] == 0, result
    assert int(result["gui"]) > 0 and int(result["freed_gui"]) > 0, result  # it did collect


@pytest.mark.slow
def test_real_window_under_work_collects_only_on_the_gui_thread(data_dir: Path) -> None:
    """30 s of the real window (`run_gui`, embedded worker): status changes through its
    writer start workflows whose steps run on the worker's threads, page switches read on the
    pool. `gc.callbacks` sees every collection; none may run off the GUI thread."""
    seed(data_dir)
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        for n in range(20):
            ctx.policies.add(ME, f"GC-{n:03d}", f"Collector check {n}")
    finally:
        ctx.close()
    result = run_child("window", str(data_dir), "30", timeout=240)
    assert result["other"] == 0, result
    assert int(result["gui"]) > 0, result
    assert int(result["changes"]) >= 50 and result["failed"] == 0, result
    assert int(result["pages"]) >= 10, result


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((700, 0, 0), None),  # at the threshold: Python would not collect yet
        ((701, 0, 0), 0),
        ((701, 11, 0), 1),
        ((701, 11, 11), 2),
        ((701, 5, 50), 0),  # the old generation is only looked at with the middle one
        ((0, 50, 50), None),
    ],
)
def test_due_generation_follows_pythons_rule(
    counts: tuple[int, int, int], expected: int | None
) -> None:
    from governance_desktop.ui.gc_guard import due_generation

    assert due_generation(counts, (700, 10, 10)) == expected
