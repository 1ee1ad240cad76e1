"""Engine events and change notices → Qt signals. Bus callbacks run in worker threads; a Qt
signal emitted there is delivered to slots on the GUI thread (queued connection)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from governance_desktop.jobs.bus import EventBus, JobEvent
from governance_desktop.services.changes import Changes

#: This window's writes remembered for the change poll (the oldest dropped beyond it: at
#: worst one more reload).
OWN_WRITES_KEPT = 256


class JobEventBridge(QObject):
    job_event = Signal(object)  # JobEvent
    changed = Signal(object)  # Changes: what a write here or another process changed

    def __init__(self, bus: EventBus | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = None
        #: (audit head after the write, what it announced) of this window's writes not yet
        #: seen by the change poll
        self.own_writes: list[tuple[int, Changes]] = []
        if bus is not None:
            self._unsubscribe = bus.subscribe(self._on_event)

    def _on_event(self, event: JobEvent) -> None:
        self.job_event.emit(event)  # worker thread → GUI thread

    def announce(self, changes: Changes, own_head: int | None = None) -> None:
        """A write changed `changes`; pages that show them reload (after the write finished).

        `own_head`: a write in this window, with the newest audit event id read right after
        it: the change poll (ui/change_poll.py) does not announce those events again."""
        if own_head is not None:
            self.own_writes.append((own_head, changes))
            del self.own_writes[:-OWN_WRITES_KEPT]  # no poll running: keep a few only
        if changes:
            QTimer.singleShot(0, lambda: self.changed.emit(changes))

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
