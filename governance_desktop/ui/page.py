"""The base of every page: lifetime-guarded background calls, one coalescing reload timer fed
by change notices and engine events, timers that run only while the page is shown, and a
one-read-at-a-time guard.

A page says what it shows (`refresh_on`), whether engine events concern it, and whether it
reloads only while shown (live tables: notices while hidden are skipped and showing the page
reloads it); it implements `refresh()`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from governance_desktop.jobs.bus import JobEvent
from governance_desktop.services.changes import Changes
from governance_desktop.ui.context import UiContext

REFRESH_MS = 300


class Page(QWidget):
    """Subclasses call ``super().__init__(ui, ...)`` first and implement ``refresh()``."""

    def __init__(
        self,
        ui: UiContext,
        *,
        refresh_on: Changes = Changes.NONE,
        job_events: bool = False,
        while_shown: bool = False,
        refresh_ms: int = REFRESH_MS,
    ) -> None:
        super().__init__()
        self.ui = ui
        self.calls = ui.calls(self)
        self.refresh_on = refresh_on
        self.while_shown = while_shown
        self._job_events = job_events
        self._reading = self._read_again = False
        self._shown_timers: list[QTimer] = []
        self.refresh_timer = QTimer(self, singleShot=True, interval=refresh_ms)
        self.refresh_timer.timeout.connect(self.refresh)
        ui.bridge.changed.connect(self.on_changes)
        ui.bridge.job_event.connect(self.on_job_event)

    def refresh(self) -> None:
        raise NotImplementedError

    def open_with(self, view: str) -> None:
        """Show what `view` names (the home page's tiles open pages this way, e.g.
        ``status:draft`` on the policies page or ``failed`` on the job monitor); a page that
        knows no views ignores it."""

    # --- reload triggers ---------------------------------------------------------------------

    def schedule_refresh(self) -> None:
        """Coalesce: one reload per interval however many notices came (throttle, never
        postpone forever)."""
        if not self.refresh_timer.isActive():
            self.refresh_timer.start()

    def _concerned(self) -> bool:
        return not self.while_shown or self.isVisible()

    def on_changes(self, changes: Changes) -> None:
        if changes & self.refresh_on and self._concerned():
            self.schedule_refresh()

    def on_job_event(self, _event: JobEvent) -> None:
        if self._job_events and self._concerned():  # a step may have moved a status, made a task…
            self.schedule_refresh()

    # --- timers that run while the page is shown ---------------------------------------------

    def timer_while_shown(
        self, interval: int, slot: Callable[[], object], *, single_shot: bool = False
    ) -> QTimer:
        """A timer stopped whenever the page is hidden; repeating ones restart when shown."""
        timer = QTimer(self, singleShot=single_shot, interval=interval)
        timer.timeout.connect(slot)
        self._shown_timers.append(timer)
        return timer

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.while_shown:
            for timer in self._shown_timers:
                if not timer.isSingleShot():
                    timer.start()
            self.schedule_refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        if self.while_shown:
            self.refresh_timer.stop()
        for timer in self._shown_timers:
            timer.stop()
        super().hideEvent(event)

    # --- one read at a time ------------------------------------------------------------------

    def begin_read(self, *, busy: bool = False) -> bool:
        """False while a read runs (or the page is `busy` otherwise): the refresh asked for
        then runs once the read ends (`end_read`) or when the page calls `run_pending`."""
        if self._reading or busy:
            self._read_again = True
            return False
        self._reading = True
        return True

    def end_read(self, *, later: bool = False) -> None:
        """The read ended; run the refresh asked for meanwhile (`later`: through the timer)."""
        self._reading = False
        self.run_pending(later=later)

    def run_pending(self, *, later: bool = False) -> None:
        if self._read_again and not self._reading:
            self._read_again = False
            if later:
                self.schedule_refresh()
            else:
                self.refresh()

    @property
    def reading(self) -> bool:
        return self._reading
