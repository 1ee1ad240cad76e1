"""Re-enqueue Job rows the queue lost (Huey delivers at most once; the database is the truth)."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import uuid
from datetime import UTC, datetime

from governance_desktop.jobs.contracts import Tracker
from governance_desktop.services.dispatch import JobDispatcher

logger = logging.getLogger("governance_desktop.jobs")


_live_lock = threading.Lock()
_live_ids: set[str] = set()


def new_worker_id() -> str:
    """A lease owner id ``host:pid:uuid`` for one consumer, live until `retire_worker_id`."""
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    with _live_lock:
        _live_ids.add(worker_id)
    return worker_id


def retire_worker_id(worker_id: str) -> None:
    """Mark a consumer of this process stopped: its leases count as dead from now on."""
    with _live_lock:
        _live_ids.discard(worker_id)


def owner_alive(owner: str) -> bool:
    """Whether a lease owner may still be working. Only same-host owners can be proven dead
    (pid gone, or our own pid but not a live consumer of this process); other hosts count as
    alive and are recovered by lease expiry."""
    host, sep, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if not sep or host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():  # this process (or an earlier one with a reused pid)
        with _live_lock:
            return owner in _live_ids
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True
    return True


class Reconciler:
    """Asks the tracker which jobs need a (re)enqueue and dispatches them."""

    def __init__(
        self, tracker: Tracker, dispatcher: JobDispatcher, grace_seconds: float = 30.0
    ) -> None:
        self.tracker = tracker
        self.dispatcher = dispatcher
        self.grace_seconds = grace_seconds

    def run_once(self, now: datetime | None = None, grace_seconds: float | None = None) -> int:
        """Re-enqueue recoverable jobs; returns how many. Never raises (logs instead)."""
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        try:
            jobs = self.tracker.recoverable(now or datetime.now(UTC), grace, owner_alive)
        except Exception:
            logger.exception("reconciler could not read recoverable jobs")
            return 0
        if jobs:
            logger.info(
                "reconciler re-enqueues %d job(s): %s",
                len(jobs),
                ", ".join(str(job.job_id) for job in jobs[:20]),
            )
            self.dispatcher.dispatch(jobs)
        return len(jobs)
