"""The command line: `governance-desktop [--data-dir DIR] [--actor USER] COMMAND …`.

User errors print one line `error: …` on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import DatabaseError, OperationalError

from governance_desktop import __version__
from governance_desktop.app import AppContext, DataDirError, attach_queue, open_app
from governance_desktop.command_parsers import add_commands
from governance_desktop.commands import COMMANDS
from governance_desktop.config import SettingsError, load_settings
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.jobs.engine import QueueRuntime
from governance_desktop.jobs.queue import QueueConfigError
from governance_desktop.services.users import os_username
from governance_desktop.store.migrate import SchemaTooNewError

log = logging.getLogger("governance_desktop.cli")


class Parser(argparse.ArgumentParser):
    """argparse that keeps usage errors to exit code 2 with a short hint."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="governance-desktop",
        description="Policy register, workflows and approvals for compliance officers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", type=Path, help="data folder (default: per-user data dir)")
    parser.add_argument(
        "--actor", metavar="USERNAME", help="who is acting (default: the logged-in user)"
    )
    add_commands(parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser))
    return parser


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command: str = args.command or "gui"
    handler: Callable[[AppContext, argparse.Namespace], int] = COMMANDS[
        getattr(args, "handler_name", command)
    ]
    args.actor = args.actor or os_username()
    args.no_worker = getattr(args, "no_worker", False)
    context: AppContext | None = None
    runtime: QueueRuntime | None = None
    try:
        settings = load_settings(data_dir=args.data_dir)
        context = open_app(settings)
        runtime = attach_queue(
            context, workers=getattr(args, "workers", None), background_dispatch=command == "gui"
        )
        context.queue = runtime
        return handler(context, args)
    except (
        GovernanceError,
        SettingsError,
        DataDirError,
        SchemaTooNewError,
        QueueConfigError,
    ) as exc:
        return _fail(str(exc))
    except (OperationalError, DatabaseError) as exc:
        log.exception("database error in %s", command)
        return _fail(f"database problem: {exc.orig}")
    except OSError as exc:
        log.exception("file error in %s", command)
        name = f" {exc.filename}" if exc.filename else ""
        return _fail(f"cannot access{name}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.exception("unexpected failure in %s", command)
        return _fail(f"unexpected failure ({type(exc).__name__}: {exc}); details in the log")
    finally:
        if runtime is not None:
            runtime.close()
        if context is not None:
            context.close()


if __name__ == "__main__":
    raise SystemExit(main())
