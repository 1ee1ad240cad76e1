"""Connections and files: pragmas on every SQLite connection, private permissions."""

from __future__ import annotations

import stat
from pathlib import Path

from governance_desktop.app import AppContext


def test_sqlite_pragmas(ctx: AppContext) -> None:
    """WAL, foreign keys, a busy timeout and synchronous=FULL on each connection."""
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2


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
