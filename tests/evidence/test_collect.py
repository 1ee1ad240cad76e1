"""The evidence of one policy, collected and written as its CSV bundle (no Qt needed)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import GovernanceError, PermissionDeniedError
from governance_desktop.services.evidence_files import bundle_path, write_evidence
from tests.evidence.conftest import APPROVER, AUDITOR

PDF = b"%PDF-1.4 stand-in for the Qt-painted PDF\n"


def test_collect_holds_versions_approvals_executions_audit_and_chain(demo: AppContext) -> None:
    """The evidence of POL-001 has both versions with hashes and signatures, bob's signed
    approval, the Standard approval's execution with its steps, the policy's audit events
    with their links, and the chain head the whole trail verifies to."""
    ev = demo.evidence.collect(AUDITOR, "POL-001")
    assert ev.policy.code == "POL-001" and ev.exported_by == AUDITOR
    versions = demo.policy_versions.versions(AUDITOR, "POL-001")
    assert [v.info.content_hash for v in ev.versions] == [v.content_hash for v in versions]
    assert ev.versions[0].info.signatures[0].meaning == "Published"
    assert ev.versions[0].diff.from_version is None
    assert ev.versions[1].diff.from_version is not None and ev.versions[1].diff.changed
    listed = [a for a in demo.approvals.list() if a.policy == "POL-001"]
    assert list(ev.approvals) == listed
    bob = next(a for a in ev.approvals if a.approver == "bob")
    assert bob.signature is not None
    assert bob.signature.manifestation.startswith("Approved by Bob Chen on ")
    assert bob.signature.manifestation.endswith(" UTC")
    assert [x.execution.id for x in ev.executions] == [bob.execution_id]
    _, steps = demo.monitor.execution(bob.execution_id)
    assert [s.step for s in ev.executions[0].steps] == steps
    actions = {r.action for r in ev.audit}
    assert {"policy.created", "approval.approved", "signature.applied"} <= actions
    assert all(r.entity_id == "POL-001" or r.entity_type != "policy" for r in ev.audit)
    verdict = demo.audit.verify()
    assert (ev.chain.ok, ev.chain.events, ev.chain.head_hash) == (
        True,
        verdict.events,
        verdict.head_hash,
    )
    assert ev.audit[-1].hash in {e.hash for e in demo.audit.events(limit=10_000)}


def test_an_approver_may_not_export(demo: AppContext) -> None:
    """Exporting evidence needs Permission.EXPORT: an approver is refused in one line."""
    with pytest.raises(PermissionDeniedError) as refused:
        demo.evidence.collect(APPROVER, "POL-001")
    message = str(refused.value)
    assert "\n" not in message and message.endswith("(rule: role)")
    assert APPROVER in message


def _read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_csv_bundle_matches_the_evidence_and_its_manifest(demo: AppContext, tmp_path: Path) -> None:
    """FILE.pdf gets FILE-csv.zip: versions, approvals (with the signature's manifestation),
    executions, steps and audit CSVs, and a manifest with each file's SHA-256 (the PDF's too)."""
    ev = demo.evidence.collect(AUDITOR, "POL-001")
    target = tmp_path / "POL-001.pdf"
    written = write_evidence(ev, PDF, target, demo.protected)
    assert written.pdf == target.resolve() and written.bundle == bundle_path(target).resolve()
    assert target.read_bytes() == PDF
    files = _read_zip(written.bundle)
    assert set(files) == {
        "versions.csv", "approvals.csv", "executions.csv", "steps.csv", "audit.csv",
        "manifest.txt",
    }  # fmt: skip
    manifest = files["manifest.txt"].decode()
    assert f"{hashlib.sha256(PDF).hexdigest()}  POL-001.pdf" in manifest
    for name, data in files.items():
        if name != "manifest.txt":
            assert f"{hashlib.sha256(data).hexdigest()}  {name}" in manifest
    assert f"audit_chain_head {ev.chain.head_hash}" in manifest
    versions = _rows(files["versions.csv"])
    assert [r["content_hash"] for r in versions] == [v.info.content_hash for v in ev.versions]
    approvals = {r["approval"]: r for r in _rows(files["approvals.csv"])}
    for a in ev.approvals:
        row = approvals[str(a.id)]
        assert row["content_hash"] == (a.content_hash or "")
        assert row["manifestation"] == (a.signature.manifestation if a.signature else "")
        if a.signature:
            assert row["printed_name"] == a.signature.printed_name
            assert row["meaning"] == a.signature.meaning
    assert [r["execution"] for r in _rows(files["executions.csv"])] == [
        str(x.execution.id) for x in ev.executions
    ]
    assert len(_rows(files["steps.csv"])) == sum(len(x.steps) for x in ev.executions)
    audit = _rows(files["audit.csv"])
    assert [(r["prev_hash"], r["hash"]) for r in audit] == [(r.prev_hash, r.hash) for r in ev.audit]


@pytest.mark.parametrize("where", ["data folder", "database", "existing", "missing folder"])
def test_a_bad_output_path_is_refused_and_nothing_is_written(
    demo: AppContext, tmp_path: Path, where: str
) -> None:
    """The data folder, the database itself, an existing file without force, a folder that
    does not exist: one line, and neither the PDF nor the bundle is written."""
    ev = demo.evidence.collect(AUDITOR, "POL-001")
    folder = demo.settings.data_dir
    target = {
        "data folder": folder / "evidence.pdf",
        "database": folder / "governance.db",
        "existing": tmp_path / "there.pdf",
        "missing folder": tmp_path / "nowhere" / "evidence.pdf",
    }[where]
    if where == "existing":
        target.write_bytes(b"keep me")
    before = {p: p.stat().st_mtime_ns for p in (*folder.rglob("*"), *tmp_path.rglob("*"))}
    with pytest.raises(GovernanceError) as refused:
        write_evidence(ev, PDF, target, demo.protected)
    assert "\n" not in str(refused.value) and "refusing" in str(refused.value)
    after = {p: p.stat().st_mtime_ns for p in (*folder.rglob("*"), *tmp_path.rglob("*"))}
    assert {p for p in after if p.name.endswith((".pdf", ".zip"))} == {
        p for p in before if p.name.endswith((".pdf", ".zip"))
    }
    assert not bundle_path(target).exists()
    if where == "existing":
        assert target.read_bytes() == b"keep me"
