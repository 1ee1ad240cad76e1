"""Run service calls off the GUI thread; results come back on it through a queued signal.

Writes go through one thread (one writer at a time, like anki's collection ops); reads use a
small pool. Callbacks always run on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.services.changes import Changes

log = logging.getLogger(__name__)
Done = Callable[[Any], None]
Failed = Callable[[str], None]


class _Relay(QObject):
    finished = Signal(object, object, object)  # callback, value, error text


class _Job(QRunnable):
    def __init__(
        self, relay: _Relay, fn: Callable[[], Any], done: Done | None, failed: Failed | None
    ) -> None:
        super().__init__()
        self._relay, self._fn, self._done, self._failed = relay, fn, done, failed

    def run(self) -> None:
        try:
            value = self._fn()
        except GovernanceError as exc:
            self._relay.finished.emit(self._failed, None, str(exc))
        except Exception as exc:  # shown as one line; the traceback goes to the log
            log.exception("background call failed")
            self._relay.finished.emit(
                self._failed, None, f"unexpected failure ({type(exc).__name__}: {exc})"
            )
        else:
            self._relay.finished.emit(self._done, value, None)


class Background(QObject):
    """`read(fn, done, failed)` and `write(fn, done, failed)`; both return at once."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(2)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self.on_error: Failed | None = None  # default for calls without `failed`

    def read(
        self, fn: Callable[[], Any], done: Done | None = None, failed: Failed | None = None
    ) -> None:
        self._reads.start(_Job(self._relay, fn, done, failed or self.on_error))

    def write(
        self, fn: Callable[[], Any], done: Done | None = None, failed: Failed | None = None
    ) -> None:
        self._writes.start(_Job(self._relay, fn, done, failed or self.on_error))

    @Slot(object, object, object)
    def _deliver(
        self, callback: Callable[[Any], None] | None, value: Any, error: str | None
    ) -> None:
        if callback is None:
            return
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return  # the widget that asked is gone (page closed before the result came)
        callback(error if error is not None else value)

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until all calls finished (shutdown and tests only)."""
        return bool(self._reads.waitForDone(msecs) and self._writes.waitForDone(msecs))


class OwnedCalls:
    """`read` / `write` like Background, bound to `owner`'s lifetime: a result that arrives
    after the widget was deleted (page closed, shutdown, between tests) is dropped.

    A write that succeeds passes its `changes` to `announce` (the bridge), after `done`, with
    what `head` read on the writer thread right after it (the newest audit event id: the
    window's change poll does not announce those events again; None if `head` failed)."""

    def __init__(
        self,
        owner: QObject,
        background: Background,
        announce: Callable[[Changes, int | None], None] | None = None,
        head: Callable[[], int] | None = None,
    ) -> None:
        self._owner = owner
        self._background = background
        self._announce = announce
        self._head = head

    def _guard(self, callback: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
        if callback is None:
            return None
        owner = self._owner

        def call(value: Any) -> None:
            if shiboken6.isValid(owner):
                callback(value)

        return call

    def read(
        self, fn: Callable[[], Any], done: Done | None = None, failed: Failed | None = None
    ) -> None:
        self._background.read(fn, self._guard(done), self._guard(failed))

    def write(
        self,
        fn: Callable[[], Any],
        done: Done | None = None,
        failed: Failed | None = None,
        changes: Changes = Changes.NONE,
    ) -> None:
        announce, head = self._announce, self._head
        if changes and announce is not None:
            then, call = done, fn

            def fn_then_head() -> tuple[Any, int | None]:
                value = call()
                try:
                    return value, head() if head is not None else None
                except Exception:  # the write succeeded; the poll will announce it again
                    log.warning("could not read the audit head after a write", exc_info=True)
                    return value, None

            def done_and_announce(result: tuple[Any, int | None]) -> None:
                value, seen = result
                if then is not None:
                    then(value)
                announce(changes, seen)

            fn, done = fn_then_head, done_and_announce
        self._background.write(fn, self._guard(done), self._guard(failed))
