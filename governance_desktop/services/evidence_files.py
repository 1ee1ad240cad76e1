"""Writing an evidence export: the PDF (rendered by ui/evidence) and, beside it, the same
records as CSV files for spreadsheets in one zip with a manifest of SHA-256 hashes.

``FILE.pdf`` gets ``FILE-csv.zip``. A zip, not a folder: one file is written whole or not at
all through `output_file` (temp file, fsync, rename, 0600), is refused over an existing file
without --force like every export, and travels as one attachment. Cells follow the audit
export's rule (services/audit_csv.py): a cell that could start a formula gets one ``'``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from governance_desktop.domain.diff import marked_lines
from governance_desktop.services import audit_csv
from governance_desktop.services.evidence import Evidence
from governance_desktop.store.outfile import Protected, check_output, output_file

#: Fixed time stamp inside the zip: the same evidence gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Written:
    """Where an export went, and the SHA-256 of the PDF and of each file in the bundle."""

    pdf: Path
    bundle: Path
    hashes: dict[str, str]


def bundle_path(pdf: Path) -> Path:
    """The CSV bundle beside ``pdf``: ``NAME.pdf`` → ``NAME-csv.zip``."""
    return pdf.with_name(f"{pdf.stem}-csv.zip")


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _cells(values: Iterable[Any]) -> list[str]:
    return [audit_csv.neutralise("" if v is None else str(v)) for v in values]


def _csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(_cells(row))
    return out.getvalue().encode("utf-8")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def csv_files(evidence: Evidence) -> dict[str, bytes]:
    """The bundle's CSV files by name."""
    code = evidence.policy.code
    versions = _csv(
        (
            "policy", "version", "content_hash", "title", "created_by", "created_at",
            "approved_at", "published_at", "effective", "working", "signatures",
            "changes_from_previous",
        ),
        (
            (
                code,
                v.info.number,
                v.info.content_hash,
                v.title,
                v.info.created_by,
                _iso(v.info.created_at),
                _iso(v.info.approved_at),
                _iso(v.info.published_at),
                v.info.is_effective,
                v.info.is_working,
                "; ".join(s.manifestation for s in v.info.signatures),
                "\n".join(marked_lines(v.diff.body)) if v.diff.from_version else "",
            )
            for v in evidence.versions
        ),
    )  # fmt: skip
    approvals = _csv(
        (
            "policy", "approval", "execution", "workflow", "step", "approver", "status",
            "policy_version", "content_hash", "requested_at", "responded_at", "responded_by",
            "comment", "on_behalf_reason", "delegated_from", "signature_id", "signed_by",
            "printed_name", "signed_at", "meaning", "manifestation", "signed_content_hash",
        ),
        (
            (
                code, a.id, a.execution_id, a.workflow, a.step_index, a.approver, a.status,
                a.policy_version, a.content_hash, _iso(a.requested_at), _iso(a.responded_at),
                a.responded_by, a.comment, a.on_behalf_reason, a.delegated_from,
                *(
                    (s.id, s.signer, s.printed_name, _iso(s.signed_at), s.meaning,
                     s.manifestation, s.content_hash)
                    if (s := a.signature) is not None
                    else ("",) * 7
                ),
            )
            for a in evidence.approvals
        ),
    )  # fmt: skip
    executions = _csv(
        (
            "policy", "execution", "workflow", "workflow_version", "status", "trigger",
            "started_by", "created_at", "started_at", "finished_at", "steps", "error",
        ),
        (
            (
                code, e.id, e.workflow, e.workflow_version, e.status, e.trigger, e.started_by,
                _iso(e.created_at), _iso(e.started_at), _iso(e.finished_at), e.step_count,
                e.error,
            )
            for e in (x.execution for x in evidence.executions)
        ),
    )  # fmt: skip
    steps = _csv(
        (
            "execution", "step", "action", "status", "recorded_at", "job_state", "attempts",
            "enqueued_at", "started_at", "finished_at", "result",
        ),
        (
            (
                x.execution.id, s.step.step_index, s.step.action_type, s.step.status,
                _iso(s.step.created_at), s.job_state, s.attempts, _iso(s.enqueued_at),
                _iso(s.started_at), _iso(s.finished_at), _json(s.step.result),
            )
            for x in evidence.executions
            for s in x.steps
        ),
    )  # fmt: skip
    audit = _csv(
        audit_csv.COLUMNS,
        (
            (
                r.id, r.occurred_at.isoformat(), r.actor, r.action, r.entity_type,
                r.entity_id, _json(r.details), r.prev_hash, r.hash,
            )
            for r in evidence.audit
        ),
    )  # fmt: skip
    return {
        "versions.csv": versions,
        "approvals.csv": approvals,
        "executions.csv": executions,
        "steps.csv": steps,
        "audit.csv": audit,
    }


def manifest(evidence: Evidence, files: dict[str, bytes], pdf_name: str, pdf: bytes) -> str:
    """The bundle's manifest.txt: what was exported, when, by whom, the chain head, and the
    SHA-256 of the PDF and of each CSV (``sha256sum -c`` reads the hash lines)."""
    chain = evidence.chain
    lines = [
        f"# Evidence record of policy {evidence.policy.code}",
        f"# exported_at {evidence.exported_at.isoformat()}",
        f"# exported_by {evidence.exported_by} ({evidence.exported_by_name})",
        f"# audit_chain_events {chain.events}",
        f"# audit_chain_head {chain.head_hash}",
        f"# audit_chain_verified {'yes' if chain.ok else 'NO: ' + (chain.problem or '')}",
        "# " + audit_csv.RULE.removeprefix("# ").split(" Check the CSV")[0],
        f"{hashlib.sha256(pdf).hexdigest()}  {pdf_name}",
    ]
    lines += [f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in files.items()]
    return "\n".join(lines) + "\n"


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)
    return out.getvalue()


def write_evidence(
    evidence: Evidence, pdf: bytes, path: Path, protected: Protected, *, force: bool = False
) -> Written:
    """Write ``pdf`` to ``path`` and the CSV bundle beside it (`bundle_path`).

    Both targets are checked before either is written (refused in a data folder, over the
    database, over an existing file without ``force``); each is written to a temp file and
    renamed only once both are complete.
    """
    check_output(path, protected, force=force)
    bundle = bundle_path(path)
    check_output(bundle, protected, force=force)
    files = csv_files(evidence)
    text = manifest(evidence, files, path.name, pdf)
    files["manifest.txt"] = text.encode("utf-8")
    packed = _zip(files)
    with (
        output_file(path, protected, force=force) as pdf_temp,
        output_file(bundle, protected, force=force) as zip_temp,
    ):
        pdf_temp.write_bytes(pdf)
        zip_temp.write_bytes(packed)
    hashes = {path.name: hashlib.sha256(pdf).hexdigest()}
    hashes |= {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return Written(path.resolve(), bundle.resolve(), hashes)
