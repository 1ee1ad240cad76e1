"""WriteLock: writers of this process and of other processes on this machine take turns."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from governance_desktop.store.write_lock import WriteLock, fcntl

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from governance_desktop.store.write_lock import WriteLock
    with WriteLock(Path(sys.argv[1])):
        print("held", flush=True)
        sys.stdin.readline()
    """
)


def _writer(lock: WriteLock, done: threading.Event) -> threading.Thread:
    def run() -> None:
        with lock:
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_re_entrant_in_one_thread_exclusive_between_threads(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db-writelock")
    done = threading.Event()
    with lock, lock:  # a transaction inside a transaction of the same thread
        thread = _writer(lock, done)
        assert not done.wait(0.2)  # the other thread waits for the outer release
    assert done.wait(10)
    thread.join(10)
    lock.close()


@pytest.mark.skipif(fcntl is None, reason="no OS file lock on this platform")
def test_another_process_waits_for_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "db-writelock"
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdin is not None
            assert holder.stdout.readline().strip() == "held"
            lock, done = WriteLock(path), threading.Event()
            thread = _writer(lock, done)
            assert not done.wait(0.3)  # blocked by the other process
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert done.wait(10)  # woken once it let go
            thread.join(10)
            lock.close()
        finally:
            holder.kill()


def test_no_lock_file_falls_back_to_the_process_lock(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "missing-folder" / "db-writelock")
    with lock:  # cannot create the file: no error, SQLite's busy timeout still applies
        pass
    assert not (tmp_path / "missing-folder").exists()
