"""The tamper-evident audit trail: `audit verify | export | verify-export`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.output import print_json, terminal_safe
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.services.audit import verify_export
from governance_desktop.services.audit_verify import TrailCheck, check_trail
from governance_desktop.services.dto import AuditVerification
from governance_desktop.store.outfile import output_path

COMMANDS = Group("audit", "the tamper-evident audit trail")


@COMMANDS.command(
    "verify",
    "check the hash chain and every electronic signature",
    arg(
        "--anchor",
        metavar="HASH",
        help="a head hash kept from an earlier export; it must still be in the trail",
    ),
    arg(
        "--quick",
        action="store_true",
        help="re-hash only the events after the latest checkpoint (a head kept by an earlier "
        "verify); the events before it are trusted, not re-hashed",
    ),
    json=True,
)
def audit_verify(ctx: AppContext, args: argparse.Namespace) -> int:
    check = check_trail(ctx.db, from_checkpoint=args.quick, anchor=args.anchor)
    chain = check.chain
    if args.json:
        print_json({**asdict(chain), **_json(check)})
    elif chain.ok:
        print(
            f"audit trail intact: {chain.events} events, head {chain.head_hash}; "
            f"{check.signatures} signatures verified"
        )
        print(terminal_safe(_walked(check, args.quick)))
    for warning in chain.warnings:  # e.g. times going backwards: reported, not failed
        sys.stderr.write(f"warning: {warning}\n")
    if not chain.ok:
        sys.stderr.write(f"error: {_broken(chain)}\n")
    for problem in check.problems:
        sys.stderr.write(f"error: {terminal_safe(problem)}\n")
    return 0 if check.ok else 1


def _walked(check: TrailCheck, quick: bool) -> str:
    """What this check re-hashed, and what it trusted."""
    start = check.started_from
    if start is not None:
        text = (
            f"re-checked from the checkpoint of {_when(start.verified_at)} at event "
            f"{start.event_id}: re-hashed the {check.walked} events after it; the "
            f"{start.events} before were verified then, not now (`audit verify` walks them all)"
        )
    else:
        text = f"walked all {check.walked} events"
        if quick:
            text += " (no checkpoint to start from)"
    if check.kept is not None:
        text += f"; checkpoint kept at event {check.kept.event_id}"
    return text


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _json(check: TrailCheck) -> dict[str, Any]:
    return {
        "ok": check.ok,
        "chain_ok": check.chain.ok,
        "walked": check.walked,
        "started_from": check.started_from,
        "signatures": check.signatures,
        "problems": list(check.problems),
        "kept": check.kept,
    }


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
