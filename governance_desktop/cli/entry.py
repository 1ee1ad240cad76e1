"""Building the parser from the declared commands and running the one the user named.

User errors print one line `error: …` on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import DatabaseError, OperationalError

from governance_desktop import __version__
from governance_desktop.app import AppContext, attach_queue, start_auto_backups
from governance_desktop.cli import (
    app_commands,
    approvals,
    audit,
    data,
    database,
    evidence,
    monitor,
    policies,
    users,
    workflows,
)
from governance_desktop.cli.declare import Command, Needs, Parser, add_group
from governance_desktop.cli.identity import sign_in_as
from governance_desktop.config import Settings, load_settings
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.domain.text import terminal_safe
from governance_desktop.jobs.runtime import QueueRuntime
from governance_desktop.services.users import os_username
from governance_desktop.store.autobackup import latest_restorable
from governance_desktop.store.db import redact_text, sqlite_path, tls_problem
from governance_desktop.store.integrity import damaged_error, is_damage, storage_problem

#: Every group in the order `--help` lists them.
GROUPS = (
    app_commands.COMMANDS,
    data.COMMANDS,
    database.COMMANDS,
    users.COMMANDS,
    policies.COMMANDS,
    workflows.COMMANDS,
    approvals.COMMANDS,
    monitor.EXECUTIONS,
    monitor.JOBS,
    monitor.TASKS,
    monitor.NOTIFICATIONS,
    audit.COMMANDS,
    evidence.COMMANDS,
)
#: What runs when no command is named: the window.
DEFAULT = app_commands.COMMANDS.find("gui")

log = logging.getLogger("governance_desktop.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="governance-desktop",
        description="Policy register, workflows and approvals for compliance officers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # A str, not a Path: Path("") would be the current folder; the settings refuse "".
    parser.add_argument("--data-dir", help="data folder (default: per-user data dir)")
    parser.add_argument(
        "--actor",
        metavar="USERNAME",
        help="who is acting (default: the logged-in user; anyone else needs their password)",
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read passwords from stdin, one per line, instead of prompting",
    )
    parser.add_argument(
        "--no-backup",
        action="store_true",
        help="migrate a PostgreSQL database without the pg_dump taken first (take your own)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for group in GROUPS:
        add_group(subparsers, group)
    return parser


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {terminal_safe(redact_text(message))}\n")
    return 1


def _damage(exc: BaseException | None, settings: Settings) -> str | None:
    """The damaged-database line (with the latest backup) for a 'malformed' error."""
    path = sqlite_path(settings.effective_database_url)
    if path is None or not isinstance(exc, sqlite3.DatabaseError) or not is_damage(exc):
        return None
    latest = latest_restorable(settings.data_dir / "backups", path.stem)
    backup = latest.path if latest else None
    return str(damaged_error(path, str(exc), backup, settings.data_dir))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command: str = args.command or "gui"
    declared: Command = getattr(args, "declared", DEFAULT)
    os_user = os_username()
    acting_as_other = bool(args.actor) and args.actor != os_user
    args.actor = args.actor or os_user
    args.no_worker = getattr(args, "no_worker", False)
    context: AppContext | None = None
    runtime: QueueRuntime | None = None
    data_dir: Path | None = None
    needs = declared.needs
    try:
        if needs is Needs.FILES:
            return declared.handler(args)
        settings = load_settings(
            data_dir=args.data_dir, migration_backup=False if args.no_backup else None
        )
        data_dir = settings.data_dir
        if needs is Needs.SETTINGS:
            return declared.handler(settings, args)
        context = declared.opener(settings)
        if needs.opens_queue:  # read-only commands neither create nor open queue.db
            runtime = attach_queue(
                context,
                workers=getattr(args, "workers", None),
                background_dispatch=needs is Needs.WINDOW,
                embedded=needs is Needs.WINDOW,
            )
            context.queue = runtime
        args.acting_as_other = acting_as_other
        if acting_as_other and needs is not Needs.WINDOW:  # the window asks in a dialog
            changing = declared.handler.__name__ == "users_set_password" and (
                getattr(args, "username", None) == args.actor
            )
            sign_in_as(context, args, changing_password=changing)
        if needs.backs_up:
            start_auto_backups(context)
        return declared.handler(context, args)
    except GovernanceError as exc:  # every user error: settings, data folder, input…
        return _fail(str(exc))
    except BrokenPipeError:  # whoever read our output has gone (`| head`): run() ends quietly
        log.info("output closed early (broken pipe) in %s", command)
        raise
    except (OperationalError, DatabaseError) as exc:
        log.exception("database error in %s", command)
        problem = storage_problem(exc, data_dir) if data_dir else None
        problem = problem or tls_problem(str(exc.orig), "database")
        return _fail(problem or _damage(exc.orig, settings) or f"database problem: {exc.orig}")
    except OSError as exc:
        log.exception("file error in %s", command)
        problem = storage_problem(exc, data_dir) if data_dir else None
        name = f" {exc.filename}" if exc.filename else ""
        return _fail(problem or f"cannot access{name}: {exc.strerror or exc}")
    except sqlite3.DatabaseError as exc:  # raw sqlite3 (backup, restore, checks)
        log.exception("database error in %s", command)
        problem = storage_problem(exc, data_dir) if data_dir else None
        return _fail(problem or f"database problem: {exc}")
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.exception("unexpected failure in %s", command)
        if type(exc).__module__.startswith("redis"):  # the queue server, e.g. its TLS
            tls = tls_problem(str(exc), "queue (Redis)")
            return _fail(tls or f"queue (Redis) problem: {exc}")
        return _fail(f"unexpected failure ({type(exc).__name__}: {exc}); details in the log")
    finally:
        if runtime is not None:
            runtime.close()
        if context is not None:
            context.close()


def run() -> NoReturn:
    """The process entry point (`governance-desktop`, `python -m governance_desktop`, the
    bundle): `main()`, then exit with its code. Output piped into a reader that stops early
    (`| head -1`) ends quietly with exit 0: the reader had what it wanted.

    After the window has run, the process ends without interpreter finalization: PySide6 6.12
    on Python 3.11 was seen to abort there now and then ("bool_dealloc: deallocating True or
    False", a reference-count error in a C extension) although the app had shut down cleanly.
    By then the worker is stopped, the database closed and the logs are flushed below, so
    skipping finalization loses nothing and the exit code stays the app's own.
    """
    try:
        code = main()
    except BrokenPipeError:
        code = 0
    except SystemExit:  # argparse: --help, --version, usage errors
        _flush_stdout()
        raise
    _flush_stdout()
    if "PySide6.QtWidgets" not in sys.modules:
        sys.exit(code)
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)


def _flush_stdout() -> None:
    """Flush stdout; if its reader has gone (`| head`), point it at devnull so that Python's
    own flush at exit cannot print "Broken pipe" either (the recipe in Python's signal docs).
    Output nobody reads any more is not an error: the exit code stays."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
