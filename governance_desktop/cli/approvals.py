"""Approval requests: `approvals list | show | approve | reject`."""

from __future__ import annotations

import argparse

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.output import emit, say
from governance_desktop.domain.enums import ApprovalStatus

COMMANDS = Group("approvals", "approval requests")


@COMMANDS.command(
    "list",
    "list approvals",
    arg("--mine", action="store_true", help="only the actor's"),
    arg("--status", choices=[s.value for s in ApprovalStatus]),
    json=True,
)
def approvals_list(ctx: AppContext, args: argparse.Namespace) -> int:
    status = ApprovalStatus(args.status) if args.status else None
    rows = ctx.approvals.list(approver=args.actor if args.mine else None, status=status)
    emit(
        args,
        rows,
        ("id", "policy", "policy_version", "workflow", "approver", "status", "responded_by"),
    )
    return 0


@COMMANDS.command("show", "show one approval request", arg("id", metavar="ID", type=int), json=True)
def approvals_show(ctx: AppContext, args: argparse.Namespace) -> int:
    emit(args, ctx.approvals.get(args.id))
    return 0


_REASON = arg("--reason", help="why an admin answers for the approver (required then)")


@COMMANDS.command(
    "approve",
    "approve a request",
    arg("id", metavar="ID", type=int),
    arg("--comment"),
    _REASON,
    needs=Needs.QUEUE,  # the execution moves on
)
def approvals_approve(ctx: AppContext, args: argparse.Namespace) -> int:
    row = ctx.approvals.approve(args.id, args.actor, args.comment, args.reason)
    say(f"approved: approval {row.id} for {row.policy} ({row.workflow})")
    return 0


@COMMANDS.command(
    "reject",
    "reject a request (needs a reason)",
    arg("id", metavar="ID", type=int),
    arg("--comment", required=True),
    _REASON,
    needs=Needs.QUEUE,  # the execution moves on
)
def approvals_reject(ctx: AppContext, args: argparse.Namespace) -> int:
    row = ctx.approvals.reject(args.id, args.actor, args.comment, args.reason)
    say(f"rejected: approval {row.id} for {row.policy} ({row.workflow})")
    return 0
