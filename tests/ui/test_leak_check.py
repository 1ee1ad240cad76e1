"""The leak check every GUI test ends with (tests/helpers/leaks.py) names what was left running."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from tests.helpers.leaks import assert_nothing_left, qt_work_left, threads_left


def test_a_running_timer_daemon_thread_and_busy_pool_are_named(qapp: QApplication) -> None:
    """An active QTimer, a named daemon thread and a busy pool each fail the check by name;
    stopped, they pass it."""
    before = set(threading.enumerate())
    release = threading.Event()
    timer = QTimer()
    timer.setObjectName("leakyTimer")
    timer.start(1000)
    thread = threading.Thread(target=release.wait, name="leaky-thread", daemon=True)
    thread.start()
    pool = QThreadPool()
    pool.setObjectName("leakyPool")
    pool.start(lambda: release.wait(10))
    names = ("'leakyTimer'", "thread leaky-thread", "'leakyPool'")
    try:
        with pytest.raises(AssertionError) as failure:
            assert_nothing_left(before, wait=0.2)
        assert all(name in str(failure.value) for name in names), failure.value
    finally:
        timer.stop()
        release.set()
        thread.join()
        pool.waitForDone()
    # The harness's own collector timer runs until this test's teardown: look for ours only.
    left = " ".join(threads_left(before) + qt_work_left(qapp.thread()))
    assert not [name for name in names if name in left]
