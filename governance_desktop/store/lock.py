"""Who holds a data dir: every app, worker and command holds a shared lock on
``governance.lock``; `restore` needs it exclusively, so it cannot swap the database under a
running process. POSIX ``flock`` (released by the kernel when a process dies, even by SIGKILL);
on other platforms the lock is not enforced and the documented rule applies (stop them first).
"""

from __future__ import annotations

import os
from pathlib import Path

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.store.db import create_private

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "governance.lock"


class DataDirBusyError(GovernanceError):
    """Another process has the data dir open; the message names the folder."""


class DataDirLock:
    """A shared (`acquire_shared`) or exclusive (`acquire_exclusive`) hold on a data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def _open(self) -> int:
        # Made 0600 when new; an existing lock file keeps its mode (never chmod what we
        # did not just create).
        fd = create_private(self.path, os.O_RDWR)
        return fd if fd is not None else os.open(self.path, os.O_RDWR)

    def acquire_shared(self) -> None:
        """Mark the data dir in use; waits only while a restore holds it exclusively."""
        self.release()
        fd = self._open()
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise DataDirBusyError(
                    f"data folder {self.path.parent} is being restored; try again in a moment"
                ) from None
        self._fd = fd

    def acquire_exclusive(self) -> None:
        """Take the data dir for ourselves, or raise DataDirBusyError if anyone has it open."""
        self.release()
        fd = self._open()
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise DataDirBusyError(
                    f"data folder {self.path.parent} is in use by the app or a worker; "
                    "close the window and stop every worker first"
                ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
