"""`users add | list | set-role | deactivate` (all but list: admins only)."""

from __future__ import annotations

import argparse

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, arg
from governance_desktop.cli.output import emit, say
from governance_desktop.domain.enums import Role

COMMANDS = Group("users", "manage users")
_ROLES = [r.value for r in Role]


@COMMANDS.command(
    "add",
    "add a user (admins only)",
    arg("username", metavar="USERNAME"),
    arg("--name", help="display name"),
    arg("--role", choices=_ROLES, default=Role.OFFICER.value),
)
def users_add(ctx: AppContext, args: argparse.Namespace) -> int:
    user = ctx.users.add(args.actor, args.username, args.name or "", Role(args.role))
    say(f"added {user.username} ({user.role})")
    return 0


@COMMANDS.command("list", "list users (deactivated ones too)", json=True)
def users_list(ctx: AppContext, args: argparse.Namespace) -> int:
    emit(args, ctx.users.list(), ("username", "display_name", "role", "active"))
    return 0


@COMMANDS.command(
    "set-role",
    "change a user's role (admins only; never the last admin's)",
    arg("username", metavar="USERNAME"),
    arg("role", metavar="ROLE", choices=_ROLES, help=" | ".join(_ROLES)),
)
def users_set_role(ctx: AppContext, args: argparse.Namespace) -> int:
    user = ctx.users.set_role(args.actor, args.username, args.role)
    say(f"{user.username} is now {user.role}")
    return 0


@COMMANDS.command(
    "deactivate",
    "deactivate a user and move their pending approvals, open tasks and assigned "
    "policies to another (admins only)",
    arg("username", metavar="USERNAME"),
    arg("--reassign-to", metavar="OTHER", required=True, help="the active user who takes over"),
)
def users_deactivate(ctx: AppContext, args: argparse.Namespace) -> int:
    r = ctx.users.deactivate(args.actor, args.username, args.reassign_to)
    expired = f" ({r.approvals_expired} already theirs, expired)" if r.approvals_expired else ""
    say(
        f"deactivated {r.username}; moved to {r.reassigned_to}: {r.approvals_moved} pending "
        f"approval(s){expired}, {r.tasks_moved} open task(s), {r.policies_moved} policy(ies)"
    )
    return 0
