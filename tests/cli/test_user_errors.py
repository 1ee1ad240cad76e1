"""Every user error reaches the command line as one line `error: …` and exit 1, whichever layer
raised it: settings, the data folder, a newer schema, the queue file, a damaged database, a
restore source, a busy data folder, a backup target. All derive from GovernanceError, the one
type the CLI and the window catch."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance_desktop.app import open_app
from governance_desktop.config import SettingsError, load_settings
from governance_desktop.data_dir import DataDirError
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.jobs.queue import QueueConfigError
from governance_desktop.store.integrity import DamagedDatabaseError
from governance_desktop.store.lock import DataDirBusyError
from governance_desktop.store.migrate import SchemaTooNewError
from governance_desktop.store.outfile import OutputFileError
from governance_desktop.store.restore import RestoreError
from tests.helpers.rawdb import raw_db

USER_ERRORS = (
    SettingsError,
    DataDirError,
    SchemaTooNewError,
    QueueConfigError,
    DamagedDatabaseError,
    RestoreError,
    DataDirBusyError,
    OutputFileError,
)


@pytest.mark.parametrize("error", USER_ERRORS, ids=lambda e: e.__name__)
def test_every_user_error_has_the_one_base(error: type[Exception]) -> None:
    assert issubclass(error, GovernanceError)


def one_line(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 1, (result.out, result.err)
    assert result.err.startswith("error: ") and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err and "unexpected failure" not in result.err
    for word in words:
        assert word in result.err, result.err


def test_settings_error(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVERNANCE_WORKERS", "0")
    one_line(cli("policies", "list"), "invalid setting workers")


def test_data_dir_error(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    data_dir.mkdir()
    (data_dir / "notes.txt").write_text("mine")
    one_line(cli("policies", "list"), "notes.txt", "no governance.db")
    assert sorted(p.name for p in data_dir.iterdir()) == ["notes.txt"]


def test_schema_too_new_error(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("check").code == 0
    with raw_db(data_dir) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00d'")
    one_line(cli("policies", "list"), "f00d", "newer version")


def test_queue_config_error(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A queue_url that is a dangling symbolic link passes the settings check (nothing is
    there yet) and is refused when the queue opens: SQLite would follow the link."""
    link = tmp_path / "queue-link.db"
    link.symlink_to(tmp_path / "nowhere" / "queue.db")
    monkeypatch.setenv("GOVERNANCE_QUEUE_URL", str(link))
    one_line(cli("demo"), "queue_url", str(link), "not a regular file")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.sqlite_only("a damaged SQLite file")
def test_damaged_database_error(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("check").code == 0
    with open(data_dir / "governance.db", "r+b") as db:
        db.write(b"garbage, not a SQLite header")
    one_line(cli("policies", "list"), "governance.db is damaged", " restore ")


@pytest.mark.sqlite_only("backup and restore copy the SQLite file; a server database uses pg_dump")
def test_restore_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\n" * 200)
    one_line(cli("restore", str(text)), str(text), "not a governance database")


@pytest.mark.sqlite_only("the data folder's lock guards its SQLite files")
def test_data_dir_busy_error(cli, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "copy.db"
    assert cli("backup", str(copy)).code == 0
    holder = open_app(load_settings(data_dir=data_dir))  # as a running window would
    try:
        one_line(cli("restore", str(copy)), "in use by the app or a worker")
    finally:
        holder.close()
    assert cli("restore", str(copy)).code == 0


@pytest.mark.sqlite_only("backup and restore copy the SQLite file; a server database uses pg_dump")
def test_backup_target_error(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("check").code == 0
    one_line(cli("backup", str(data_dir / "governance.db"), "--force"), "inside the data folder")
