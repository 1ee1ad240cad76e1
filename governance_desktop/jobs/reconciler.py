"""Re-enqueue Job rows the queue lost (Huey delivers at most once; the database is the truth),
and who holds a running job's lease.

A worker's id names its machine, boot and process, never only its host name: generic host
names (``vm``, ``localhost``, cloned images) repeat across machines::

    <machine>:<boot>:<pidns>:<pid>:<tag>@<host>

machine: the first 16 hex digits of /etc/machine-id (or /var/lib/dbus/machine-id; containers
cloned from one image share it: set ``GOVERNANCE_MACHINE_ID`` per container); boot: of
/proc/sys/kernel/random/boot_id; pidns: the process's PID namespace (/proc/self/ns/pid), so
two containers on one kernel are told apart; tag: random, one per consumer; host: for people
only. Where the machine or boot id cannot be read (Windows, macOS) they are ``-``: such
owners are never proven dead by their pid, only by their lease running out (renewed by a
heartbeat while the job runs, `lifecycle.LeaseHeartbeat`), which is also how workers on
other machines are recovered.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from governance_desktop.jobs.contracts import Tracker
from governance_desktop.services.dispatch import JobDispatcher

logger = logging.getLogger("governance_desktop.jobs")

MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
PID_NAMESPACE_LINK = "/proc/self/ns/pid"
MACHINE_ID_ENV = "GOVERNANCE_MACHINE_ID"
UNKNOWN = "-"
_HEX = re.compile(r"[^0-9a-f]")
_OWNER = re.compile(
    r"^(?P<machine>[0-9a-f]{1,16}|-):(?P<boot>[0-9a-f]{1,16}|-):(?P<pidns>\d+|-)"
    r":(?P<pid>\d+):(?P<tag>[0-9a-f]+)(@.*)?$"
)


@dataclass(frozen=True)
class Identity:
    """Where a worker runs: machine, boot and PID namespace (``-`` when unknown)."""

    machine: str
    boot: str
    pidns: str

    @property
    def provable(self) -> bool:
        """Whether a pid on this machine can be checked: every part is known."""
        return UNKNOWN not in (self.machine, self.boot, self.pidns)


def _hex_id(text: str) -> str:
    return _HEX.sub("", text.strip().lower())[:16] or UNKNOWN


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""


@cache
def local_identity() -> Identity:
    """This process's machine, boot and PID namespace, read once."""
    machine = _hex_id(os.environ.get(MACHINE_ID_ENV, ""))
    for path in MACHINE_ID_FILES:
        if machine != UNKNOWN:
            break
        machine = _hex_id(_read(path))
    boot = _hex_id(_read(BOOT_ID_FILE))
    try:
        pidns = re.sub(r"\D", "", os.readlink(PID_NAMESPACE_LINK)) or UNKNOWN
    except (OSError, AttributeError):
        pidns = UNKNOWN
    return Identity(machine, boot, pidns)


@dataclass(frozen=True)
class Owner:
    """A parsed lease owner id (see the module's docstring)."""

    identity: Identity
    pid: int
    tag: str

    @classmethod
    def parse(cls, owner: str) -> Owner | None:
        found = _OWNER.match(owner)
        if found is None:
            return None
        identity = Identity(found["machine"], found["boot"], found["pidns"])
        return cls(identity, int(found["pid"]), found["tag"])


_live_lock = threading.Lock()
_live_ids: set[str] = set()


def new_worker_id() -> str:
    """A lease owner id for one consumer, live until `retire_worker_id` (≤ 100 characters)."""
    me = local_identity()
    host = re.sub(r"\s", "", socket.gethostname())[:24]
    worker_id = f"{me.machine}:{me.boot}:{me.pidns}:{os.getpid()}:{uuid.uuid4().hex[:12]}@{host}"
    with _live_lock:
        _live_ids.add(worker_id)
    return worker_id


def retire_worker_id(worker_id: str) -> None:
    """Mark a consumer of this process stopped: its leases count as dead from now on."""
    with _live_lock:
        _live_ids.discard(worker_id)


def owner_alive(owner: str) -> bool:
    """Whether a lease owner may still be working. Only an owner on this machine, in this
    PID namespace, can be proven dead: booted before this boot, its pid gone, or our own
    pid but not a live consumer of this process. Any other owner (another machine, an
    unknown identity, an id from an older version) counts as alive: its lease decides."""
    parsed = Owner.parse(owner)
    me = local_identity()
    if parsed is None or not me.provable or not parsed.identity.provable:
        return True
    theirs = parsed.identity
    if (theirs.machine, theirs.boot, theirs.pidns) != (me.machine, me.boot, me.pidns):
        return True  # another machine, boot or container (cloned images share machine ids)
    if parsed.pid == os.getpid():  # this process (or an earlier one with a reused pid)
        with _live_lock:
            return owner in _live_ids
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(parsed.pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: exists, owned by someone else
        return True
    return True


class Reconciler:
    """Asks the tracker which jobs need a (re)enqueue and dispatches them; one reconciler at
    a time across every worker and window (`Tracker.reconciling`: PostgreSQL's advisory
    lock, a lock file beside a SQLite database): a second one at the same moment skips."""

    def __init__(
        self, tracker: Tracker, dispatcher: JobDispatcher, grace_seconds: float = 30.0
    ) -> None:
        self.tracker = tracker
        self.dispatcher = dispatcher
        self.grace_seconds = grace_seconds

    def run_once(self, now: datetime | None = None, grace_seconds: float | None = None) -> int:
        """Re-enqueue recoverable jobs; returns how many (0 when another reconciler is at
        work). `now`: None reads the database's clock. Never raises (logs instead)."""
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        try:
            with self.tracker.reconciling() as mine:
                if not mine:
                    logger.debug("another reconciler is at work; skipped")
                    return 0
                jobs = self.tracker.recoverable(now, grace, owner_alive)
                if jobs:
                    logger.info(
                        "reconciler re-enqueues %d job(s): %s",
                        len(jobs),
                        ", ".join(str(job.job_id) for job in jobs[:20]),
                    )
                    self.dispatcher.dispatch(jobs)
                return len(jobs)
        except Exception:
            logger.exception("reconciler could not read recoverable jobs")
            return 0


class ReconcileLoop:
    """A daemon thread running `reconciler.run_once()` every `interval` seconds (half a
    lease) while a consumer runs, so a dead worker's jobs are re-queued within two leases."""

    def __init__(self, reconciler: Reconciler, interval: float) -> None:
        self.reconciler = reconciler
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="Reconciler", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        next_at = time.monotonic() + self.interval
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            next_at = time.monotonic() + self.interval
            self.reconciler.run_once()
            self.runs += 1

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(10.0)
