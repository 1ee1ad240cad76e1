"""A PostgreSQL database behind the app's schema is migrated only after a fresh pg_dump into
the data folder's backups (0600); without pg_dump on PATH it is refused in one line naming
pg_dump, unless `--no-backup` waives the dump."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance_desktop.store.db import Database
from governance_desktop.store.migrate import HEAD_REVISION, alembic_config, current_revision

pytestmark = pytest.mark.team_only("pg_dump before a PostgreSQL migration")

OLDER = "0005"


def _revision(url: str) -> str | None:
    db = Database(url)
    try:
        return current_revision(db)
    finally:
        db.dispose()


@pytest.fixture
def behind(backend: str) -> Iterator[str]:
    """The test's database brought back to revision 0005 (what an older release left)."""
    from alembic import command

    url = os.environ["GOVERNANCE_DATABASE_URL"]
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            cfg = alembic_config(db)
            cfg.attributes["connection"] = conn  # type: ignore[attr-defined]
            command.downgrade(cfg, OLDER)  # type: ignore[arg-type]
    finally:
        db.dispose()
    assert _revision(url) == OLDER
    yield url


def test_without_pg_dump_the_migration_is_refused(
    cli, behind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """PATH without pg_dump: one line naming pg_dump and --no-backup; nothing migrated."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    done = cli("check")
    assert done.code == 1
    assert done.err.count("\n") == 1 and "pg_dump is not on PATH" in done.err
    assert "--no-backup" in done.err and "nothing was migrated" in done.err
    assert _revision(behind) == OLDER


def test_no_backup_waives_the_dump(
    cli, behind: str, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """`--no-backup` migrates without pg_dump and leaves no dump."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    done = cli("--no-backup", "check")
    assert done.code == 0, done.err
    assert _revision(behind) == HEAD_REVISION
    assert not list((data_dir / "backups").glob("*.pgdump"))


def test_with_pg_dump_a_private_dump_comes_first(cli, behind: str, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """pg_dump on PATH: a custom-format dump, mode 0600, in backups/, then the migration."""
    done = cli("check", "--json")
    assert done.code == 0, done.err
    assert _revision(behind) == HEAD_REVISION
    dumps = list((data_dir / "backups").glob(f"*-rev{OLDER}-*.pgdump"))
    assert len(dumps) == 1 and done.json()["backup"] == str(dumps[0])
    assert stat.S_IMODE(dumps[0].stat().st_mode) == 0o600
    assert dumps[0].read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
