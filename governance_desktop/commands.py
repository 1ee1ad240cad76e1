"""CLI sub-commands: each parses its arguments and calls a service. No rules live here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import (
    ApprovalStatus,
    ExecutionStatus,
    JobState,
    PolicyStatus,
    Role,
)
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.output import (
    escape_json,
    print_json,
    print_record,
    print_table,
    terminal_safe,
)
from governance_desktop.services.audit import verify_export
from governance_desktop.services.demo import seed_demo
from governance_desktop.services.dto import AuditVerification, to_jsonable
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.outfile import output_path, write_text

Handler = Callable[[AppContext, argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}
POLICY_COLUMNS = ("code", "title", "status", "owner", "assignee", "next_review_date", "version")


def command(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        COMMANDS[name] = func
        return func

    return register


def example_sources() -> list[DefinitionSource]:
    folder = resources.files("governance_desktop") / "resources" / "examples"
    return [
        DefinitionSource(f"examples/{item.name}", text=item.read_bytes())
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".json")
    ]


def read_source(path: str) -> DefinitionSource:
    if path == "-":
        return DefinitionSource("<stdin>", text=sys.stdin.buffer.read())
    try:
        return DefinitionSource(path, text=Path(path).read_bytes())
    except OSError as exc:
        raise GovernanceError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _say(text: str) -> None:
    """Print one line that may hold names or titles, control characters shown escaped."""
    print(terminal_safe(text))


def _emit(args: argparse.Namespace, value: Any, columns: tuple[str, ...] = ()) -> None:
    if getattr(args, "json", False):
        print_json(value)
    elif isinstance(value, list):
        print_table(value, columns)
    else:
        print_record(value)


# --- app-level commands -------------------------------------------------------------------


@command("gui")
def gui(ctx: AppContext, args: argparse.Namespace) -> int:
    from governance_desktop.ui.launch import run_gui

    return run_gui(ctx, ctx.queue, args.actor, embedded_worker=not args.no_worker)


@command("worker")
def worker(ctx: AppContext, args: argparse.Namespace) -> int:
    assert ctx.queue is not None
    if args.workers is not None and not 1 <= args.workers <= 32:
        raise GovernanceError(f"--workers {args.workers}: use 1 to 32")
    return ctx.queue.run_worker(burst=args.burst, has_due_work=ctx.tracker.has_due_work)


@command("demo")
def demo(ctx: AppContext, args: argparse.Namespace) -> int:
    report = seed_demo(args.actor, ctx.users, ctx.policies, ctx.workflows, example_sources())
    changed = [w.name for w in report.workflows if w.changed]
    print(
        f"demo data in {ctx.settings.data_dir}: "
        f"{len(report.users_added)} users, {len(report.policies_added)} policies, "
        f"{len(changed)} workflows added (existing ones left as they were)"
    )
    return 0


# --- users ---------------------------------------------------------------------------------


@command("users add")
def users_add(ctx: AppContext, args: argparse.Namespace) -> int:
    user = ctx.users.add(args.actor, args.username, args.name or "", Role(args.role))
    _say(f"added {user.username} ({user.role})")
    return 0


@command("users list")
def users_list(ctx: AppContext, args: argparse.Namespace) -> int:
    _emit(args, ctx.users.list(), ("username", "display_name", "role"))
    return 0


# --- policies ------------------------------------------------------------------------------


@command("policies add")
def policies_add(ctx: AppContext, args: argparse.Namespace) -> int:
    policy = ctx.policies.add(
        args.actor,
        args.code,
        args.title,
        body=args.body or "",
        owner=args.owner,
        review_interval_days=args.review_days,
    )
    _say(f"added {policy.code} ({policy.status})")
    return 0


@command("policies list")
def policies_list(ctx: AppContext, args: argparse.Namespace) -> int:
    status = PolicyStatus(args.status) if args.status else None
    _emit(args, ctx.policies.list(status=status, search=args.search), POLICY_COLUMNS)
    return 0


@command("policies show")
def policies_show(ctx: AppContext, args: argparse.Namespace) -> int:
    _emit(args, ctx.policies.get(args.code))
    return 0


@command("policies set-status")
def policies_set_status(ctx: AppContext, args: argparse.Namespace) -> int:
    before = ctx.policies.get(args.code)
    after = ctx.policies.change_status(args.actor, args.code, args.status, args.comment)
    _say(f"{after.code}: {before.status} -> {after.status}")
    return 0


# --- workflows -----------------------------------------------------------------------------


@command("workflows import")
def workflows_import(ctx: AppContext, args: argparse.Namespace) -> int:
    sources = [read_source(path) for path in args.files]
    for result in ctx.workflows.import_definitions(args.actor, sources):
        verb = "imported" if result.created else "updated" if result.changed else "unchanged"
        _say(f"{verb}: {result.name} (version {result.version})")
    return 0


@command("workflows export")
def workflows_export(ctx: AppContext, args: argparse.Namespace) -> int:
    text = ctx.workflows.export(args.name)
    if args.output is not None:  # --output '' is an error, not stdout
        out = output_path(args.output, "--output")
        write_text(out, ctx.protected, text + "\n", force=args.force)
        _say(f"exported {args.name} to {out}")
    else:
        sys.stdout.write(escape_json(text) + "\n")
    return 0


@command("workflows list")
def workflows_list(ctx: AppContext, args: argparse.Namespace) -> int:
    _emit(args, ctx.workflows.list(), ("name", "version", "enabled", "trigger_type"))
    return 0


@command("workflows enable")
def workflows_enable(ctx: AppContext, args: argparse.Namespace) -> int:
    info = ctx.workflows.set_enabled(args.actor, args.name, True)
    _say(f"enabled: {info.name} (version {info.version})")
    return 0


@command("workflows disable")
def workflows_disable(ctx: AppContext, args: argparse.Namespace) -> int:
    info = ctx.workflows.set_enabled(args.actor, args.name, False)
    _say(f"disabled: {info.name} (version {info.version})")
    return 0


@command("workflows schema")
def workflows_schema(ctx: AppContext, args: argparse.Namespace) -> int:
    print_json(ctx.workflows.schema())
    return 0


# --- audit ---------------------------------------------------------------------------------


@command("audit verify")
def audit_verify(ctx: AppContext, args: argparse.Namespace) -> int:
    result = ctx.audit.verify(args.anchor)
    if args.json:
        print_json(result)
    elif result.ok:
        print(f"audit trail intact: {result.events} events, head {result.head_hash}")
    for warning in result.warnings:  # e.g. times going backwards: reported, not failed
        sys.stderr.write(f"warning: {warning}\n")
    if not result.ok:
        sys.stderr.write(f"error: {_broken(result)}\n")
        return 1
    return 0


def _broken(result: AuditVerification) -> str:
    if result.first_bad_id is None:
        return f"audit trail broken: {result.problem}"
    return f"audit trail broken at event {result.first_bad_id}: {result.problem}"


@command("audit export")
def audit_export(ctx: AppContext, args: argparse.Namespace) -> int:
    target = output_path(args.file, "the CSV file")
    result = ctx.audit.export_csv(target, ctx.protected, force=args.force)
    print(
        terminal_safe(
            f"exported {result.events} events to {target}; head hash {result.head_hash} "
            f"(also in {target.name}.chain.txt)"
        )
    )
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    if not result.ok:
        sys.stderr.write(f"error: {_broken(result)}\n")
        return 1
    return 0


def audit_verify_export(args: argparse.Namespace) -> int:
    """`audit verify-export FILE`: needs no data folder (an auditor runs it anywhere)."""
    if not args.file.strip():
        raise GovernanceError("the CSV file is empty: name the export to check")
    result = verify_export(Path(args.file))
    if not result.ok:
        sys.stderr.write(f"error: export broken: {terminal_safe(result.problem or '')}\n")
        return 1
    print(f"export intact: {result.events} events, head {result.head_hash}")
    return 0


# --- engine: runs, approvals, executions, jobs, tasks, notifications --------------------

EXECUTION_COLUMNS = (
    "id",
    "workflow",
    "workflow_version",
    "entity",
    "status",
    "current_step",
    "step_count",
    "error",
)
JOB_COLUMNS = ("id", "kind", "state", "attempts", "workflow", "entity", "step_index", "message")


@command("workflows run")
def workflows_run(ctx: AppContext, args: argparse.Namespace) -> int:
    job_id = ctx.starter.queue_workflow_execution(args.name, args.entity, args.actor)
    _say(f"queued: {args.name} on {args.entity} (job {job_id})")
    return 0


@command("approvals list")
def approvals_list(ctx: AppContext, args: argparse.Namespace) -> int:
    status = ApprovalStatus(args.status) if args.status else None
    rows = ctx.approvals.list(approver=args.actor if args.mine else None, status=status)
    _emit(args, rows, ("id", "policy", "workflow", "approver", "status", "execution_id", "comment"))
    return 0


@command("approvals approve")
def approvals_approve(ctx: AppContext, args: argparse.Namespace) -> int:
    row = ctx.approvals.approve(args.id, args.actor, args.comment)
    _say(f"approved: approval {row.id} for {row.policy} ({row.workflow})")
    return 0


@command("approvals reject")
def approvals_reject(ctx: AppContext, args: argparse.Namespace) -> int:
    row = ctx.approvals.reject(args.id, args.actor, args.comment)
    _say(f"rejected: approval {row.id} for {row.policy} ({row.workflow})")
    return 0


@command("executions list")
def executions_list(ctx: AppContext, args: argparse.Namespace) -> int:
    status = ExecutionStatus(args.status) if args.status else None
    _emit(args, ctx.monitor.executions(status=status, entity=args.entity), EXECUTION_COLUMNS)
    return 0


@command("executions show")
def executions_show(ctx: AppContext, args: argparse.Namespace) -> int:
    execution, steps = ctx.monitor.execution(args.id)
    if args.json:
        print_json({**to_jsonable(execution), "steps": to_jsonable(steps)})
        return 0
    print_record(execution)
    print()
    print_table(steps, ("step_index", "action_type", "status", "result"), empty="no steps yet")
    return 0


@command("jobs list")
def jobs_list(ctx: AppContext, args: argparse.Namespace) -> int:
    state = JobState(args.state) if args.state else None
    _emit(args, ctx.monitor.jobs(state=state), JOB_COLUMNS)
    return 0


@command("jobs retry")
def jobs_retry(ctx: AppContext, args: argparse.Namespace) -> int:
    job = ctx.monitor.retry_job(args.id, args.actor)
    _say(f"re-queued: job {job.id} ({job.kind}, {job.workflow} on {job.entity})")
    return 0


@command("tasks list")
def tasks_list(ctx: AppContext, args: argparse.Namespace) -> int:
    rows = ctx.monitor.tasks(assignee=args.actor if args.mine else None)
    _emit(args, rows, ("id", "title", "assignee", "status", "due_date", "entity", "execution_id"))
    return 0


@command("notifications list")
def notifications_list(ctx: AppContext, args: argparse.Namespace) -> int:
    rows = ctx.monitor.notifications(user=args.actor if args.mine else None)
    _emit(args, rows, ("id", "user", "title", "entity", "execution_id", "created_at"))
    return 0
