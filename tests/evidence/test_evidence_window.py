"""The policy page's "Export evidence…" button, with real widgets offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QLabel, QPushButton

from governance_desktop.ui.pages.policies.page import PoliciesPage
from tests.helpers.pages import make_page
from tests.ui.conftest import demo_dir, ui_ctx  # noqa: F401


def test_button_exports_the_selected_policy(qtbot, ui_ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Clicking the button with POL-001 selected writes its PDF and CSV bundle where the
    dialog said, and says so next to the button."""
    page = make_page(qtbot, PoliciesPage(ui_ctx))
    qtbot.waitUntil(lambda: page.model.rowCount() == 12, timeout=5000)
    assert page.select_code("POL-001")
    target = tmp_path / "pol-001.pdf"
    page.evidence.ask_path = lambda code: str(target)
    button = page.findChild(QPushButton, "exportEvidenceButton")
    with qtbot.waitSignal(page.evidence.exported, timeout=20_000):
        button.click()
    assert target.read_bytes().startswith(b"%PDF")
    assert (tmp_path / "pol-001-csv.zip").is_file()
    assert "Wrote" in page.findChild(QLabel, "exportEvidenceMessage").text()


def test_a_refusal_is_shown_next_to_the_button(qtbot, ui_ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A path in the data folder is refused in one line beside the button; nothing written."""
    page = make_page(qtbot, PoliciesPage(ui_ctx))
    qtbot.waitUntil(lambda: page.model.rowCount() == 12, timeout=5000)
    assert page.select_code("POL-002")
    inside = ui_ctx.app.settings.data_dir / "evidence.pdf"
    page.evidence.ask_path = lambda code: str(inside)
    with qtbot.waitSignal(page.evidence.failed, timeout=20_000):
        page.findChild(QPushButton, "exportEvidenceButton").click()
    message = page.findChild(QLabel, "exportEvidenceMessage").text()
    assert message.startswith("Not exported: refusing") and "\n" not in message
    assert not inside.exists()
