"""Python's cyclic garbage collector, run on the GUI thread only.

Python collects in whichever thread allocates past the threshold. If that is a worker thread
and the garbage holds a PySide object, freeing it takes a Qt mutex and then waits for the GIL,
while the GUI thread, holding the GIL, waits for that mutex: the process hangs for good
(docs/reliability.md, "the window never hangs"). So in a process with a QApplication automatic
collection is off, and a timer on the GUI thread collects generation by generation, as Python
itself would (the pattern of calibre, pyqtgraph and anki).
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

log = logging.getLogger(__name__)

#: How often the GUI thread looks at the collector's counts. A look costs a few microseconds;
#: a young-generation collection well under a millisecond.
CHECK_INTERVAL_MS = 100


class GuiGarbageCollector(QObject):
    """Owns collection for the whole process while it runs: `gc` is disabled, and `check`
    (on a timer of the GUI thread) collects the oldest generation past its threshold."""

    def __init__(self, app: QCoreApplication, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(app)
        self.setObjectName("gui_garbage_collector")
        self.was_enabled = gc.isenabled()
        self.thresholds = gc.get_threshold()
        self.collections = [0, 0, 0]
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        gc.disable()
        if not self._timer.isActive():
            self._timer.start()

    def stop(self) -> None:
        """Collect what is left here, then hand collection back to Python (tests only)."""
        self._timer.stop()
        gc.collect()
        if self.was_enabled:
            gc.enable()

    def check(self) -> int | None:
        """Collect the generation Python would collect now; None if none is due."""
        if gc.isenabled():  # someone switched automatic collection back on: undo it
            log.warning("automatic garbage collection was re-enabled; disabling it again")
            gc.disable()
        generation = due_generation(gc.get_count(), self.thresholds)
        if generation is None:
            return None
        gc.collect(generation)
        self.collections[generation] += 1
        return generation


def due_generation(counts: tuple[int, int, int], thresholds: tuple[int, ...]) -> int | None:
    """The oldest generation whose count is past its threshold, by CPython's own rule: a
    generation is only examined when the younger one is being collected."""
    if len(thresholds) < 1 or thresholds[0] <= 0 or counts[0] <= thresholds[0]:
        return None
    generation = 0
    for older in (1, 2):
        if len(thresholds) <= older or counts[older] <= thresholds[older]:
            break
        generation = older
    return generation


def collect_on_gui_thread() -> GuiGarbageCollector:
    """Start (once per QApplication) collecting on the GUI thread only; call it on the GUI
    thread before any worker thread starts. Returns the running collector."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication first")
    if QThread.currentThread() is not app.thread():
        raise RuntimeError("collect_on_gui_thread must be called on the GUI thread")
    existing = app.findChild(GuiGarbageCollector, "gui_garbage_collector")
    if isinstance(existing, GuiGarbageCollector):
        existing.start()  # idempotent; restarts one a test stopped
        return existing
    collector = GuiGarbageCollector(app)
    collector.start()
    return collector
