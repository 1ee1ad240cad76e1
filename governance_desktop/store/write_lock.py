"""One queue for every writer of a SQLite database on this machine.

Threads of this process queue on a Python lock; processes queue on an OS lock on a file
beside the database (``fcntl.lockf``, blocking: a waiter wakes the moment it is free).
Without it, writers of two processes met only SQLite's busy handler, which sleeps 1, 2, 5,
10 … up to 100 ms between tries and let one process starve the other for over a second at
200 jobs/s (docs/benchmarks.md, round 5). Where no OS lock can be had (Windows, a read-only
folder) the Python lock alone is used and SQLite's busy timeout still applies.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # Windows: the in-process lock only
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class WriteLock:
    """A re-entrant lock for this process's writers that also holds the machine-wide file
    lock while any of them writes."""

    def __init__(self, path: Path | None) -> None:
        self._local = threading.RLock()
        self._depth = 0  # changed only by the thread holding _local
        self._path = path
        self._fd: int | None = None

    def _file(self) -> int | None:
        if self._fd is None and self._path is not None and fcntl is not None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:  # e.g. a read-only folder: SQLite reports the write
                log.debug("no write lock file %s (%s)", self._path, exc)
                self._path = None
        return self._fd

    def __enter__(self) -> WriteLock:
        self._local.acquire()
        try:
            self._depth += 1
            fd = self._file() if self._depth == 1 else None
            if fd is not None:
                fcntl.lockf(fd, fcntl.LOCK_EX)
        except BaseException:
            self._depth -= 1
            self._local.release()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)
        finally:
            self._local.release()

    def close(self) -> None:
        with self._local:
            if self._fd is not None and self._depth == 0:
                os.close(self._fd)
                self._fd = None
