"""The evidence PDF read back with pypdf, its first page as a PNG, and `evidence export`."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pypdf = pytest.importorskip("pypdf")

from governance_desktop.app import AppContext  # noqa: E402
from governance_desktop.ui.evidence.pdf import first_page_image, render_pdf  # noqa: E402
from tests.evidence.conftest import APPROVER, AUDITOR  # noqa: E402


def pdf_text(path: Path) -> str:
    """All pages' text, white space collapsed and ligatures undone (as a reader copies it)."""
    reader = pypdf.PdfReader(str(path))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_pdf_holds_the_evidence(demo: AppContext, tmp_path: Path) -> None:
    """The PDF's text has the code, every version's hash, each signature's manifestation,
    the execution, every listed audit event's hash and the chain head; page 1 is saved as
    a PNG for a person to look at."""
    ev = demo.evidence.collect(AUDITOR, "POL-001")
    path = tmp_path / "POL-001.pdf"
    path.write_bytes(render_pdf(ev))
    text = pdf_text(path)
    assert "POL-001" in text
    for version in ev.versions:
        assert version.info.content_hash in text
    signed = [a.signature for a in ev.approvals if a.signature is not None]
    assert signed
    for signature in signed:
        assert signature.manifestation in text
    assert "Approved by Bob Chen on " in text
    for x in ev.executions:
        assert f"Execution {x.execution.id}" in text
    for event in ev.audit:
        assert event.hash in text
    assert ev.chain.head_hash in text
    assert "Page 1 of" in text
    png = tmp_path / "evidence-page1.png"
    assert first_page_image(ev).save(str(png))
    assert png.stat().st_size > 10_000
    if os.environ.get("EVIDENCE_PNG"):  # to look at it: EVIDENCE_PNG=/some/file.png
        first_page_image(ev).save(os.environ["EVIDENCE_PNG"])


def test_cli_export_writes_the_pdf_and_bundle(demo: AppContext, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`evidence export CODE --output FILE.pdf` as an auditor prints where both went."""
    target = tmp_path / "out" / "evidence.pdf"
    target.parent.mkdir()
    result = cli("evidence", "export", "POL-001", "--output", str(target), actor=AUDITOR)
    assert result.code == 0, result.err
    assert str(target.resolve()) in result.out
    assert str((tmp_path / "out" / "evidence-csv.zip").resolve()) in result.out
    assert "POL-001" in pdf_text(target)
    again = cli("evidence", "export", "POL-001", "--output", str(target), actor=AUDITOR)
    assert again.code == 1 and "--force" in again.err and len(again.err.splitlines()) == 1
    forced = cli("evidence", "export", "POL-001", "--output", str(target), "--force", actor=AUDITOR)
    assert forced.code == 0, forced.err


def test_cli_refuses_an_approver_and_bad_paths(demo: AppContext, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An approver gets one line naming the rule; a path in the data folder one line; and
    nothing is written either way."""
    target = tmp_path / "evidence.pdf"
    refused = cli("evidence", "export", "POL-001", "--output", str(target), actor=APPROVER)
    assert refused.code == 1 and refused.err.strip().endswith("(rule: role)")
    assert len(refused.err.splitlines()) == 1
    inside = demo.settings.data_dir / "evidence.pdf"
    bad = cli("evidence", "export", "POL-001", "--output", str(inside), actor=AUDITOR)
    assert bad.code == 1 and "data folder" in bad.err and len(bad.err.splitlines()) == 1
    unknown = cli("evidence", "export", "NOPE-1", "--output", str(target), actor=AUDITOR)
    assert unknown.code == 1 and "NOPE-1" in unknown.err
    assert not any(p.suffix in (".pdf", ".zip") for p in tmp_path.rglob("*"))
    assert not any(p.suffix in (".pdf", ".zip") for p in demo.settings.data_dir.rglob("*"))
