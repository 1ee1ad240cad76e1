"""`users add` and `users list`."""

from __future__ import annotations

import argparse

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, arg
from governance_desktop.cli.output import emit, say
from governance_desktop.domain.enums import Role

COMMANDS = Group("users", "manage users")


@COMMANDS.command(
    "add",
    "add a user (admins only)",
    arg("username", metavar="USERNAME"),
    arg("--name", help="display name"),
    arg("--role", choices=[r.value for r in Role], default=Role.OFFICER.value),
)
def users_add(ctx: AppContext, args: argparse.Namespace) -> int:
    user = ctx.users.add(args.actor, args.username, args.name or "", Role(args.role))
    say(f"added {user.username} ({user.role})")
    return 0


@COMMANDS.command("list", "list users", json=True)
def users_list(ctx: AppContext, args: argparse.Namespace) -> int:
    emit(args, ctx.users.list(), ("username", "display_name", "role"))
    return 0
