"""Lists follow changes made by other processes (the CLI, a worker, another window): a timer
polls the change watermark off the GUI thread (services/change_watch.py) and announces what
moved on `bridge.changed`, exactly as a write in this window does, so every page reloads what
it shows (`Page.refresh_on`). This window's own writes were announced when they finished:
their events are not announced again (`JobEventBridge.own_writes`)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from governance_desktop.services.change_watch import ChangeScan, Watermark
from governance_desktop.services.changes import Changes
from governance_desktop.ui.context import UiContext

POLL_MS = 1000


class ChangePoll(QObject):
    """Started at once; `stop()` when the window closes. `mark`: the watermark read before
    the first page loaded (None: read it now, and changes until then are not announced)."""

    def __init__(
        self,
        ui: UiContext,
        mark: Watermark | None = None,
        parent: QObject | None = None,
        interval_ms: int = POLL_MS,
    ) -> None:
        super().__init__(parent)
        self.ui = ui
        self.calls = ui.calls(self)
        self.mark = mark
        self.polls = 0  # finished polls (tests wait on it)
        self._busy = False
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        if mark is None:
            self._busy = True
            self.calls.read(ui.app.change_watch.mark, self._marked, self._failed)

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        """One read at a time: a tick while the last poll still runs is skipped."""
        if self._busy or self.mark is None:
            return
        self._busy = True
        watch, mark = self.ui.app.change_watch, self.mark
        self.calls.read(lambda: watch.since(mark), self._scanned, self._failed)

    def _marked(self, mark: Watermark) -> None:
        self._busy = False
        self.mark = mark

    def _failed(self, _error: str) -> None:
        self._busy = False  # e.g. the database busy: the next tick asks again

    def _scanned(self, scan: ChangeScan) -> None:
        self._busy = False
        self.polls += 1
        self.mark = scan.mark
        own = self.ui.bridge.own_writes
        news = scan.unattributed
        for flag, newest in scan.by_event.items():
            # announced by a write here whose announcement followed this event's commit
            if not any(head >= newest and flag in changes for head, changes in own):
                news |= flag
        own[:] = [(head, changes) for head, changes in own if head > scan.mark.audit_id]
        if news != Changes.NONE:
            self.ui.bridge.announce(news)
