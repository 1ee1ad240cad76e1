"""The tamper-evident audit trail: `audit verify | export | verify-export`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.output import print_json, terminal_safe
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.services.audit import verify_export
from governance_desktop.services.dto import AuditVerification
from governance_desktop.store.outfile import output_path

COMMANDS = Group("audit", "the tamper-evident audit trail")


@COMMANDS.command(
    "verify",
    "check the hash chain",
    arg(
        "--anchor",
        metavar="HASH",
        help="a head hash kept from an earlier export; it must still be in the trail",
    ),
    json=True,
)
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


@COMMANDS.command(
    "export",
    "write the trail to a CSV file and its head hash to FILE.chain.txt",
    arg("file", metavar="FILE"),
    arg("--force", action="store_true", help="replace FILE and FILE.chain.txt if they exist"),
)
def audit_export(ctx: AppContext, args: argparse.Namespace) -> int:
    target = output_path(args.file, "the CSV file")
    result = ctx.audit.export_csv(target, ctx.protected, actor=args.actor, force=args.force)
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


@COMMANDS.command(
    "verify-export",
    "re-check an exported CSV's hash chain against its FILE.chain.txt",
    arg("file", metavar="FILE"),
    needs=Needs.FILES,  # needs no data folder: an auditor runs it anywhere
)
def audit_verify_export(args: argparse.Namespace) -> int:
    if not args.file.strip():
        raise GovernanceError("the CSV file is empty: name the export to check")
    result = verify_export(Path(args.file))
    if not result.ok:
        sys.stderr.write(f"error: export broken: {terminal_safe(result.problem or '')}\n")
        return 1
    print(f"export intact: {result.events} events, head {result.head_hash}")
    return 0
