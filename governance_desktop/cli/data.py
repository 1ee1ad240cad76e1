"""The data folder itself: `check`, `backup` and `restore`."""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
from pathlib import Path

from governance_desktop import __version__
from governance_desktop.app import AppContext, restore_data_dir
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.identity import passwords
from governance_desktop.cli.output import emit, say
from governance_desktop.config import Settings
from governance_desktop.data_dir import data_dir_access
from governance_desktop.domain.authority import Permission
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.domain.text import terminal_safe
from governance_desktop.services.database_check import check_postgresql
from governance_desktop.services.users import os_username
from governance_desktop.store.autobackup import future_dated, latest_restorable, list_backups
from governance_desktop.store.backup import backup_sqlite
from governance_desktop.store.db import redact_url, sqlite_path
from governance_desktop.store.integrity import full_check, storage_problem
from governance_desktop.store.migrate import HEAD_REVISION
from governance_desktop.store.outfile import output_file, output_path

COMMANDS = Group()


@COMMANDS.command(
    "check",
    "open and migrate the data dir; check its integrity (on PostgreSQL: schema revision, "
    "row counts, the whole audit chain, the audit trigger, the app role's rights); report "
    "versions and paths",
    json=True,
)
def check(ctx: AppContext, args: argparse.Namespace) -> int:
    mig = ctx.migration
    info: dict[str, object] = {
        "app_version": __version__,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "data_dir": str(ctx.settings.data_dir),
        "data_dir_access": data_dir_access(ctx.settings.data_dir) or "private",
        "database_url": redact_url(ctx.settings.effective_database_url),
        "queue_url": redact_url(ctx.settings.effective_queue_url),
        "schema_revision": HEAD_REVISION,
        "migrated_from": mig.from_revision if mig.from_revision != mig.to_revision else None,
        "backup": str(mig.backup) if mig.backup else None,
        "users": len(ctx.users.list()),
        "policies": len(ctx.policies.list()),
        "workflows": len(ctx.workflows.list()),
    }
    path = sqlite_path(ctx.db.url)
    server = check_postgresql(ctx.db) if path is None else None
    if server is not None:  # PostgreSQL: no file to check, so check what it holds
        problems = list(server.problems) or ["ok"]
        info["postgresql"] = server.server
        info["checked"] = list(server.checked)
        info["rows"] = server.rows
        info["audit_head"] = server.audit_head
        info["audit_trigger"] = server.trigger
        info["database_role"] = server.role
        info["audit_rights"] = list(server.audit_rights)
        info["warnings"] = list(server.warnings)
    else:
        problems = full_check(path) if path is not None else ["ok"]
    info["integrity"] = "ok" if problems == ["ok"] else "; ".join(problems[:5])
    future: list[str] = []
    if path is not None:
        backups = list_backups(ctx.backups_dir, path.stem)
        latest = latest_restorable(ctx.backups_dir, path.stem)
        future = [str(b.path) for b in future_dated(backups)]
        info["automatic_backups"] = sum(1 for b in backups if b.kind == "auto")
        info["latest_backup"] = str(latest.path) if latest else None
        info["future_dated_backups"] = future
    emit(args, info)
    for name in future:  # docs/dates-and-times.md: the clock was wrong when it was taken
        sys.stderr.write(
            f"warning: backup {name} is dated in the future (the clock was wrong when it was "
            "taken); correctly dated backups count as newer\n"
        )
    for warning in server.warnings if server is not None else ():
        sys.stderr.write(f"warning: {warning}\n")
    if server is not None and problems != ["ok"]:
        for problem in problems:
            sys.stderr.write(f"error: {terminal_safe(problem)}\n")
        return 1
    if problems != ["ok"]:
        latest_text = info.get("latest_backup") or "a copy you made"
        sys.stderr.write(
            f"error: {path} failed its integrity check ({info['integrity']}); restore "
            f"{latest_text} with: governance-desktop --data-dir '{ctx.settings.data_dir}' "
            "restore FILE\n"
        )
        return 1
    return 0


@COMMANDS.command(
    "backup",
    "copy the database to FILE while the app runs (admins only)",
    arg("file", metavar="FILE"),
    arg(
        "--force",
        action="store_true",
        help="replace FILE if it exists (never a file in the data folder)",
    ),
)
def backup(ctx: AppContext, args: argparse.Namespace) -> int:
    target = output_path(args.file, "the backup file")
    ctx.users.require(args.actor, Permission.SETTINGS)
    if sqlite_path(ctx.db.url) is None:
        raise GovernanceError(
            "backup copies the local SQLite database; for a server "
            "database use its own tools (e.g. pg_dump)"
        )
    path = sqlite_path(ctx.db.url)
    assert path is not None
    try:
        with output_file(target, ctx.protected, force=args.force) as temp:
            backup_sqlite(ctx.db.engine, temp, into=True)
    except sqlite3.OperationalError as exc:  # e.g. the target's disk is full
        problem = storage_problem(exc, target.parent.absolute(), "the backup folder")
        raise GovernanceError(problem or f"cannot write the backup {target}: {exc}") from None
    print(terminal_safe(f"backed up {path} to {target}"))
    return 0


def short(head: str | None) -> str:
    """A head hash as people compare it: its first 12 digits."""
    return head[:12] if head else "(none)"


@COMMANDS.command(
    "restore",
    "replace the database with the backup FILE (admins only; stop the app and workers "
    "first); the current file is kept in backups/",
    arg("file", metavar="FILE"),
    needs=Needs.SETTINGS,  # must not open the (possibly damaged) database it replaces
)
def restore(settings: Settings, args: argparse.Namespace) -> int:
    """A signed act ("Restored from backup"): the actor's password is checked against the
    backup's credential, then signs in the restored database."""
    password = passwords(args).actor(args.actor, "restoring a backup is a signed act and")
    first = args.actor == os_username()  # the OS account's user may choose it now
    outcome = restore_data_dir(
        settings, Path(args.file), args.actor, password, first_password=first
    )
    report, migration = outcome.restore, outcome.migration
    migrated = (
        f"; migrated from schema revision {migration.from_revision} to {migration.to_revision}"
        if migration.from_revision != migration.to_revision
        else ""
    )
    kept = f"; the previous database is kept as {report.kept}" if report.kept else ""
    say(
        f"restored {settings.data_dir / 'governance.db'} from {report.source}{migrated}{kept}; "
        "the queue was emptied: unfinished jobs are re-queued when the app or a worker starts; "
        f"audit trail head {short(report.replaced_head)} replaced by "
        f"{short(outcome.restored_head)} (recorded as data.restored)"
    )
    if outcome.signature:
        say(f"signed: {outcome.signature}")
    return 0
