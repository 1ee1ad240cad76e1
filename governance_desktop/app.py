"""Composition root: Settings → store → services. Wiring only, no rules."""

from __future__ import annotations

import io
import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DatabaseError

from governance_desktop.config import Settings
from governance_desktop.data_dir import (
    check_store_files,
    data_dir_access,
    prepare_data_dir,
    protected_paths,
)
from governance_desktop.jobs.lifecycle import EMBEDDED_MARK_AFTER
from governance_desktop.jobs.runtime import QueueRuntime
from governance_desktop.services.actions import ActionEffects, LocalNotifier, Notifier
from governance_desktop.services.approvals import ApprovalService
from governance_desktop.services.audit import AuditService
from governance_desktop.services.delegations import DelegationService
from governance_desktop.services.demo import DemoReport, example_sources, seed_demo
from governance_desktop.services.dispatch import SwitchableDispatcher
from governance_desktop.services.escalation import EscalationService, PeriodicWork
from governance_desktop.services.inbox import InboxService
from governance_desktop.services.job_tracker import JobTracker
from governance_desktop.services.policies import PolicyService
from governance_desktop.services.policy_details import PolicyDetailsService
from governance_desktop.services.read_models import MonitorService
from governance_desktop.services.runner import JobRunner, RetryPolicy
from governance_desktop.services.schedules import ScheduleService
from governance_desktop.services.standard_approval import StandardApproval
from governance_desktop.services.starts import WorkflowStarter
from governance_desktop.services.users import UserDirectory, os_username
from governance_desktop.services.workflows import WorkflowLibrary
from governance_desktop.store.autobackup import BackupScheduler, latest_restorable
from governance_desktop.store.db import Database, redact_text, sqlite_path
from governance_desktop.store.integrity import (
    damaged_error,
    is_damage,
    quick_problem,
)
from governance_desktop.store.lock import DataDirLock
from governance_desktop.store.migrate import MigrationReport, upgrade_to_head
from governance_desktop.store.outfile import Protected
from governance_desktop.store.restore import (
    RestoreError,
    RestoreReport,
    check_source,
    restore_database,
)

if TYPE_CHECKING:
    from governance_desktop.services.audit_pages import AuditPages
    from governance_desktop.services.audit_verify import TrailCheck
    from governance_desktop.services.change_watch import ChangeWatch
    from governance_desktop.services.dashboard import DashboardService
    from governance_desktop.services.dryrun import DryRunService
    from governance_desktop.services.evidence import EvidenceService
    from governance_desktop.services.executions import ExecutionControl
    from governance_desktop.services.identity import IdentityService, Signer
    from governance_desktop.services.inbox_pages import ApprovalPages, TaskPages
    from governance_desktop.services.job_control import JobService
    from governance_desktop.services.job_pages import JobPages
    from governance_desktop.services.policy_pages import PolicyPages
    from governance_desktop.services.policy_versions import PolicyVersions
    from governance_desktop.services.run_overview import RunOverview

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    settings: Settings
    db: Database
    migration: MigrationReport
    audit: AuditService
    users: UserDirectory
    policies: PolicyService
    workflows: WorkflowLibrary
    dispatcher: SwitchableDispatcher
    starter: WorkflowStarter
    effects: ActionEffects
    runner: JobRunner
    approvals: ApprovalService
    monitor: MonitorService
    tracker: JobTracker
    schedules: ScheduleService
    inbox: InboxService
    policy_details: PolicyDetailsService
    delegations: DelegationService
    escalation: EscalationService
    queue: QueueRuntime | None = None
    lock: DataDirLock | None = None
    auto_backups: BackupScheduler | None = None

    # Built on first use: most commands and the window's first page need none of them.

    def check_trail(self, *, quick: bool = False, anchor: str | None = None) -> TrailCheck:
        """`audit verify`: the hash chain and every signature (services/audit_verify.py)."""
        from governance_desktop.services.audit_verify import check_trail

        return check_trail(self.db, from_checkpoint=quick, anchor=anchor)

    @cached_property
    def identity(self) -> IdentityService:
        from governance_desktop.services.identity import IdentityService

        return IdentityService(self.db, self.audit)

    @cached_property
    def dashboard(self) -> DashboardService:
        from governance_desktop.services.dashboard import DashboardService

        return DashboardService(self.db)

    @cached_property
    def jobs(self) -> JobService:
        from governance_desktop.services.job_control import JobService

        return JobService(self.db, self.audit, self.dispatcher)

    @cached_property
    def executions(self) -> ExecutionControl:
        from governance_desktop.services.executions import ExecutionControl

        return ExecutionControl(self.db, self.audit, self.dispatcher)

    @cached_property
    def job_pages(self) -> JobPages:
        from governance_desktop.services.job_pages import JobPages

        return JobPages(self.db)

    @cached_property
    def run_overview(self) -> RunOverview:
        from governance_desktop.services.run_overview import RunOverview

        return RunOverview(self.db)

    @cached_property
    def change_watch(self) -> ChangeWatch:
        from governance_desktop.services.change_watch import ChangeWatch

        return ChangeWatch(self.db)

    @cached_property
    def audit_pages(self) -> AuditPages:
        from governance_desktop.services.audit_pages import AuditPages

        return AuditPages(self.db)

    @cached_property
    def policy_pages(self) -> PolicyPages:
        from governance_desktop.services.policy_pages import PolicyPages

        return PolicyPages(self.db)

    @cached_property
    def approval_pages(self) -> ApprovalPages:
        from governance_desktop.services.inbox_pages import ApprovalPages

        return ApprovalPages(self.db, self.inbox)

    @cached_property
    def task_pages(self) -> TaskPages:
        from governance_desktop.services.inbox_pages import TaskPages

        return TaskPages(self.db)

    @cached_property
    def policy_versions(self) -> PolicyVersions:
        from governance_desktop.services.policy_versions import PolicyVersions

        return PolicyVersions(self.db)

    @cached_property
    def dry_run(self) -> DryRunService:
        from governance_desktop.services.dryrun import DryRunService
        from governance_desktop.services.dryrun_scope import DryRunScope

        return DryRunService(self.policies, self.users, DryRunScope(self.db))

    @cached_property
    def evidence(self) -> EvidenceService:
        from governance_desktop.services.evidence import EvidenceService

        return EvidenceService(self.db, self.audit)

    @property
    def backups_dir(self) -> Path:
        return self.settings.data_dir / "backups"

    @property
    def protected(self) -> Protected:
        return protected_paths(self.settings)

    def load_demo(self, actor: str, signer: Signer | None) -> DemoReport:
        """The demo data (services/demo.py) through this app's services, as ``actor``,
        signed by ``signer`` (the actor, who just gave their password)."""
        return seed_demo(
            actor,
            self.users,
            self.policies,
            self.workflows,
            example_sources(),
            approvals=self.approvals,
            identity=self.identity,
            signer=signer,
        )

    def close(self) -> None:
        if self.auto_backups is not None:
            self.auto_backups.stop()
            self.auto_backups = None
        self.db.dispose()
        if self.lock is not None:
            self.lock.release()


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
        migration = upgrade_to_head(db, backups, backup=settings.migration_backup)
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
    starter = WorkflowStarter(db, dispatcher)
    policies.sinks.append(starter.on_entity_event)
    starter.after_start.append(StandardApproval(db, audit).after_start)
    notifier = notifier or LocalNotifier()
    effects = ActionEffects(policies, audit, notifier)
    retry = RetryPolicy(settings.max_attempts, settings.retry_delay, settings.retry_max_delay)
    monitor = MonitorService(db)
    return AppContext(
        settings=settings,
        db=db,
        migration=migration,
        audit=audit,
        users=users,
        policies=policies,
        workflows=WorkflowLibrary(db, audit),
        dispatcher=dispatcher,
        starter=starter,
        effects=effects,
        runner=JobRunner(db, dispatcher, effects, retry),
        approvals=ApprovalService(db, audit, dispatcher, policies),
        monitor=monitor,
        tracker=JobTracker(db),
        schedules=ScheduleService(db, starter, dispatcher),
        inbox=InboxService(db, audit),
        policy_details=PolicyDetailsService(db, audit, monitor),
        delegations=DelegationService(db, audit),
        escalation=EscalationService(db, audit, notifier),
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
        # every minute: due schedules, then the approval sweep (services/escalation.py)
        schedules=PeriodicWork(ctx.schedules, ctx.escalation),
        mark_after=EMBEDDED_MARK_AFTER if embedded else 0.0,
        lease_seconds=ctx.settings.lease_seconds,
    )
    ctx.dispatcher.target = runtime.dispatcher
    return runtime


@dataclass(frozen=True)
class RestoreOutcome:
    restore: RestoreReport
    migration: MigrationReport
    restored_head: str | None = None
    #: The restore's signature as people read it ("Restored from backup by … UTC").
    signature: str | None = None


def restore_data_dir(
    settings: Settings,
    source: Path,
    actor: str,
    password: str | None = None,
    *,
    first_password: bool = False,
) -> RestoreOutcome:
    """Restore `source` as the data dir's database if `actor` is an admin of the one it
    replaces, then open it once (migrating an older schema, with a pre-migration backup) and
    record "data.restored" in it. No app or worker may hold the data dir.

    With ``password`` the restore is signed ("Restored from backup") in the restored
    database, the one kept, with `actor`'s key there: the password is checked against the
    backup's credential before anything is replaced. ``first_password``: `actor` is the OS
    account's user, who may choose their first password now if the backup has none."""
    from governance_desktop.services.restore_record import record_restore, trail_head
    from governance_desktop.store.migrate import known_revisions

    path = sqlite_path(settings.effective_database_url)
    if path is None:
        raise RestoreError(
            "restore replaces the local SQLite database; for a server database "
            "use its own tools (e.g. pg_restore)"
        )
    check_store_files(settings)
    check_source(source.expanduser().absolute())
    hashes: list[str] = []

    def check_signer() -> None:  # the backup is a governance database; actor an admin
        if password is not None:
            check_restorer(source, actor, password, first_password=first_password)
            hashes.append(sha256_file(source.expanduser().absolute()))

    prepare_data_dir(settings.data_dir)
    setup_logging(settings.data_dir)
    report = restore_database(
        source, path, settings.data_dir / "backups", known_revisions(), actor, check_signer
    )
    ctx = open_app(settings)
    try:
        restored_head = trail_head(ctx.db)  # the trail put back (and migrated), as it was
        signer = None
        if password is not None:
            if first_password and not ctx.identity.has_password(actor):
                ctx.identity.change_own(actor, None, password)
            signer = ctx.identity.signer(actor, password)
        restored, signature = record_restore(
            ctx.db,
            ctx.audit,
            actor,
            report.source,
            report.replaced_head,
            report.kept,
            restored_head=restored_head,
            signer=signer,
            file_hash=hashes[0] if hashes else None,
        )
        return RestoreOutcome(report, ctx.migration, restored, signature)
    finally:
        ctx.close()


def sha256_file(path: Path) -> str:
    import hashlib

    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_restorer(source: Path, actor: str, password: str, *, first_password: bool) -> None:
    """Refuse, before anything is replaced, a restore `actor` could not sign in the restored
    register: not a user of the backup, deactivated or locked there, an initial password, or
    a wrong one (not counted towards a lockout: a backup file is only read)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    from governance_desktop.domain.clock import utc_now
    from governance_desktop.domain.errors import AuthenticationError
    from governance_desktop.domain.identity import check_password
    from governance_desktop.store.restore import backup_credential

    unchanged = "Nothing was changed."
    where = f"the backup {source.name}"
    found = backup_credential(source, actor)
    if found is None or not found.active:
        state = "not a user" if found is None else "deactivated"
        raise AuthenticationError(
            f"'{actor}' is {state} in {where}, so cannot sign the restore there "
            f"(rule: signature). {unchanged}"
        )
    if found.locked_until is not None and found.locked_until > utc_now():
        raise AuthenticationError(f"'{actor}' is locked in {where} (rule: lockout). {unchanged}")
    if found.password_hash is None:
        if first_password:  # the OS account's user chooses their first password now
            check_password(password, actor)
            return
        raise AuthenticationError(
            f"'{actor}' has no password in {where} (rule: signature). {unchanged}"
        )
    try:
        PasswordHasher().verify(found.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationError(
            f"wrong password for '{actor}' in {where} (rule: identity). {unchanged}"
        ) from None
    if found.must_change:
        raise AuthenticationError(
            f"'{actor}' must change the initial password first (rule: identity). {unchanged}"
        )
