"""Connections and files: pragmas on every SQLite connection, private permissions."""

from __future__ import annotations

import stat
from contextlib import nullcontext
from pathlib import Path

import pytest
from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.store.models import Job


@pytest.mark.sqlite_only("SQLite pragmas")
def test_sqlite_pragmas(ctx: AppContext) -> None:
    """WAL, foreign keys, a busy timeout and synchronous=FULL on each connection."""
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2


@pytest.mark.sqlite_only("SQLite pragmas")
def test_unsynced_write_runs_at_normal_and_returns_the_connection_at_full(
    ctx: AppContext,
) -> None:
    """Inside, synchronous=NORMAL; after a commit or a rollback the connection is at FULL."""
    for fail in (False, True):
        expected = pytest.raises(RuntimeError) if fail else nullcontext()
        with expected, ctx.db.unsynced_write() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            assert raw.execute("PRAGMA synchronous").fetchone() == (1,)
            conn.execute(select(Job.id)).all()
            if fail:
                raise RuntimeError("roll back")
        assert raw.execute("PRAGMA synchronous").fetchone() == (2,)
        assert not raw.in_transaction


def test_data_dir_and_files_are_private(ctx: AppContext, data_dir: Path) -> None:
    """The data folder is 0700 and the database and lock files 0600 (the whole data dir under
    umask 0, with queue, logs and backups: tests/reliability/test_hostile_env.py)."""
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert (data_dir / "governance.lock").exists()
    for name in ("governance.db", "governance.db-wal", "governance.lock"):
        path = data_dir / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    for sub in ("logs", "backups"):
        assert stat.S_IMODE((data_dir / sub).stat().st_mode) == 0o700


def test_first_open_makes_os_user_admin(ctx: AppContext) -> None:
    """A new install creates the OS user as its admin."""
    from governance_desktop.services.users import os_username

    users = ctx.users.list()
    assert [(u.username, u.role) for u in users] == [(os_username(), "admin")]
