"""The policy register: `policies add | list | show | set-status`."""

from __future__ import annotations

import argparse

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.output import emit, say
from governance_desktop.domain.enums import PolicyStatus

COMMANDS = Group("policies", "the policy register")
POLICY_COLUMNS = ("code", "title", "status", "owner", "assignee", "next_review_date", "version")


@COMMANDS.command(
    "add",
    "add a draft policy",
    arg("code", metavar="CODE"),
    arg("--title", required=True),
    arg("--owner", metavar="USERNAME", help="default: the actor"),
    arg("--body", help="policy text"),
    arg("--review-days", type=int, default=365, help="review interval in days"),
    needs=Needs.QUEUE,  # a new policy may start workflows
)
def policies_add(ctx: AppContext, args: argparse.Namespace) -> int:
    policy = ctx.policies.add(
        args.actor,
        args.code,
        args.title,
        body=args.body or "",
        owner=args.owner,
        review_interval_days=args.review_days,
    )
    say(f"added {policy.code} ({policy.status})")
    return 0


@COMMANDS.command(
    "list",
    "list policies",
    arg("--status", help="only this status"),
    arg("--search", help="text in code, title or owner"),
    json=True,
)
def policies_list(ctx: AppContext, args: argparse.Namespace) -> int:
    status = PolicyStatus(args.status) if args.status else None
    emit(args, ctx.policies.list(status=status, search=args.search), POLICY_COLUMNS)
    return 0


@COMMANDS.command("show", "show one policy", arg("code", metavar="CODE"), json=True)
def policies_show(ctx: AppContext, args: argparse.Namespace) -> int:
    emit(args, ctx.policies.get(args.code))
    return 0


@COMMANDS.command(
    "set-status",
    "move a policy in its lifecycle",
    arg("code", metavar="CODE"),
    arg("status", metavar="STATUS"),
    arg("--comment"),
    needs=Needs.QUEUE,  # a status change may start workflows
)
def policies_set_status(ctx: AppContext, args: argparse.Namespace) -> int:
    before = ctx.policies.get(args.code)
    after = ctx.policies.change_status(args.actor, args.code, args.status, args.comment)
    say(f"{after.code}: {before.status} -> {after.status}")
    return 0
