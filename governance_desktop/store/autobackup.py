"""Automatic backups: names, the latest one, retention, and a scheduler thread.

Files in ``backups/`` (``<stem>`` is ``governance``; times are UTC):

* ``<stem>-auto-<YYYYmmddTHHMMSSZ>.db``: taken on a schedule; only the newest `keep` stay;
* ``<stem>-rev<N>-<time>.db``: taken before a migration; never deleted automatically;
* ``<stem>-before-restore-<time>.db``: the file a restore replaced; never deleted.

Processes coordinate through an exclusive ``flock`` on ``backups/.auto-backup.lock`` and the
last automatic backup taken, so an app and a worker never both take the same backup.
A copy that fails ``PRAGMA quick_check`` is deleted and logged: retention never rotates good
backups out in favour of damaged ones.

Clock jumps (docs/dates-and-times.md): a backup whose time is later than now (beyond
`FUTURE_TOLERANCE`) was taken while the clock was wrong. It is *future-dated*: ordered before
every correctly dated backup (so never "latest" while one of those exists, and rotated out
first), and reported by `check`. ``backups/.auto-backup.last`` names the last automatic backup
taken; if its time is in the future, a backup is taken now and the schedule counts from it.
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

from governance_desktop.domain.clock import Clock, in_future, utc_now
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
LAST_NAME = ".auto-backup.last"


@dataclass(frozen=True)
class BackupFile:
    path: Path
    kind: str  # "auto", "migration" or "restore"
    taken_at: datetime


def stamp(now: datetime | None = None) -> str:
    return (now or utc_now()).astimezone(UTC).strftime(STAMP)


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


def future_dated(backups: list[BackupFile], now: datetime | None = None) -> list[BackupFile]:
    """The backups whose recorded time is later than `now` (beyond the tolerance)."""
    now = now or utc_now()
    return [b for b in backups if in_future(b.taken_at, now)]


def by_age(backups: list[BackupFile], now: datetime | None = None) -> list[BackupFile]:
    """Oldest first, future-dated ones before all others (their time cannot be trusted, and
    a backup taken after the clock was put right holds newer data than they do)."""
    now = now or utc_now()
    return sorted(backups, key=lambda b: (not in_future(b.taken_at, now), b.taken_at, b.path.name))


def latest_restorable(
    backups_dir: Path, stem: str = "governance", now: datetime | None = None
) -> BackupFile | None:
    """The newest automatic or pre-migration backup by `by_age` (a before-restore copy may be
    the damaged file itself, so it is never offered)."""
    candidates = by_age([b for b in list_backups(backups_dir, stem) if b.kind != "restore"], now)
    return candidates[-1] if candidates else None


def prune(
    backups_dir: Path, keep: int, stem: str = "governance", now: datetime | None = None
) -> list[Path]:
    """Delete automatic backups beyond the newest `keep` (by `by_age`); returns them."""
    autos = by_age([b for b in list_backups(backups_dir, stem) if b.kind == "auto"], now)
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


def _last_taken(backups_dir: Path, autos: list[BackupFile], now: datetime) -> BackupFile | None:
    """The last automatic backup taken here: the one `LAST_NAME` names, else the newest."""
    try:
        name = (backups_dir / LAST_NAME).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    named = [b for b in autos if b.path.name == name]
    if named:
        return named[0]
    ordered = by_age(autos, now)
    return ordered[-1] if ordered else None


def _remember_last(backups_dir: Path, target: Path) -> None:
    last = backups_dir / LAST_NAME
    partial = last.with_name(LAST_NAME + ".partial")
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(target.name + "\n")
    os.replace(partial, last)


def backup_due(last: BackupFile | None, interval: timedelta, now: datetime) -> bool:
    """Due when there is none, the last is older than `interval`, or it is future-dated
    (the clock was ahead when it was taken: run now and count from now)."""
    if last is None or in_future(last.taken_at, now):
        return True
    return now - last.taken_at >= interval


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
    now = now or utc_now()
    backups_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _BackupLock(backups_dir) as mine:
        if not mine:
            return None
        autos = [b for b in list_backups(backups_dir, stem) if b.kind == "auto"]
        last = _last_taken(backups_dir, autos, now)
        if not backup_due(last, interval, now):
            return None
        if last is not None and in_future(last.taken_at, now):
            log.warning(
                "the last automatic backup %s is dated after now (%s): the clock was wrong; "
                "backing up now",
                last.path.name,
                now.isoformat(timespec="seconds"),
            )
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
        _remember_last(backups_dir, target)
        prune(backups_dir, keep, stem, now)
        return target


class BackupScheduler:
    """A daemon thread: an automatic backup at start if due, then every `check_seconds` a
    look whether one is due. Errors (e.g. a full disk) are logged and retried next time.
    The wait between looks is monotonic (Event.wait); "due" is judged by `clock`."""

    def __init__(
        self,
        engine: Engine,
        backups_dir: Path,
        *,
        interval: timedelta,
        keep: int,
        check_seconds: float = 300.0,
        clock: Clock = utc_now,
    ) -> None:
        self.engine, self.backups_dir = engine, backups_dir
        self.clock = clock
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
                    self.engine,
                    self.backups_dir,
                    interval=self.interval,
                    keep=self.keep,
                    now=self.clock(),
                )
                if made is not None:
                    self.taken.append(made)
            except Exception as exc:  # a full disk, a locked file: try again later
                log.warning("automatic backup failed, will retry: %s", exc)
            self._stop.wait(self.check_seconds)
