"""Engine events and change notices → Qt signals. Bus callbacks run in worker threads; a Qt
signal emitted there is delivered to slots on the GUI thread (queued connection)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from governance_desktop.jobs.bus import EventBus, JobEvent
from governance_desktop.services.changes import Changes


class JobEventBridge(QObject):
    job_event = Signal(object)  # JobEvent
    changed = Signal(object)  # Changes: what a write in this window changed

    def __init__(self, bus: EventBus | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = None
        if bus is not None:
            self._unsubscribe = bus.subscribe(self._on_event)

    def _on_event(self, event: JobEvent) -> None:
        self.job_event.emit(event)  # worker thread → GUI thread

    def announce(self, changes: Changes) -> None:
        """A write changed `changes`; pages that show them reload (after the write finished)."""
        if changes:
            QTimer.singleShot(0, lambda: self.changed.emit(changes))

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
