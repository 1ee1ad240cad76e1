"""Approval requests: `approvals list | show | approve | reject`; delegation (`delegate`,
`delegations`, `revoke-delegation`) and the overdue sweep (`escalate`)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.identity import signer
from governance_desktop.cli.output import emit, say
from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.domain.errors import ValidationError
from governance_desktop.services.dto import ApprovalInfo, to_jsonable

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
    if getattr(args, "json", False):  # `signature` carries the whole signature
        emit(args, rows)
        return 0
    columns = ("id", "policy", "policy_version", "workflow", "approver", "status")
    emit(args, [_signed(row) for row in rows], (*columns, "responded_by", "overdue_days", "signed"))
    return 0


@COMMANDS.command("show", "show one approval request", arg("id", metavar="ID", type=int), json=True)
def approvals_show(ctx: AppContext, args: argparse.Namespace) -> int:
    row = ctx.approvals.get(args.id)
    emit(args, row if getattr(args, "json", False) else _signed(row))
    return 0


def _signed(row: ApprovalInfo) -> dict[str, Any]:
    """``row`` for people: its signature as its manifestation ("Approved by Bob Chen on
    2026-12-03 18:23:58 UTC"), in place of the signature's fields."""
    data: dict[str, Any] = to_jsonable(row)
    data.pop("signature", None)
    data["signed"] = row.signature.manifestation if row.signature else None
    return data


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
    signed = signer(ctx, args, f"approving approval {args.id}")
    row = ctx.approvals.approve(args.id, args.actor, args.comment, args.reason, signer=signed)
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
    signed = signer(ctx, args, f"rejecting approval {args.id}")
    row = ctx.approvals.reject(args.id, args.actor, args.comment, args.reason, signer=signed)
    say(f"rejected: approval {row.id} for {row.policy} ({row.workflow})")
    return 0


def _date(text: str, option: str) -> date:
    """A calendar date typed as YYYY-MM-DD; anything else is one line naming the value."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"invalid date {text[:40]!r} (use YYYY-MM-DD)", option) from None


@COMMANDS.command(
    "delegate",
    "let another approver answer your approvals for a date range",
    arg("--to", required=True, metavar="USER", help="the delegate (an active approver or admin)"),
    arg("--from", dest="starts_on", required=True, metavar="DATE", help="first day, YYYY-MM-DD"),
    arg("--until", dest="ends_on", required=True, metavar="DATE", help="last day (included)"),
    arg("--reason"),
    arg("--for", dest="for_user", metavar="USER", help="the approver who delegates (admins)"),
)
def approvals_delegate(ctx: AppContext, args: argparse.Namespace) -> int:
    starts_on, ends_on = _date(args.starts_on, "from"), _date(args.ends_on, "until")
    row = ctx.delegations.delegate(
        args.actor, args.to, starts_on, ends_on, args.reason, args.for_user
    )
    say(
        f"delegation {row.id}: {row.delegate} answers {row.delegator}'s approvals "
        f"from {row.starts_on} to {row.ends_on}"
    )
    return 0


@COMMANDS.command(
    "delegations",
    "list delegations",
    arg("--mine", action="store_true", help="only those given or received by the actor"),
    json=True,
)
def approvals_delegations(ctx: AppContext, args: argparse.Namespace) -> int:
    rows = ctx.delegations.list(args.actor if args.mine else None)
    emit(args, rows, ("id", "delegator", "delegate", "starts_on", "ends_on", "state", "reason"))
    return 0


@COMMANDS.command(
    "revoke-delegation",
    "end a delegation now",
    arg("id", metavar="ID", type=int),
)
def approvals_revoke_delegation(ctx: AppContext, args: argparse.Namespace) -> int:
    row = ctx.delegations.revoke(args.actor, args.id)
    say(f"revoked: delegation {row.id} ({row.delegator} to {row.delegate})")
    return 0


@COMMANDS.command(
    "escalate",
    "remind approvers of overdue approvals and escalate those left waiting (admins)",
)
def approvals_escalate(ctx: AppContext, args: argparse.Namespace) -> int:
    report = ctx.escalation.escalate(args.actor)
    say(
        f"overdue approvals: {len(report.notified)} approver(s) reminded, "
        f"{len(report.escalated)} escalated"
    )
    return 0
