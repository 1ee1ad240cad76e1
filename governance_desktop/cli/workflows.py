"""Workflow definitions: `workflows import | export | list | enable | disable | schema | run`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.identity import signer
from governance_desktop.cli.output import emit, escape_json, print_json, say
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.outfile import output_path, write_text

COMMANDS = Group("workflows", "workflow definitions")


def read_source(path: str) -> DefinitionSource:
    if path == "-":
        return DefinitionSource("<stdin>", text=sys.stdin.buffer.read())
    try:
        return DefinitionSource(path, text=Path(path).read_bytes())
    except OSError as exc:
        raise GovernanceError(f"{path}: cannot read: {exc.strerror or exc}") from None


@COMMANDS.command(
    "import",
    "import workflow files (all or none)",
    arg("files", metavar="FILE", nargs="+", help="JSON file, or - for stdin"),
)
def workflows_import(ctx: AppContext, args: argparse.Namespace) -> int:
    sources = [read_source(path) for path in args.files]
    signed = signer(ctx, args, "publishing a workflow version")
    for result in ctx.workflows.import_definitions(args.actor, sources, signer=signed):
        verb = "imported" if result.created else "updated" if result.changed else "unchanged"
        say(f"{verb}: {result.name} (version {result.version})")
    return 0


@COMMANDS.command(
    "export",
    "print or write a workflow file",
    arg("name", metavar="NAME"),
    arg("--output", metavar="FILE"),
    arg(
        "--force",
        action="store_true",
        help="replace FILE if it exists (never a file in the data folder)",
    ),
)
def workflows_export(ctx: AppContext, args: argparse.Namespace) -> int:
    text = ctx.workflows.export(args.name)
    if args.output is not None:  # --output '' is an error, not stdout
        out = output_path(args.output, "--output")
        write_text(out, ctx.protected, text + "\n", force=args.force)
        say(f"exported {args.name} to {out}")
    else:
        sys.stdout.write(escape_json(text) + "\n")
    return 0


@COMMANDS.command("list", "list workflows", json=True)
def workflows_list(ctx: AppContext, args: argparse.Namespace) -> int:
    emit(args, ctx.workflows.list(), ("name", "version", "enabled", "trigger_type"))
    return 0


@COMMANDS.command("enable", "enable a workflow", arg("name", metavar="NAME"))
def workflows_enable(ctx: AppContext, args: argparse.Namespace) -> int:
    info = ctx.workflows.set_enabled(args.actor, args.name, True)
    say(f"enabled: {info.name} (version {info.version})")
    return 0


@COMMANDS.command("disable", "disable a workflow", arg("name", metavar="NAME"))
def workflows_disable(ctx: AppContext, args: argparse.Namespace) -> int:
    info = ctx.workflows.set_enabled(args.actor, args.name, False)
    say(f"disabled: {info.name} (version {info.version})")
    return 0


@COMMANDS.command("schema", "print the JSON Schema of workflow files")
def workflows_schema(ctx: AppContext, args: argparse.Namespace) -> int:
    print_json(ctx.workflows.schema())
    return 0


@COMMANDS.command(
    "run",
    "start a workflow on one policy now",
    arg("name", metavar="NAME"),
    arg("--entity", metavar="CODE", required=True, help="the policy's code"),
    needs=Needs.QUEUE,
)
def workflows_run(ctx: AppContext, args: argparse.Namespace) -> int:
    job_id = ctx.starter.queue_workflow_execution(args.name, args.entity, args.actor)
    say(f"queued: {args.name} on {args.entity} (job {job_id})")
    return 0
