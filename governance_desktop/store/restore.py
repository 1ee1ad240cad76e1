"""Put a backup back as the live database, keeping the file it replaces.

Steps: check the backup (a SQLite file that passes ``integrity_check``, holds a governance
schema no newer than this app); take the data dir exclusively (no app or worker may have it
open); check that the acting user is an active admin of the database about to be replaced
(``authorize_restore``) and note its audit head hash; keep the current file as
``backups/governance-before-restore-<time>.db``; copy the backup into place atomically (the
old WAL is removed first, so it can never be replayed onto the restored file); empty the
queue (transport only: the reconciler re-enqueues unfinished jobs from the restored job
rows); the caller then opens the data dir, which migrates an
older schema after a pre-migration backup, and appends the "data.restored" audit event naming
the head hash replaced and the head hash restored.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from governance_desktop.domain.authority import Permission, allows, refusal
from governance_desktop.domain.errors import GovernanceError, PermissionDeniedError
from governance_desktop.store.autobackup import stamp
from governance_desktop.store.backup import copy_sqlite, fsync_dir
from governance_desktop.store.integrity import full_check, header_problem, is_damage
from governance_desktop.store.lock import DataDirLock

log = logging.getLogger(__name__)

REQUIRED_TABLES = {"alembic_version", "policies", "audit_events", "jobs"}


class RestoreError(GovernanceError):
    """The restore was refused or failed; nothing was changed. The message says why."""


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    revision: str
    kept: Path | None  # the replaced file, now in backups/
    queue_cleared: bool
    actor: str = ""
    replaced_head: str | None = None  # the audit head hash of the replaced file, if readable


def check_source(source: Path) -> None:
    """Refuse a backup path that is missing or not a regular file (a device, a FIFO, a
    folder): checked before the data folder is touched."""
    try:
        mode = os.stat(source).st_mode
    except FileNotFoundError:
        raise RestoreError(f"{source}: no such file") from None
    except OSError as exc:
        raise RestoreError(f"{source}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise RestoreError(
            f"{source} is not a regular file (it is {file_kind(mode)}); name a backup file. "
            "Nothing was changed."
        )


def file_kind(mode: int) -> str:
    """A folder, a character device…: what a non-regular file is, for an error line."""
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def backup_revision(source: Path, known_revisions: set[str]) -> str:
    """The schema revision of a backup file, after checking it can be restored."""
    check_source(source)
    problem = header_problem(source) or ("empty file" if source.stat().st_size == 0 else None)
    if problem is not None:
        raise RestoreError(f"{source} is not a governance database ({problem})")
    problems = full_check(source)
    if problems != ["ok"]:
        raise RestoreError(f"{source} is damaged too: {'; '.join(problems[:3])}")
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
            if not tables >= REQUIRED_TABLES:
                raise RestoreError(
                    f"{source} is a SQLite file but not a governance database "
                    f"(missing tables: {', '.join(sorted(REQUIRED_TABLES - tables))})"
                )
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise RestoreError(f"{source}: cannot read: {exc}") from None
        raise RestoreError(f"{source} is damaged: {exc}") from None
    if row is None:
        raise RestoreError(f"{source} has no schema revision; it is not a governance database")
    revision = str(row[0])
    if revision not in known_revisions:
        raise RestoreError(
            f"{source} is at schema revision {revision}, which this app does not know "
            "(it was written by a newer version); upgrade the app first. Nothing was changed."
        )
    return revision


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _standing(path: Path, username: str) -> tuple[str, bool] | None:
    """``(role, active)`` of ``username`` in the database file ``path``; None if unknown.
    A file from before users could be deactivated counts every user as active."""
    conn = _read_only(path)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
        active = "active" if "active" in columns else "1"
        found = conn.execute(
            f"SELECT role, {active} FROM users WHERE username = ?",
            (username,),
        ).fetchone()
    finally:
        conn.close()
    return None if found is None else (str(found[0]), bool(found[1]))


def audit_head(path: Path) -> str | None:
    """The hash of the last audit event in the database file ``path`` (None: no events)."""
    conn = _read_only(path)
    try:
        row = conn.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


@dataclass(frozen=True)
class BackupCredential:
    """What a backup file holds about one user's credential: the restore is signed in the
    restored register, so the signer's password is checked against these before anything
    is replaced (read only: a backup is never written)."""

    password_hash: str | None
    must_change: bool
    active: bool
    locked_until: datetime | None


def backup_credential(source: Path, username: str) -> BackupCredential | None:
    """``username``'s credential in the backup ``source``; None if they are not a user there.
    A file from before credentials (schema 0004) has none: password_hash is None."""
    conn = _read_only(source.expanduser().absolute())
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
        wanted = ("password_hash", "must_change_password", "active", "locked_until")
        fields = ", ".join(c if c in columns else "NULL" for c in wanted)
        found = conn.execute(
            f"SELECT {fields} FROM users WHERE username = ?", (username,)
        ).fetchone()
    finally:
        conn.close()
    if found is None:
        return None
    password_hash, must_change, active, locked_until = found
    locked = datetime.fromisoformat(str(locked_until)) if locked_until else None
    return BackupCredential(
        password_hash=str(password_hash) if password_hash else None,
        must_change=bool(must_change),
        active=True if active is None else bool(active),
        locked_until=locked.replace(tzinfo=locked.tzinfo or UTC) if locked else None,
    )


def _usable(path: Path) -> bool:
    """True if ``path`` is a database whose users can be read (not missing, empty or damaged)."""
    if not path.exists() or path.stat().st_size == 0 or header_problem(path) is not None:
        return False
    try:
        conn = _read_only(path)
        try:
            conn.execute("SELECT 1 FROM users LIMIT 1").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
    return True


def authorize_restore(db_path: Path, source: Path, actor: str) -> Path:
    """Refuse unless ``actor`` may restore: an active admin of the current database, or, when
    there is none or it cannot be read (the reason to restore), of the backup itself.
    Returns the file the actor was checked against."""
    where = db_path if _usable(db_path) else source
    standing = _standing(where, actor)
    if standing is None:
        raise PermissionDeniedError(
            f"unknown actor '{actor}' in {where}; only an admin may restore a backup "
            "(rule: role). Nothing was changed."
        )
    role, active = standing
    if not active:
        raise PermissionDeniedError(
            f"'{actor}' is deactivated and cannot act (rule: active users). Nothing was changed."
        )
    if not allows(role, Permission.RESTORE):
        raise PermissionDeniedError(
            f"{refusal(actor, role, Permission.RESTORE)}. Nothing was changed."
        )
    return where


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _keep_current(db_path: Path, backups_dir: Path) -> Path | None:
    """Copy the live file (with its WAL) aside; a damaged one is copied byte for byte."""
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    kept = backups_dir / f"{db_path.stem}-before-restore-{stamp()}.db"
    backups_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if header_problem(db_path) is None:
        try:
            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            try:
                return copy_sqlite(conn, kept)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
    for suffix in ("", "-wal"):  # damaged: keep the raw bytes for a specialist
        source = Path(f"{db_path}{suffix}")
        if source.exists():
            target = Path(f"{kept}{suffix}")
            fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            os.close(fd)
            shutil.copyfile(source, target)
    return kept


def restore_database(
    source: Path,
    db_path: Path,
    backups_dir: Path,
    known_revisions: set[str],
    actor: str,
    before_replace: Callable[[], None] | None = None,
) -> RestoreReport:
    """Replace `db_path` with the backup `source` (see the module doc for the steps), if
    `actor` may (``authorize_restore``, checked while no one else has the data dir).
    ``before_replace`` runs once the backup and the actor's standing are checked, before
    anything changes (the signer's password check); an error from it changes nothing."""
    source = source.expanduser().absolute()
    if source.exists() and db_path.exists() and source.samefile(db_path):
        raise RestoreError(f"{source} is the live database itself; choose a backup file")
    revision = backup_revision(source, known_revisions)
    data_dir = db_path.parent
    lock = DataDirLock(data_dir)
    lock.acquire_exclusive()
    try:
        checked = authorize_restore(db_path, source, actor)
        if before_replace is not None:
            before_replace()
        replaced_head = audit_head(db_path) if checked == db_path else None
        kept = _keep_current(db_path, backups_dir)
        staged = db_path.with_name(db_path.name + ".restoring")
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            copy_sqlite(conn, staged)
        finally:
            conn.close()
        os.chmod(staged, 0o600)  # the copy made just now; the file it replaces is never chmod-ed
        # The old WAL belongs to the old file: SQLite would replay it onto the new one.
        for suffix in ("-wal", "-shm"):
            _remove(Path(f"{db_path}{suffix}"))
        os.replace(staged, db_path)
        fsync_dir(data_dir)
        queue = data_dir / "queue.db"
        cleared = queue.exists()
        for suffix in ("", "-wal", "-shm"):
            _remove(Path(f"{queue}{suffix}"))
    finally:
        lock.release()
    log.info(
        "restored %s from %s (revision %s) at %s; previous file kept as %s",
        db_path,
        source,
        revision,
        datetime.now(UTC).isoformat(timespec="seconds"),
        kept,
    )
    return RestoreReport(source, revision, kept, cleared, actor, replaced_head)
