"""The policy register: `policies add | list | show | edit | versions | diff | set-status`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.identity import signer
from governance_desktop.cli.output import emit, print_json, print_record, print_table, say
from governance_desktop.domain.diff import marked_lines
from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.services.dto import to_jsonable
from governance_desktop.services.policy_versions import VersionDiff, VersionInfo, VersionText

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


@COMMANDS.command(
    "show",
    "show one policy, its effective version and its working revision",
    arg("code", metavar="CODE"),
    json=True,
)
def policies_show(ctx: AppContext, args: argparse.Namespace) -> int:
    policy = ctx.policies.get(args.code)
    document = ctx.policy_versions.document(args.actor, args.code)
    if args.json:
        print_json(
            {**to_jsonable(policy), "effective": document.effective, "working": document.working}
        )
        return 0
    print_record(
        {
            **to_jsonable(policy),
            "effective": _version_line(document.effective),
            "working": _version_line(document.working),
        }
    )
    return 0


def _version_line(version: VersionText | None) -> str | None:
    if version is None:
        return None
    return f"v{version.number} ({_version_state(version)}), saved by {version.created_by}"


def _version_state(version: VersionInfo | VersionText) -> str:
    if version.is_effective:
        return "effective"
    if version.published_at is not None:
        return "published before"
    if version.approved_at is not None:
        return "approved"
    return "working" if version.is_working else "superseded"


def read_body(path: str) -> str:
    """The text of ``--body-file`` (``-``: standard input), UTF-8."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise GovernanceError(f"--body-file {path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GovernanceError(
            f"--body-file {path}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})"
        ) from None


@COMMANDS.command(
    "edit",
    "change a policy's title, text, owner or review interval (saves a new version)",
    arg("code", metavar="CODE"),
    arg("--title"),
    arg("--body-file", metavar="FILE", help="the new text from FILE (UTF-8), or - for stdin"),
    arg("--owner", metavar="USERNAME"),
    arg("--review-days", type=int, metavar="N", help="review interval in days"),
    needs=Needs.QUEUE,  # an edit may start workflows
)
def policies_edit(ctx: AppContext, args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.title is not None:
        changes["title"] = args.title
    if args.owner is not None:
        changes["owner"] = args.owner
    if args.review_days is not None:
        changes["review_interval_days"] = args.review_days
    if args.body_file is not None:
        changes["body"] = read_body(args.body_file)
    if not changes:
        raise GovernanceError(
            f"nothing to change in {args.code}: give --title, --body-file, --owner or --review-days"
        )
    before = ctx.policies.get(args.code)
    after = ctx.policies.update(args.actor, args.code, **changes)
    if after.version == before.version:
        say(f"{after.code}: nothing changed (version {after.version})")
        return 0
    note = ""
    if after.effective_version is not None and after.version > after.effective_version:
        note = (
            f"; revision v{after.version} is {after.status}, "
            f"v{after.effective_version} stays effective"
        )
    say(f"edited {after.code}: version {after.version} saved{note}")
    return 0


VERSION_COLUMNS = (
    "version",
    "state",
    "saved_by",
    "saved_at",
    "approved_at",
    "published_at",
    "hash",
)


@COMMANDS.command(
    "versions", "list a policy's saved versions", arg("code", metavar="CODE"), json=True
)
def policies_versions(ctx: AppContext, args: argparse.Namespace) -> int:
    versions = ctx.policy_versions.versions(args.actor, args.code)
    if args.json:
        print_json(versions)
        return 0
    rows = [
        {
            "version": f"v{v.number}",
            "state": _version_state(v),
            "saved_by": v.created_by,
            "saved_at": v.created_at,
            "approved_at": v.approved_at,
            "published_at": v.published_at,
            "hash": v.content_hash[:12],
        }
        for v in versions
    ]
    print_table(rows, VERSION_COLUMNS)
    return 0


@COMMANDS.command(
    "diff",
    "what changed between two versions (default: the effective one and the working revision)",
    arg("code", metavar="CODE"),
    arg("--from", dest="from_n", type=int, metavar="N", help="the older version"),
    arg("--to", dest="to_n", type=int, metavar="M", help="the newer version"),
    json=True,
)
def policies_diff(ctx: AppContext, args: argparse.Namespace) -> int:
    diff = ctx.policy_versions.diff(args.actor, args.code, args.from_n, args.to_n)
    if args.json:
        print_json(
            {
                "code": diff.code,
                "from_version": diff.from_version,
                "to_version": diff.to_version,
                "changed": diff.changed,
                "fields": diff.fields,
                "body": diff.body,
            }
        )
        return 0
    for line in diff_lines(diff):
        say(line)
    return 0


def _label(version: VersionInfo | None) -> str:
    if version is None:
        return "nothing"
    marks = [
        m for m, on in (("effective", version.is_effective), ("working", version.is_working)) if on
    ]
    return f"v{version.number}" + (f" ({', '.join(marks)})" if marks else "")


def diff_lines(diff: VersionDiff) -> list[str]:
    """The text form of a diff: a heading, the changed fields, then the marked text."""
    lines = [f"{diff.code}: {_label(diff.from_version)} -> {_label(diff.to_version)}"]
    changed = [f for f in diff.fields if f.changed]
    for change in changed:
        lines.append(f"{change.field}: {change.old!r} -> {change.new!r}")
    if not changed:
        lines.append("fields: unchanged")
    if all(s.op == "equal" for s in diff.body):
        lines.append("text: unchanged")
        return lines
    old = f"v{diff.from_version.number}" if diff.from_version else "nothing"
    lines += [f"--- {old}", f"+++ v{diff.to_version.number}", *marked_lines(diff.body)]
    return lines


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
    signed = None
    if args.status in (PolicyStatus.PUBLISHED.value, PolicyStatus.RETIRED.value):
        signed = signer(ctx, args, f"moving {args.code} to {args.status}")
    after = ctx.policies.change_status(
        args.actor, args.code, args.status, args.comment, signer=signed
    )
    say(f"{after.code}: {before.status} -> {after.status}")
    return 0
