"""What a GUI test must not leave running: threads (a Huey worker or scheduler, the app's
named daemon threads job-dispatch, RunningMarks and auto-backup), busy thread pools (the writer
and reader pools of ui/background.py), running QThreads and active QTimers."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QThreadPool, QTimer
from shiboken6 import Shiboken


def assert_nothing_left(before: set[threading.Thread], wait: float = 5.0) -> None:
    """Fail naming each thread, pool, QThread or QTimer still running `wait` seconds after the
    test (threads in `before` were there when it began)."""
    app = QCoreApplication.instance()
    assert app is not None
    deadline = time.monotonic() + wait
    while True:
        # Widgets qtbot closed are deleted only when their DeferredDelete events run.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        left = threads_left(before) + qt_work_left(app.thread())
        if not left or time.monotonic() > deadline:
            break
        app.processEvents()
        time.sleep(0.05)
    assert not left, f"left running after the test: {left}"


def threads_left(before: set[threading.Thread]) -> list[str]:
    """Python threads started during the test and still alive, daemon or not (a thread Qt
    made and Python only saw is a _DummyThread: Qt's pools are checked by qt_work_left)."""
    return [
        f"thread {t.name}"
        for t in set(threading.enumerate()) - before
        if t.is_alive() and not isinstance(t, threading._DummyThread)
    ]


def qt_work_left(main: QThread) -> list[str]:
    """Active QTimers, running QThreads and busy QThreadPools among live Qt objects."""
    left = []
    for obj in Shiboken.getAllValidWrappers():
        if isinstance(obj, QTimer) and obj.isActive():
            left.append(f"QTimer {qt_name(obj)} every {obj.interval()} ms")
        elif isinstance(obj, QThread) and obj.isRunning() and obj is not main:
            left.append(f"QThread {qt_name(obj)}")
        elif isinstance(obj, QThreadPool) and obj.activeThreadCount():
            left.append(f"QThreadPool {qt_name(obj)} ({obj.activeThreadCount()} busy)")
    return left


def qt_name(obj: QObject) -> str:
    """objectName, or the parent chain's names and classes when it has none."""
    if obj.objectName():
        return repr(obj.objectName())
    owners = []
    parent = obj.parent()
    while parent is not None:
        owners.append(parent.objectName() or type(parent).__name__)
        parent = parent.parent()
    return f"(unnamed, in {' < '.join(owners) or 'no parent'})"
