"""Shared fixtures: every test gets its own data dir; nothing touches the real user's files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance_desktop.app import AppContext

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point settings file and default data dir lookups at a temp folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("GOVERNANCE_SETTINGS_FILE", str(home / "settings.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in (
        "GOVERNANCE_DATA_DIR",
        "GOVERNANCE_DATABASE_URL",
        "GOVERNANCE_QUEUE_URL",
        "GOVERNANCE_WORKERS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def ctx(data_dir: Path) -> Iterator[AppContext]:
    from governance_desktop.app import open_app
    from governance_desktop.config import load_settings

    context = open_app(load_settings(data_dir=data_dir))
    yield context
    context.close()


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> object:
        import json

        return json.loads(self.out)


@pytest.fixture
def cli(data_dir: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the real CLI entry point in-process against the test's data dir."""
    from governance_desktop.cli import main

    def run(*args: str, actor: str | None = None) -> CliResult:
        argv = ["--data-dir", str(data_dir)]
        if actor:
            argv += ["--actor", actor]
        capsys.readouterr()
        try:
            code = main([*argv, *args])
        except SystemExit as exc:  # argparse usage errors and --help
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
