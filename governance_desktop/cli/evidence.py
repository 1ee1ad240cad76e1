"""The evidence record of one policy for an auditor: `evidence export CODE --output FILE.pdf`
writes the PDF and, beside it, the same records as CSV files in ``FILE-csv.zip``."""

from __future__ import annotations

import argparse

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, arg
from governance_desktop.cli.output import terminal_safe
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.services.evidence import Evidence
from governance_desktop.services.evidence_files import bundle_path, write_evidence
from governance_desktop.store.outfile import check_output, output_path

COMMANDS = Group("evidence", "evidence records for auditors")


@COMMANDS.command(
    "export",
    "write one policy's evidence record to a PDF and its CSV bundle (FILE-csv.zip) beside it",
    arg("code", metavar="CODE"),
    arg("--output", metavar="FILE.pdf", required=True, help="the PDF to write"),
    arg("--force", action="store_true", help="replace FILE.pdf and FILE-csv.zip if they exist"),
)
def evidence_export(ctx: AppContext, args: argparse.Namespace) -> int:
    target = output_path(args.output, "the PDF file")
    evidence = ctx.evidence.collect(args.actor, args.code)
    check_output(target, ctx.protected, force=args.force)  # refused before Qt starts
    check_output(bundle_path(target), ctx.protected, force=args.force)
    pdf = _render(evidence)
    written = write_evidence(evidence, pdf, target, ctx.protected, force=args.force)
    chain = evidence.chain
    print(terminal_safe(f"wrote the evidence record of {args.code} to {written.pdf}"))
    print(terminal_safe(f"wrote its CSV bundle to {written.bundle}"))
    print(f"audit chain at export: {chain.events} events, head {chain.head_hash}")
    return 0


def _render(evidence: Evidence) -> bytes:
    try:
        from governance_desktop.ui.evidence.pdf import render_pdf
    except ImportError as exc:  # an install without PySide6
        raise GovernanceError(
            f"evidence export needs Qt (PySide6) to write the PDF, and it is missing ({exc})"
        ) from None
    return render_pdf(evidence)
