"""Engine events → Qt signals. Bus callbacks run in worker threads; a Qt signal emitted there
is delivered to slots on the GUI thread (queued connection)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from governance_desktop.jobs.bus import EventBus, JobEvent


class JobEventBridge(QObject):
    job_event = Signal(object)  # JobEvent
    changed = Signal(str)  # "policies", "approvals", "tasks", "notifications", "workflows"…
    _wake = Signal()  # worker thread → GUI thread: events are waiting in the inbox

    def __init__(self, bus: EventBus | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = None
        self._inbox: deque[JobEvent] = deque()
        self._posted = False
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        if bus is not None:
            self._unsubscribe = bus.subscribe(self._on_event)

    def _on_event(self, event: JobEvent) -> None:
        # Worker thread: queue the event and post ONE wake-up until the GUI thread has
        # drained them, so a burst of events costs the GUI loop one queued call, not one
        # each (docs/benchmarks.md, part 5). Append first, then check: none is stranded.
        self._inbox.append(event)
        if not self._posted:
            self._posted = True
            self._wake.emit()

    def _drain(self) -> None:
        """GUI thread: re-emit every queued event, in order, as `job_event`."""
        self._posted = False
        while self._inbox:
            self.job_event.emit(self._inbox.popleft())

    def announce(self, what: str) -> None:
        """A page changed something others may show (after its write finished)."""
        QTimer.singleShot(0, lambda: self.changed.emit(what))

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
