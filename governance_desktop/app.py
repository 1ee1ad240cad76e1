"""Composition root: Settings → store → services. Wiring only, no rules."""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import stat
from dataclasses import dataclass
from datetime import timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DatabaseError

from governance_desktop.config import Settings, SettingsError, default_data_dir
from governance_desktop.jobs.engine import QueueRuntime
from governance_desktop.jobs.queue import foreign_queue_problem, queue_file
from governance_desktop.jobs.tracking import EMBEDDED_MARK_AFTER
from governance_desktop.services.actions import ActionEffects, LocalNotifier, Notifier
from governance_desktop.services.approvals import ApprovalService
from governance_desktop.services.audit import AuditService
from governance_desktop.services.dispatch import SwitchableDispatcher
from governance_desktop.services.engine import WorkflowService
from governance_desktop.services.policies import PolicyService
from governance_desktop.services.queries import MonitorService
from governance_desktop.services.runner import JobRunner, RetryPolicy
from governance_desktop.services.schedules import ScheduleService
from governance_desktop.services.tracking import JobTracker
from governance_desktop.services.users import UserDirectory, os_username
from governance_desktop.services.workflows import WorkflowDefinitionService
from governance_desktop.store.autobackup import BackupScheduler, latest_restorable
from governance_desktop.store.db import Database, make_private_dirs, redact_text, sqlite_path
from governance_desktop.store.integrity import (
    damaged_error,
    header_problem,
    is_damage,
    quick_problem,
    storage_problem,
    table_names,
)
from governance_desktop.store.lock import LOCK_NAME, DataDirLock
from governance_desktop.store.migrate import MigrationReport, upgrade_to_head
from governance_desktop.store.outfile import Protected
from governance_desktop.store.restore import (
    RestoreError,
    RestoreReport,
    check_source,
    file_kind,
    restore_database,
)

log = logging.getLogger(__name__)


class DataDirError(Exception):
    """The data folder cannot be created or used; the message names it."""


@dataclass
class AppContext:
    settings: Settings
    db: Database
    migration: MigrationReport
    audit: AuditService
    users: UserDirectory
    policies: PolicyService
    workflows: WorkflowDefinitionService
    dispatcher: SwitchableDispatcher
    engine: WorkflowService
    effects: ActionEffects
    runner: JobRunner
    approvals: ApprovalService
    monitor: MonitorService
    tracker: JobTracker
    schedules: ScheduleService
    queue: QueueRuntime | None = None
    lock: DataDirLock | None = None
    auto_backups: BackupScheduler | None = None

    @property
    def backups_dir(self) -> Path:
        return self.settings.data_dir / "backups"

    @property
    def protected(self) -> Protected:
        return protected_paths(self.settings)

    def close(self) -> None:
        if self.auto_backups is not None:
            self.auto_backups.stop()
            self.auto_backups = None
        self.db.dispose()
        if self.lock is not None:
            self.lock.release()


def protected_paths(settings: Settings) -> Protected:
    """Where no export or backup may be written: the data folder, the database and queue
    files when settings put them elsewhere, and the platform's default data folder (another
    install's register, even before it holds one; other data folders are found by their
    files, see store/outfile.py)."""
    files = []
    database = sqlite_path(settings.effective_database_url)
    if database is not None:
        files.append(database)
    queue = queue_file(settings.effective_queue_url)
    if queue is not None:
        files.append(queue)
    return Protected(settings.data_dir, tuple(files), others=(default_data_dir(),))


#: What a data folder holds after the app's first start was cut short (before its lock file).
_FIRST_START_ENTRIES = {"logs", "backups"}
#: A folder holding one of these is a data folder the app made.
_DATA_DIR_MARKS = ("governance.db", LOCK_NAME)


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data folder (0700) and its logs/ and backups/ subfolders.

    Only folders made here get their mode set. An existing folder is used as it is, and
    refused if it holds other files but no register (it is someone else's folder).
    """
    try:
        if not _make_private_dir(data_dir, parents=True):
            _refuse_foreign(data_dir)
        for sub in ("logs", "backups"):
            _make_private_dir(data_dir / sub)
    except OSError as exc:
        problem = storage_problem(exc, data_dir)
        raise DataDirError(
            problem or f"cannot use data folder {data_dir}: {exc.strerror or exc}"
        ) from None
    if not os.access(data_dir, os.W_OK):
        raise DataDirError(
            f"the data folder {data_dir} is read-only or not writable; nothing was changed "
            "(use a writable folder, or --data-dir)"
        )


def _make_private_dir(path: Path, parents: bool = False) -> bool:
    """mkdir 0700; True if made here (then, and only then, its mode is set: umask aside)."""
    if parents:  # missing parents 0700 too: under umask 000 mkdir would make them 0777
        make_private_dirs(path.parent)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return False
    if os.name == "posix":  # through a descriptor: the folder we made, never a swapped-in link
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)
    return True


def _refuse_foreign(data_dir: Path) -> None:
    """Refuse an existing path that is not a folder, or someone else's non-empty folder."""
    if not data_dir.is_dir():
        raise DataDirError(f"the data folder {data_dir} is not a folder; nothing was changed")
    names = set(os.listdir(data_dir))
    if not names or names <= _FIRST_START_ENTRIES or any(m in names for m in _DATA_DIR_MARKS):
        return
    example = sorted(names - _FIRST_START_ENTRIES)[0]
    raise DataDirError(
        f"the data folder {data_dir} already holds other files (e.g. {example!r}) and no "
        "governance.db; the app uses only a new or empty folder or its own. Nothing was "
        "changed (choose another --data-dir, GOVERNANCE_DATA_DIR or data_dir setting)"
    )


def data_dir_access(data_dir: Path) -> str | None:
    """Why the data folder is not private (others may read or enter it), or None."""
    try:
        mode = stat.S_IMODE(data_dir.stat().st_mode)
    except OSError:
        return None
    if os.name != "posix" or not mode & 0o077:
        return None
    return (
        f"the data folder {data_dir} is open to other users (mode {mode:04o}); the app does "
        f"not change the mode of a folder it did not make: run chmod 700 '{data_dir}'"
    )


def check_store_files(settings: Settings) -> None:
    """Refuse a database or queue path that exists but is not a regular file (a device such
    as /dev/null, a socket, a FIFO, a folder), before anything is created or opened."""
    named = (
        ("database_url", sqlite_path(settings.effective_database_url)),
        ("queue_url", queue_file(settings.effective_queue_url)),
    )
    for setting, path in named:
        if path is None:
            continue
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise SettingsError(f"{setting}: cannot use {path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(mode):
            what = "queue" if setting == "queue_url" else "database"
            raise SettingsError(
                f"{setting}: {path} is {file_kind(mode)}, not a regular file; nothing was "
                f"changed (name a {what} file, or leave {setting} unset)"
            )
        problem = (
            foreign_queue_problem(path, settings.data_dir / "queue.db")
            if setting == "queue_url"
            else foreign_database_problem(path, settings.data_dir)
        )
        if problem is not None:
            raise SettingsError(problem)


def foreign_database_problem(path: Path, data_dir: Path) -> str | None:
    """Why the existing file at database_url is not the app's register, or None.

    A new or empty file, or a SQLite file with the app's alembic_version (or no tables) is
    the app's; so is any file in the data folder (damage there is reported with `restore`
    advice later). A file elsewhere that is not SQLite, or SQLite holding another program's
    tables, is refused: migrating into it would mix our tables with its data.
    """
    if path.absolute().parent == data_dir.absolute() or path.stat().st_size == 0:
        return None
    refusal = (
        "; nothing was changed (name the register's file or a new one, or leave database_url unset)"
    )
    if header_problem(path) is not None:
        return (
            f"database_url: {path} is not a governance database (it is not a SQLite file){refusal}"
        )
    try:
        tables = table_names(path)
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            return None  # busy or locked: reported when opened
        return f"database_url: {path} cannot be read as a database ({exc}){refusal}"
    if not tables or "alembic_version" in tables:
        return None
    return (
        f"database_url: {path} is a SQLite database of another program (tables: "
        f"{', '.join(tables[:5])}; no alembic_version){refusal}"
    )


class PrivateLogHandler(RotatingFileHandler):
    """Log files created 0600; a write that fails (full disk) is dropped, never printed as a
    traceback on the user's terminal."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        pass


class RedactingFormatter(logging.Formatter):
    """Log lines (tracebacks included) never carry a URL's password."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def setup_logging(data_dir: Path, level: int = logging.INFO) -> None:
    """Log to data_dir/logs/governance.log; tracebacks go there, never to the user."""
    root = logging.getLogger()
    if any(getattr(h, "_governance", False) for h in root.handlers):
        return
    handler = PrivateLogHandler(
        data_dir / "logs" / "governance.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(process)d %(threadName)s %(name)s: %(message)s"
        )
    )
    handler._governance = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Huey logs two INFO lines per task; the job table is the record of every job, and those
    # lines cost about 9 % of a worker's time. Its consumer's start/stop lines stay.
    logging.getLogger("huey").setLevel(max(level, logging.WARNING))
    logging.getLogger("huey.consumer").setLevel(level)


def check_database_file(path: Path, backups_dir: Path) -> None:
    """Raise DamagedDatabaseError (naming the latest backup) if `path` is visibly damaged."""
    problem = quick_problem(path)
    if problem is not None:
        latest = latest_restorable(backups_dir, path.stem)
        raise damaged_error(path, problem, latest.path if latest else None, backups_dir.parent)


def _open_database(settings: Settings) -> tuple[Database, MigrationReport]:
    backups = settings.data_dir / "backups"
    path = sqlite_path(settings.effective_database_url)
    if path is not None:
        check_database_file(path, backups)
    db = Database(settings.effective_database_url)
    try:
        # SQLite gives its -wal and -shm files the database file's mode: nothing to chmod.
        migration = upgrade_to_head(db, backups)
    except DatabaseError as exc:
        db.dispose()
        orig = getattr(exc, "orig", None)
        if path is not None and isinstance(orig, sqlite3.DatabaseError) and is_damage(orig):
            latest = latest_restorable(backups, path.stem)
            backup = latest.path if latest else None
            raise damaged_error(path, str(orig), backup, settings.data_dir) from None
        raise
    except BaseException:
        db.dispose()
        raise
    return db, migration


def open_app(settings: Settings, notifier: Notifier | None = None) -> AppContext:
    """Open (and if needed create and migrate) the data dir and build the services.

    Holds a shared lock on the data dir until ``close()`` (so `restore` can refuse), and
    refuses a visibly damaged database with DamagedDatabaseError.
    """
    check_store_files(settings)
    prepare_data_dir(settings.data_dir)
    setup_logging(settings.data_dir)
    access = data_dir_access(settings.data_dir)
    if access is not None:
        log.warning("%s", access)
    lock = DataDirLock(settings.data_dir)
    lock.acquire_shared()
    try:
        db, migration = _open_database(settings)
    except BaseException:
        lock.release()
        raise
    audit = AuditService(db)
    users = UserDirectory(db, audit)
    try:
        users.ensure_first_admin(os_username())
    except BaseException:
        db.dispose()
        lock.release()
        raise
    dispatcher = SwitchableDispatcher()
    policies = PolicyService(db, audit)
    engine = WorkflowService(db, dispatcher)
    policies.sinks.append(engine.on_entity_event)
    effects = ActionEffects(policies, audit, notifier or LocalNotifier())
    retry = RetryPolicy(settings.max_attempts, settings.retry_delay, settings.retry_max_delay)
    return AppContext(
        settings=settings,
        db=db,
        migration=migration,
        audit=audit,
        users=users,
        policies=policies,
        workflows=WorkflowDefinitionService(db, audit),
        dispatcher=dispatcher,
        engine=engine,
        effects=effects,
        runner=JobRunner(db, dispatcher, effects, retry),
        approvals=ApprovalService(db, audit, dispatcher),
        monitor=MonitorService(db, audit, dispatcher),
        tracker=JobTracker(db),
        schedules=ScheduleService(db, engine, dispatcher),
        lock=lock,
    )


def start_auto_backups(ctx: AppContext, check_seconds: float = 300.0) -> BackupScheduler | None:
    """Automatic backups while the app or a worker runs (a daemon thread; stops on close)."""
    hours = ctx.settings.backup_interval_hours
    if hours <= 0 or sqlite_path(ctx.db.url) is None or ctx.auto_backups is not None:
        return None
    scheduler = BackupScheduler(
        ctx.db.engine,
        ctx.backups_dir,
        interval=timedelta(hours=hours),
        keep=ctx.settings.backup_keep,
        check_seconds=check_seconds,
    )
    scheduler.start()
    ctx.auto_backups = scheduler
    return scheduler


def attach_queue(
    ctx: AppContext,
    *,
    workers: int | None = None,
    background_dispatch: bool = False,
    embedded: bool = False,
) -> QueueRuntime:
    """Open the queue, register the tasks, and let the services enqueue through it.

    The consumer is not started: the window calls ``start()``; `worker` calls
    ``run_worker()``; one-shot commands only enqueue. Call ``close()`` when done.
    `embedded`: this process shows the jobs (the window), so a job's row is marked running
    only if it runs a while (``tracking.EMBEDDED_MARK_AFTER``); the bus says so at once.
    """
    runtime = QueueRuntime.open(
        ctx.settings, workers=workers, background_dispatch=background_dispatch
    )
    runtime.attach(
        runner=ctx.runner,
        tracker=ctx.tracker,
        schedules=ctx.schedules,
        mark_after=EMBEDDED_MARK_AFTER if embedded else 0.0,
    )
    ctx.dispatcher.target = runtime.dispatcher
    return runtime


def create_main_window(
    data_dir: Path, *, embedded_worker: bool = True, actor: str | None = None
) -> Any:
    """Open `data_dir` and return a ready MainWindow (needs a QApplication).

    Call ``window.shutdown()`` to stop its worker and close the data dir cleanly.
    """
    from governance_desktop.config import load_settings
    from governance_desktop.ui.launch import build_window

    ctx = open_app(load_settings(data_dir=data_dir))
    runtime = attach_queue(ctx, background_dispatch=True, embedded=True)
    try:
        return build_window(ctx, runtime, actor or os_username(), embedded_worker=embedded_worker)
    except BaseException:
        runtime.close()
        ctx.close()
        raise


@dataclass(frozen=True)
class RestoreOutcome:
    restore: RestoreReport
    migration: MigrationReport


def restore_data_dir(settings: Settings, source: Path) -> RestoreOutcome:
    """Restore `source` as the data dir's database, then open it once (migrating an older
    schema, with a pre-migration backup). No app or worker may hold the data dir."""
    from governance_desktop.store.migrate import known_revisions

    path = sqlite_path(settings.effective_database_url)
    if path is None:
        raise RestoreError(
            "restore replaces the local SQLite database; for a server database "
            "use its own tools (e.g. pg_restore)"
        )
    check_store_files(settings)
    check_source(source.expanduser().absolute())
    prepare_data_dir(settings.data_dir)
    setup_logging(settings.data_dir)
    report = restore_database(source, path, settings.data_dir / "backups", known_revisions())
    ctx = open_app(settings)
    try:
        return RestoreOutcome(report, ctx.migration)
    finally:
        ctx.close()
