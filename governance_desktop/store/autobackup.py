"""Automatic backups: names, the latest one, retention, and a scheduler thread.

Files in ``backups/`` (``<stem>`` is ``governance``; times are UTC):

* ``<stem>-auto-<YYYYmmddTHHMMSSZ>.db``: taken on a schedule; only the newest `keep` stay;
* ``<stem>-rev<N>-<time>.db``: taken before a migration; never deleted automatically;
* ``<stem>-before-restore-<time>.db``: the file a restore replaced; never deleted.

Processes coordinate through an exclusive ``flock`` on ``backups/.auto-backup.lock`` and the
time in the newest ``-auto-`` name, so an app and a worker never both take the same backup.
A copy that fails ``PRAGMA quick_check`` is deleted and logged: retention never rotates good
backups out in favour of damaged ones.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from governance_desktop.store.backup import backup_sqlite
from governance_desktop.store.integrity import full_check

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(
    r"^(?P<stem>.+?)-(?P<kind>auto|rev[^-]+|before-restore)-(?P<at>\d{8}T\d{6}Z)\.db$"
)
LOCK_NAME = ".auto-backup.lock"


@dataclass(frozen=True)
class BackupFile:
    path: Path
    kind: str  # "auto", "migration" or "restore"
    taken_at: datetime


def stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime(STAMP)


def list_backups(backups_dir: Path, stem: str = "governance") -> list[BackupFile]:
    """Backups of `stem` in `backups_dir`, oldest first."""
    found: list[BackupFile] = []
    try:
        entries = list(backups_dir.iterdir())
    except OSError:
        return []
    for path in entries:
        match = _NAME.match(path.name)
        if match is None or match["stem"] != stem:
            continue
        kind = match["kind"]
        kind = "migration" if kind.startswith("rev") else "restore" if kind != "auto" else kind
        taken = datetime.strptime(match["at"], STAMP).replace(tzinfo=UTC)
        found.append(BackupFile(path, kind, taken))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name))


def latest_restorable(backups_dir: Path, stem: str = "governance") -> BackupFile | None:
    """The newest automatic or pre-migration backup (a before-restore copy may be the damaged
    file itself, so it is never offered)."""
    candidates = [b for b in list_backups(backups_dir, stem) if b.kind != "restore"]
    return candidates[-1] if candidates else None


def prune(backups_dir: Path, keep: int, stem: str = "governance") -> list[Path]:
    """Delete automatic backups beyond the newest `keep`; returns what was deleted."""
    autos = [b for b in list_backups(backups_dir, stem) if b.kind == "auto"]
    doomed = [b.path for b in autos[: max(0, len(autos) - keep)]]
    for path in doomed:
        path.unlink(missing_ok=True)
        log.info("deleted old automatic backup %s (keeping %d)", path, keep)
    for partial in backups_dir.glob(f"{stem}-auto-*.db.partial"):  # left by a crash
        partial.unlink(missing_ok=True)
    return doomed


class _BackupLock:
    """Non-blocking exclusive lock: None from `__enter__` when another process holds it."""

    def __init__(self, backups_dir: Path) -> None:
        self.path = backups_dir / LOCK_NAME
        self.fd: int | None = None

    def __enter__(self) -> bool:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is None:
            return True
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def __exit__(self, *_exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def take_automatic_backup(
    engine: Engine,
    backups_dir: Path,
    *,
    interval: timedelta,
    keep: int,
    stem: str = "governance",
    now: datetime | None = None,
) -> Path | None:
    """Back up if the newest automatic backup is older than `interval`; then apply `keep`.

    Returns the new file, or None when none was due or another process is taking one.
    """
    now = now or datetime.now(UTC)
    backups_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _BackupLock(backups_dir) as mine:
        if not mine:
            return None
        autos = [b for b in list_backups(backups_dir, stem) if b.kind == "auto"]
        if autos and now - autos[-1].taken_at < interval:
            return None
        target = backups_dir / f"{stem}-auto-{stamp(now)}.db"
        backup_sqlite(engine, target)
        problems = full_check(target, quick=True)
        if problems != ["ok"]:
            target.unlink(missing_ok=True)
            log.error(
                "the database failed its integrity check while being backed up (%s); "
                "no automatic backup taken, older ones kept; run the check command",
                "; ".join(problems[:3]),
            )
            return None
        log.info("automatic backup %s", target)
        prune(backups_dir, keep, stem)
        return target


class BackupScheduler:
    """A daemon thread: an automatic backup at start if due, then every `check_seconds` a
    look whether one is due. Errors (e.g. a full disk) are logged and retried next time."""

    def __init__(
        self,
        engine: Engine,
        backups_dir: Path,
        *,
        interval: timedelta,
        keep: int,
        check_seconds: float = 300.0,
    ) -> None:
        self.engine, self.backups_dir = engine, backups_dir
        self.interval, self.keep = interval, keep
        self.check_seconds = max(0.05, min(check_seconds, interval.total_seconds()))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="auto-backup", daemon=True)
        self.taken: list[Path] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to end and wait for a backup in progress to finish."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                made = take_automatic_backup(
                    self.engine, self.backups_dir, interval=self.interval, keep=self.keep
                )
                if made is not None:
                    self.taken.append(made)
            except Exception as exc:  # a full disk, a locked file: try again later
                log.warning("automatic backup failed, will retry: %s", exc)
            self._stop.wait(self.check_seconds)
