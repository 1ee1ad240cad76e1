"""How a CLI command is declared: its name, help, arguments, handler and what it opens, once.

Each command module holds one `Group` (the top level, or a group such as ``policies``) and
declares its commands with ``@GROUP.command(...)`` right above their handlers; `entry.py`
builds the parser from the groups in their listed order and runs what the user named.
"""

from __future__ import annotations

import argparse
import enum
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import Settings


class Needs(enum.Enum):
    """What a command opens before its handler runs (and how the handler is called)."""

    FILES = "only the files it names: handler(args)"
    SETTINGS = "the settings, nothing opened: handler(settings, args)"
    DATA = "the data folder, not the queue: handler(ctx, args)"
    QUEUE = "the data folder and the queue, to enqueue jobs: handler(ctx, args)"
    WORKER = "the queue, to run its jobs; automatic backups: handler(ctx, args)"
    WINDOW = "the queue with an embedded worker; automatic backups: handler(ctx, args)"

    @property
    def opens_queue(self) -> bool:
        return self in (Needs.QUEUE, Needs.WORKER, Needs.WINDOW)

    @property
    def backs_up(self) -> bool:
        return self in (Needs.WORKER, Needs.WINDOW)


@dataclass(frozen=True)
class Arg:
    """One ``add_argument`` call: flags or name, and its options."""

    names: tuple[str, ...]
    options: dict[str, Any]


def arg(*names: str, **options: Any) -> Arg:
    return Arg(names, options)


@dataclass(frozen=True)
class Command:
    name: str  # as typed after the group, e.g. "list"
    help: str
    handler: Callable[..., int]
    args: tuple[Arg, ...] = ()
    json: bool = False
    needs: Needs = Needs.DATA
    #: How the data folder is opened (the window offers a backup if it is damaged).
    opener: Callable[[Settings], AppContext] = open_app


@dataclass
class Group:
    """The commands of one group (``name`` None: the top level), in declaration order."""

    name: str | None = None
    help: str = ""
    commands: list[Command] = field(default_factory=list)

    def command(
        self,
        name: str,
        help: str,
        *args: Arg,
        json: bool = False,
        needs: Needs = Needs.DATA,
        opener: Callable[[Settings], AppContext] = open_app,
    ) -> Callable[[Callable[..., int]], Callable[..., int]]:
        def declare(handler: Callable[..., int]) -> Callable[..., int]:
            self.commands.append(Command(name, help, handler, args, json, needs, opener))
            return handler

        return declare

    def find(self, name: str) -> Command:
        return next(c for c in self.commands if c.name == name)


class Parser(argparse.ArgumentParser):
    """argparse that keeps usage errors to exit code 2 with a short hint."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def add_group(subparsers: Any, group: Group) -> None:
    """Add `group`'s commands (under its own parser unless it is the top level)."""
    if group.name is not None:
        parser = subparsers.add_parser(group.name, help=group.help, description=group.help)
        subparsers = parser.add_subparsers(
            dest="subcommand", metavar="ACTION", required=True, parser_class=type(parser)
        )
    for command in group.commands:
        leaf = subparsers.add_parser(command.name, help=command.help, description=command.help)
        leaf.set_defaults(declared=command)
        if command.json:
            leaf.add_argument("--json", action="store_true", help="print JSON only")
        for argument in command.args:
            leaf.add_argument(*argument.names, **argument.options)
