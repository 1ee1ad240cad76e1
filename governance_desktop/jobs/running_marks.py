"""Running marks written late: a job's row says `running` only once it has run a while.

For the embedded worker, writing the mark for every job cost one write transaction each,
queued on the process's write lock behind the other worker's step: a third of a worker's
time at full load (docs/benchmarks.md, part 2). The window there hears `running` on the bus
at once; most jobs finish within milliseconds and their own transaction writes them done,
with `started_at`. A job still running after `after` seconds gets its mark and lease then,
so other processes' monitors and reconcilers see it as before.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from governance_desktop.jobs.contracts import Tracker

logger = logging.getLogger("governance_desktop.jobs")


class RunningMarks:
    """`begin` when a job starts, `end` when it is done; a daemon thread marks the slow."""

    def __init__(
        self, tracker: Tracker, worker_id: str, lease_seconds: float, after: float
    ) -> None:
        self.tracker = tracker
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.after = after
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[float, datetime]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def begin(self, job_id: int) -> None:
        with self._lock:
            self._pending[job_id] = (time.monotonic(), datetime.now(UTC))
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="RunningMarks", daemon=True)
                self._thread.start()

    def end(self, job_id: int) -> None:
        with self._lock:
            self._pending.pop(job_id, None)

    def flush(self, older_than: float) -> int:
        """Mark the jobs begun at least `older_than` seconds ago; returns how many."""
        now = time.monotonic()
        with self._lock:
            due = [(j, at) for j, (t, at) in self._pending.items() if now - t >= older_than]
            for job_id, _ in due:
                del self._pending[job_id]
        for job_id, started in due:
            try:
                self.tracker.mark_running(job_id, self.worker_id, self.lease_seconds, started)
            except Exception:
                logger.exception("could not mark job %s running", job_id)
        return len(due)

    def _loop(self) -> None:
        while not self._stop.wait(self.after / 2):
            self.flush(self.after)

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(5.0)
