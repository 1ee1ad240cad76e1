"""What the engine did: executions, jobs (and `jobs retry`), tasks and notifications."""

from __future__ import annotations

import argparse

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.output import emit, print_json, print_record, print_table, say
from governance_desktop.domain.enums import ExecutionStatus, JobState
from governance_desktop.services.dto import to_jsonable

EXECUTIONS = Group("executions", "workflow executions")
JOBS = Group("jobs", "background jobs")
TASKS = Group("tasks", "tasks")
NOTIFICATIONS = Group("notifications", "notifications")

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
MINE = arg("--mine", action="store_true", help="only the actor's")


@EXECUTIONS.command(
    "list",
    "list executions",
    arg("--status", choices=[s.value for s in ExecutionStatus]),
    arg("--entity", metavar="CODE"),
    json=True,
)
def executions_list(ctx: AppContext, args: argparse.Namespace) -> int:
    status = ExecutionStatus(args.status) if args.status else None
    emit(args, ctx.monitor.executions(status=status, entity=args.entity), EXECUTION_COLUMNS)
    return 0


@EXECUTIONS.command(
    "show", "one execution and its steps", arg("id", metavar="ID", type=int), json=True
)
def executions_show(ctx: AppContext, args: argparse.Namespace) -> int:
    execution, steps = ctx.monitor.execution(args.id)
    if args.json:
        print_json({**to_jsonable(execution), "steps": to_jsonable(steps)})
        return 0
    print_record(execution)
    print()
    print_table(steps, ("step_index", "action_type", "status", "result"), empty="no steps yet")
    return 0


REASON = arg("--reason", metavar="TEXT", help="why (required; recorded and audited)")


@EXECUTIONS.command(
    "cancel",
    "cancel an open execution: its approvals expire, its tasks and queued jobs are cancelled "
    "(admin, or the person who started it)",
    arg("id", metavar="ID", type=int),
    REASON,
)
def executions_cancel(ctx: AppContext, args: argparse.Namespace) -> int:
    ended = ctx.executions.cancel(args.id, args.actor, args.reason)
    say(f"cancelled execution {args.id}: {ended.summary()}")
    return 0


@EXECUTIONS.command(
    "skip-step",
    "skip the failed step of an execution and go on with the next (admin)",
    arg("id", metavar="ID", type=int),
    REASON,
    needs=Needs.QUEUE,
)
def executions_skip_step(ctx: AppContext, args: argparse.Namespace) -> int:
    skipped = ctx.executions.skip_step(args.id, args.actor, args.reason)
    then = (
        "the execution completed"
        if skipped.next_step is None
        else f"step {skipped.next_step + 1} queued"
    )
    say(f"skipped step {skipped.step_index + 1} of execution {args.id}; {then}")
    return 0


@JOBS.command("list", "list jobs", arg("--state", choices=[s.value for s in JobState]), json=True)
def jobs_list(ctx: AppContext, args: argparse.Namespace) -> int:
    state = JobState(args.state) if args.state else None
    emit(args, ctx.monitor.jobs(state=state), JOB_COLUMNS)
    return 0


@JOBS.command(
    "retry",
    "re-run a failed job from where it stopped",
    arg("id", metavar="ID", type=int),
    needs=Needs.QUEUE,
)
def jobs_retry(ctx: AppContext, args: argparse.Namespace) -> int:
    job = ctx.jobs.retry(args.id, args.actor)
    say(f"re-queued: job {job.id} ({job.kind}, {job.workflow} on {job.entity})")
    return 0


@TASKS.command("list", "list tasks", MINE, json=True)
def tasks_list(ctx: AppContext, args: argparse.Namespace) -> int:
    rows = ctx.monitor.tasks(assignee=args.actor if args.mine else None)
    emit(args, rows, ("id", "title", "assignee", "status", "due_date", "entity", "execution_id"))
    return 0


@NOTIFICATIONS.command("list", "list notifications", MINE, json=True)
def notifications_list(ctx: AppContext, args: argparse.Namespace) -> int:
    rows = ctx.monitor.notifications(user=args.actor if args.mine else None)
    emit(args, rows, ("id", "user", "title", "entity", "execution_id", "created_at"))
    return 0
