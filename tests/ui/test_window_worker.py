"""Desktops are clients (issue 18): in team mode the window starts no worker of its own unless
GOVERNANCE_WINDOW_WORKER=true; in single-user mode it does, as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance_desktop.ui.launch import create_main_window


def _window_worker_started(qtbot, data_dir: Path) -> bool:  # type: ignore[no-untyped-def]
    win = create_main_window(data_dir)  # no embedded_worker: as the settings say
    qtbot.addWidget(win)
    try:
        runtime = win.ui.runtime
        assert runtime is not None
        return runtime.started
    finally:
        win.shutdown()


@pytest.mark.team_only("team mode: PostgreSQL and Redis")
def test_team_window_runs_no_worker(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert not _window_worker_started(qtbot, data_dir)


@pytest.mark.team_only("team mode: PostgreSQL and Redis")
def test_team_window_runs_a_worker_when_asked(  # type: ignore[no-untyped-def]
    qtbot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERNANCE_WINDOW_WORKER", "true")
    assert _window_worker_started(qtbot, data_dir)


@pytest.mark.sqlite_only("single-user mode: the data folder's SQLite files")
def test_single_user_window_runs_its_worker(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert _window_worker_started(qtbot, data_dir)
