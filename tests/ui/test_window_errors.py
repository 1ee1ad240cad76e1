"""User errors in the window: a background call that raises one (a bad setting, someone
else's folder as the data folder) shows its own line in the status bar, never "unexpected
failure" (they share one base, GovernanceError, the type the window catches)."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance_desktop.config import load_settings
from governance_desktop.data_dir import prepare_data_dir


def _shown_error(window, qtbot, call) -> str:  # type: ignore[no-untyped-def]
    bar = window.statusBar()
    bar.clearMessage()
    window.ui.background.write(call)  # no `failed`: the window's own show_error
    qtbot.waitUntil(lambda: bar.currentMessage().startswith("Error: "), timeout=10_000)
    return str(bar.currentMessage())


def test_a_settings_error_shows_its_own_line(  # type: ignore[no-untyped-def]
    window, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERNANCE_WORKERS", "0")
    shown = _shown_error(window, qtbot, load_settings)
    assert shown.startswith("Error: invalid setting workers"), shown
    assert "unexpected failure" not in shown


def test_a_data_dir_error_shows_its_own_line(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    shown = _shown_error(window, qtbot, lambda: prepare_data_dir(foreign))
    assert shown.startswith(f"Error: the data folder {foreign} already holds other files"), shown
    assert "unexpected failure" not in shown
