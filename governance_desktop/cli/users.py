"""`users add | list | set-role | deactivate | set-password | unlock` (admins, except list and
changing one's own password)."""

from __future__ import annotations

import argparse

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, arg
from governance_desktop.cli.identity import passwords, signer
from governance_desktop.cli.output import emit, say
from governance_desktop.domain.enums import Role
from governance_desktop.domain.errors import ValidationError
from governance_desktop.services.identity import initial_password

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
    initial = initial_password(args.username)
    user = ctx.users.add(
        args.actor, args.username, args.name or "", Role(args.role), initial_password=initial
    )
    say(f"added {user.username} ({user.role})")
    say(f"initial password for {user.username}: {initial}")
    say("(shown once: give it to them; they must change it at first use)")
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
    signed = signer(ctx, args, f"deactivating '{args.username}'")
    r = ctx.users.deactivate(args.actor, args.username, args.reassign_to, signer=signed)
    expired = f" ({r.approvals_expired} already theirs, expired)" if r.approvals_expired else ""
    say(
        f"deactivated {r.username}; moved to {r.reassigned_to}: {r.approvals_moved} pending "
        f"approval(s){expired}, {r.tasks_moved} open task(s), {r.policies_moved} policy(ies)"
    )
    return 0


@COMMANDS.command(
    "set-password",
    "change your own password (current, then new), or as an admin give another user a new "
    "initial password and signing key",
    arg("username", metavar="USERNAME"),
)
def users_set_password(ctx: AppContext, args: argparse.Namespace) -> int:
    source = passwords(args)
    if args.username != args.actor:
        admin = signer(ctx, args, f"resetting the password of '{args.username}'")
        initial = initial_password(args.username)
        ctx.identity.reset(args.actor, args.username, initial, admin=admin)
        say(f"initial password for {args.username}: {initial}")
        say("(shown once: give it to them; they must change it at first use)")
        return 0
    current = None
    if ctx.identity.has_password(args.actor):
        current = source.actor(args.actor, "changing your password")
    new = source.read("New password: ", "changing your password")
    if not getattr(args, "password_stdin", False):
        again = source.read("New password again: ", "changing your password")
        if again != new:
            raise ValidationError("the two new passwords differ", "password")
    ctx.identity.change_own(args.actor, current, new)
    say(f"password changed for {args.actor}")
    return 0


@COMMANDS.command(
    "unlock",
    "lift the lock on an account after failed sign-ins (admins only)",
    arg("username", metavar="USERNAME"),
)
def users_unlock(ctx: AppContext, args: argparse.Namespace) -> int:
    ctx.identity.unlock(args.actor, args.username)
    say(f"unlocked {args.username}")
    return 0
