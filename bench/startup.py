"""Cold start: a fresh process to the main window shown and painted, offscreen (issue 6, part 6).

    .venv/bin/python -m bench.startup [--runs 7]

Each run is a new interpreter (``python -c``) that imports the app, creates the
QApplication, calls ``create_main_window`` on a demo data dir, shows the window and exits as
soon as its first paint has finished. The time is from just before the parent starts the
process (so interpreter start-up and imports count) to the end of that paint, on the same
monotonic clock; the child also reports its own share and its peak RSS (ru_maxrss).
The OS file cache is warm after the first run: "cold" means a new process, not a cold disk.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 1.5

CHILD = r"""
import time
t_main = time.perf_counter()
import os, resource, sys
from pathlib import Path
import governance_desktop.app
t_import_app = time.perf_counter()
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
t_qapp = time.perf_counter()
from governance_desktop.ui.launch import create_main_window  # as before: in this phase

window = create_main_window(Path(sys.argv[1]), embedded_worker=True)
t_built = time.perf_counter()


def finish() -> None:
    t_shown = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"RESULT {t_main!r} {t_import_app!r} {t_qapp!r} {t_built!r} {t_shown!r} {peak_kb}",
        flush=True,
    )
    window.shutdown()
    os._exit(0)


class FirstPaint(QObject):
    done = False

    def eventFilter(self, watched, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            QTimer.singleShot(0, finish)  # after this paint (and its siblings') completes
        return False


watcher = FirstPaint()
window.centralWidget().installEventFilter(watcher)
window.show()
QTimer.singleShot(30_000, lambda: os._exit(3))
app.exec()
"""


def build_demo_dir(data_dir: Path) -> Path:
    """A data dir with the demo data, migrated and seeded once (not part of the timing)."""
    marker = data_dir / "demo.ready"
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
    marker.touch()
    return data_dir


def one_run(data_dir: Path) -> dict[str, float]:
    """Seconds from process launch to the first paint, its parts, and peak RSS in MB."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "GOVERNANCE_SETTINGS_FILE": os.devnull,
        # The window remembers its geometry in QSettings; keep the user's out of it.
        "XDG_CONFIG_HOME": str(data_dir / "xdg"),
    }
    launched = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(f"start-up child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    t_main, t_app, t_qapp, t_built, t_shown, peak_kb = (float(v) for v in lines[-1].split()[1:])
    return {
        "shown_s": t_shown - launched,
        "interpreter_s": t_main - launched,
        "import_app_s": t_app - t_main,
        "qapplication_s": t_qapp - t_app,
        "create_window_s": t_built - t_qapp,
        "show_paint_s": t_shown - t_built,
        "peak_rss_mb": peak_kb / 1024,
    }


def measure(runs: int, data_dir: Path) -> list[dict[str, float]]:
    # Seeded in a process of its own: Linux keeps a process's peak RSS across exec, so a
    # child of a parent that seeded (argon2id alone takes 64 MiB) would report the
    # parent's peak as its own.
    seed = f"import pathlib, bench.startup as s; s.build_demo_dir(pathlib.Path({str(data_dir)!r}))"
    subprocess.run([sys.executable, "-c", seed], cwd=ROOT, check=True, timeout=300)
    one_run(data_dir)  # the first run warms the OS file cache; it is not counted
    return [one_run(data_dir) for _ in range(runs)]


def run(quick: bool) -> list[Any]:
    from bench.common import summarize

    runs = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="gd-bench-startup-") as tmp:
        samples = measure(runs, Path(tmp) / "data")
    shown = [s["shown_s"] for s in samples]
    median = sorted(shown)[len(shown) // 2]
    parts = {
        key: round(sorted(s[key] for s in samples)[len(samples) // 2], 4)
        for key in samples[0]
        if key not in ("shown_s", "peak_rss_mb")
    }
    return [
        summarize(
            "6 cold start",
            "start to main window shown (offscreen)",
            shown,
            "s",
            goal=f"≤ {GOAL_S} s",
            ratio=median / GOAL_S,
            passed=median <= GOAL_S,
            note="new process to first paint; OS file cache warm",
            extra={"median_parts_s": parts},
        ),
        summarize(
            "6 cold start",
            "peak memory at window shown (ru_maxrss)",
            [s["peak_rss_mb"] for s in samples],
            "MB",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gd-bench-startup-") as tmp:
        samples = measure(args.runs, Path(tmp) / "data")
    for key in samples[0]:
        values = sorted(s[key] for s in samples)
        print(
            f"{key:18} median {values[len(values) // 2]:8.3f}"
            f"   [{values[0]:.3f} .. {values[-1]:.3f}]"
        )


if __name__ == "__main__":
    main()
