"""Migrations: empty → head, down and up again, models agree, a newer database is refused."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from governance_desktop.store import migrate
from governance_desktop.store.db import Database
from governance_desktop.store.migrate import (
    HEAD_REVISION,
    SchemaTooNewError,
    alembic_config,
    current_revision,
    upgrade_to_head,
)
from governance_desktop.store.models import Base


def _db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'governance.db'}")


def test_head_constant_matches_alembic(tmp_path: Path) -> None:
    """The cheap start-up check compares against the real Alembic head."""
    db = _db(tmp_path)
    script = ScriptDirectory.from_config(alembic_config(db))  # type: ignore[arg-type]
    assert script.get_current_head() == HEAD_REVISION
    db.dispose()


def test_upgrade_empty_to_head_then_down_and_up(tmp_path: Path) -> None:
    """A new file reaches head; downgrade to base drops every table; upgrade rebuilds them."""
    db = _db(tmp_path)
    report = upgrade_to_head(db, tmp_path / "backups")
    assert (report.from_revision, report.to_revision) == (None, HEAD_REVISION)
    assert current_revision(db) == HEAD_REVISION
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn  # type: ignore[attr-defined]
        command.downgrade(cfg, "base")  # type: ignore[arg-type]
    with sqlite3.connect(tmp_path / "governance.db") as raw:
        tables = {r[0] for r in raw.execute("select name from sqlite_master where type='table'")}
    assert tables <= {"alembic_version"}
    upgrade_to_head(db, tmp_path / "backups")
    assert current_revision(db) == HEAD_REVISION
    db.dispose()


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """Autogenerate against a migrated database finds no difference."""
    db = _db(tmp_path)
    upgrade_to_head(db, None)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    db.dispose()


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    """A revision this app does not know means a newer app wrote it: refuse, change nothing."""
    db = _db(tmp_path)
    upgrade_to_head(db, None)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00d'")
    db.dispose()
    path = tmp_path / "governance.db"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    db = _db(tmp_path)
    with pytest.raises(SchemaTooNewError, match="f00d"):
        upgrade_to_head(db, tmp_path / "backups")
    db.dispose()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "backups").exists()


def test_existing_file_is_backed_up_before_migrating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before a migration touches an existing file, a copy named by old revision is kept."""
    db = _db(tmp_path)
    upgrade_to_head(db, None)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO users (username, display_name, role, created_at) "
            "VALUES ('zoe', 'Zoe', 'admin', '2026-01-01 00:00:00')"
        )
    # Pretend this app is one revision ahead, so the file counts as older.
    monkeypatch.setattr(migrate, "HEAD_REVISION", "0002-pretend")
    report = upgrade_to_head(db, tmp_path / "backups")
    db.dispose()
    assert report.backup is not None
    assert report.backup.name.startswith(f"governance-rev{HEAD_REVISION}-")
    assert report.backup.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(report.backup) as raw:
        assert raw.execute("select username from users").fetchall() == [("zoe",)]
