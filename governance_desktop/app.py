"""Composition root: Settings → store → services. Wiring only, no rules."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from governance_desktop.config import Settings
from governance_desktop.jobs.engine import QueueRuntime
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
from governance_desktop.store.db import Database, sqlite_path
from governance_desktop.store.migrate import MigrationReport, upgrade_to_head


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

    @property
    def backups_dir(self) -> Path:
        return self.settings.data_dir / "backups"

    def close(self) -> None:
        self.db.dispose()


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data folder (0700) and its logs/ and backups/ subfolders."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(data_dir, 0o700)
        for sub in ("logs", "backups"):
            (data_dir / sub).mkdir(exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DataDirError(f"cannot use data folder {data_dir}: {exc.strerror or exc}") from None
    if not os.access(data_dir, os.W_OK):
        raise DataDirError(f"cannot use data folder {data_dir}: it is not writable")


def setup_logging(data_dir: Path, level: int = logging.INFO) -> None:
    """Log to data_dir/logs/governance.log; tracebacks go there, never to the user."""
    root = logging.getLogger()
    if any(getattr(h, "_governance", False) for h in root.handlers):
        return
    handler = RotatingFileHandler(
        data_dir / "logs" / "governance.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(levelname)s %(process)d %(threadName)s %(name)s: %(message)s"
        )
    )
    handler._governance = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def open_app(settings: Settings, notifier: Notifier | None = None) -> AppContext:
    """Open (and if needed create and migrate) the data dir and build the services."""
    prepare_data_dir(settings.data_dir)
    setup_logging(settings.data_dir)
    db = Database(settings.effective_database_url)
    try:
        migration = upgrade_to_head(db, settings.data_dir / "backups")
        path = sqlite_path(db.url)
        if path is not None:
            for suffix in ("", "-wal", "-shm"):
                extra = Path(f"{path}{suffix}")
                if extra.exists():
                    os.chmod(extra, 0o600)
    except BaseException:
        db.dispose()
        raise
    audit = AuditService(db)
    users = UserDirectory(db, audit)
    users.ensure_first_admin(os_username())
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
    )


def attach_queue(
    ctx: AppContext, *, workers: int | None = None, background_dispatch: bool = False
) -> QueueRuntime:
    """Open the queue, register the tasks, and let the services enqueue through it.

    The consumer is not started: the window calls ``start()``; `worker` calls
    ``run_worker()``; one-shot commands only enqueue. Call ``close()`` when done.
    """
    runtime = QueueRuntime.open(
        ctx.settings, workers=workers, background_dispatch=background_dispatch
    )
    runtime.attach(runner=ctx.runner, tracker=ctx.tracker, schedules=ctx.schedules)
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
    runtime = attach_queue(ctx, background_dispatch=True)
    try:
        return build_window(ctx, runtime, actor or os_username(), embedded_worker=embedded_worker)
    except BaseException:
        runtime.close()
        ctx.close()
        raise
