"""Engine events → Qt signals. Bus callbacks run in worker threads; a Qt signal emitted there
is delivered to slots on the GUI thread (queued connection)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from governance_desktop.jobs.bus import EventBus, JobEvent


class JobEventBridge(QObject):
    job_event = Signal(object)  # JobEvent
    changed = Signal(str)  # "policies", "approvals", "tasks", "notifications", "workflows"…

    def __init__(self, bus: EventBus | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = None
        if bus is not None:
            self._unsubscribe = bus.subscribe(self._on_event)

    def _on_event(self, event: JobEvent) -> None:
        self.job_event.emit(event)  # worker thread → GUI thread

    def announce(self, what: str) -> None:
        """A page changed something others may show (after its write finished)."""
        QTimer.singleShot(0, lambda: self.changed.emit(what))

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
