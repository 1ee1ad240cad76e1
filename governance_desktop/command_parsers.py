"""Argument definitions of every CLI command (the handlers live in commands.py)."""

from __future__ import annotations

import argparse
from typing import Any

from governance_desktop.domain.enums import ApprovalStatus, ExecutionStatus, JobState, Role


def _leaf(
    parent: Any, name: str, handler: str, help_text: str, json_flag: bool = False
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = parent.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler_name=handler)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON only")
    return parser


def _group(subparsers: Any, name: str, help_text: str) -> Any:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    return parser.add_subparsers(
        dest="subcommand", metavar="ACTION", required=True, parser_class=type(parser)
    )


def add_commands(sub: Any) -> None:
    gui = _leaf(sub, "gui", "gui", "open the window (the default)")
    gui.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run the embedded worker (a separate worker serves it)",
    )
    worker = _leaf(sub, "worker", "worker", "run a background worker")
    worker.add_argument("--workers", type=int, default=None, help="worker threads")
    worker.add_argument("--burst", action="store_true", help="exit when no job is due")
    _leaf(sub, "demo", "demo", "load demo users, policies and workflows (idempotent)")
    _leaf(
        sub,
        "check",
        "check",
        "open and migrate the data dir; check its integrity; report versions and paths",
        json_flag=True,
    )
    backup = _leaf(sub, "backup", "backup", "copy the database to FILE while the app runs")
    backup.add_argument("file", metavar="FILE")
    backup.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it exists (never a file in the data folder)",
    )
    restore = _leaf(
        sub,
        "restore",
        "restore",
        "replace the database with the backup FILE (stop the app and workers first); "
        "the current file is kept in backups/",
    )
    restore.add_argument("file", metavar="FILE")

    users = _group(sub, "users", "manage users")
    add = _leaf(users, "add", "users add", "add a user (admins only)")
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--name", help="display name")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.OFFICER.value)
    _leaf(users, "list", "users list", "list users", json_flag=True)

    policies = _group(sub, "policies", "the policy register")
    add = _leaf(policies, "add", "policies add", "add a draft policy")
    add.add_argument("code", metavar="CODE")
    add.add_argument("--title", required=True)
    add.add_argument("--owner", metavar="USERNAME", help="default: the actor")
    add.add_argument("--body", help="policy text")
    add.add_argument("--review-days", type=int, default=365, help="review interval in days")
    listing = _leaf(policies, "list", "policies list", "list policies", json_flag=True)
    listing.add_argument("--status", help="only this status")
    listing.add_argument("--search", help="text in code, title or owner")
    show = _leaf(policies, "show", "policies show", "show one policy", json_flag=True)
    show.add_argument("code", metavar="CODE")
    move = _leaf(policies, "set-status", "policies set-status", "move a policy in its lifecycle")
    move.add_argument("code", metavar="CODE")
    move.add_argument("status", metavar="STATUS")
    move.add_argument("--comment")

    workflows = _group(sub, "workflows", "workflow definitions")
    imp = _leaf(workflows, "import", "workflows import", "import workflow files (all or none)")
    imp.add_argument("files", metavar="FILE", nargs="+", help="JSON file, or - for stdin")
    exp = _leaf(workflows, "export", "workflows export", "print or write a workflow file")
    exp.add_argument("name", metavar="NAME")
    exp.add_argument("--output", metavar="FILE")
    exp.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it exists (never a file in the data folder)",
    )
    _leaf(workflows, "list", "workflows list", "list workflows", json_flag=True)
    for verb in ("enable", "disable"):
        toggle = _leaf(workflows, verb, f"workflows {verb}", f"{verb} a workflow")
        toggle.add_argument("name", metavar="NAME")
    _leaf(workflows, "schema", "workflows schema", "print the JSON Schema of workflow files")
    run = _leaf(workflows, "run", "workflows run", "start a workflow on one policy now")
    run.add_argument("name", metavar="NAME")
    run.add_argument("--entity", metavar="CODE", required=True, help="the policy's code")

    approvals = _group(sub, "approvals", "approval requests")
    listing = _leaf(approvals, "list", "approvals list", "list approvals", json_flag=True)
    listing.add_argument("--mine", action="store_true", help="only the actor's")
    listing.add_argument("--status", choices=[s.value for s in ApprovalStatus])
    approve = _leaf(approvals, "approve", "approvals approve", "approve a request")
    approve.add_argument("id", metavar="ID", type=int)
    approve.add_argument("--comment")
    reject = _leaf(approvals, "reject", "approvals reject", "reject a request (needs a reason)")
    reject.add_argument("id", metavar="ID", type=int)
    reject.add_argument("--comment", required=True)

    executions = _group(sub, "executions", "workflow executions")
    listing = _leaf(executions, "list", "executions list", "list executions", json_flag=True)
    listing.add_argument("--status", choices=[s.value for s in ExecutionStatus])
    listing.add_argument("--entity", metavar="CODE")
    show = _leaf(
        executions, "show", "executions show", "one execution and its steps", json_flag=True
    )
    show.add_argument("id", metavar="ID", type=int)

    jobs = _group(sub, "jobs", "background jobs")
    listing = _leaf(jobs, "list", "jobs list", "list jobs", json_flag=True)
    listing.add_argument("--state", choices=[s.value for s in JobState])
    retry = _leaf(jobs, "retry", "jobs retry", "re-run a failed job from where it stopped")
    retry.add_argument("id", metavar="ID", type=int)

    for name, what in (("tasks", "tasks"), ("notifications", "notifications")):
        group = _group(sub, name, what)
        listing = _leaf(group, "list", f"{name} list", f"list {what}", json_flag=True)
        listing.add_argument("--mine", action="store_true", help="only the actor's")

    audit = _group(sub, "audit", "the tamper-evident audit trail")
    verify = _leaf(audit, "verify", "audit verify", "check the hash chain", json_flag=True)
    verify.add_argument(
        "--anchor",
        metavar="HASH",
        help="a head hash kept from an earlier export; it must still be in the trail",
    )
    export = _leaf(
        audit,
        "export",
        "audit export",
        "write the trail to a CSV file and its head hash to FILE.chain.txt",
    )
    export.add_argument("file", metavar="FILE")
    export.add_argument(
        "--force", action="store_true", help="replace FILE and FILE.chain.txt if they exist"
    )
    check = _leaf(
        audit,
        "verify-export",
        "audit verify-export",
        "re-check an exported CSV's hash chain against its FILE.chain.txt",
    )
    check.add_argument("file", metavar="FILE")
