"""Bring a database to the app's schema: back up first, refuse a newer one, import Alembic lazily.

Alembic costs about 0.75 s to import, so the common case (already at head) is decided by
reading `alembic_version` directly. The backup before migrating a database behind head is a
copy of the file on SQLite and a fresh `pg_dump` on PostgreSQL; without `pg_dump` on PATH a
PostgreSQL database is not migrated unless the backup is waived (`--no-backup`, or the
setting `migration_backup = false`).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.store.backup import backup_sqlite
from governance_desktop.store.db import (
    Database,
    create_private,
    make_private_dirs,
    redact_text,
    redact_url,
    sqlite_path,
)

log = logging.getLogger(__name__)

# The newest revision this app knows; a test checks it equals Alembic's head.
HEAD_REVISION = "0006"


def _migrations_dir() -> Path:
    """The Alembic scripts: beside this module, or in the bundle's data when frozen."""
    bundle_root = getattr(sys, "_MEIPASS", None)  # set by PyInstaller in a frozen app
    if getattr(sys, "frozen", False) and bundle_root is not None:
        return Path(bundle_root) / "governance_desktop" / "store" / "migrations"
    return Path(__file__).resolve().parent / "migrations"


MIGRATIONS_DIR = _migrations_dir()


class SchemaTooNewError(GovernanceError):
    """The database was written by a newer app; we must not touch it."""


class MigrationBackupError(GovernanceError):
    """No fresh backup could be taken before migrating; nothing was migrated."""


@dataclass(frozen=True)
class MigrationReport:
    from_revision: str | None
    to_revision: str
    backup: Path | None


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def alembic_config(db: Database) -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def known_revisions() -> set[str]:
    """Every schema revision this app can open (imports Alembic: for restore, not start-up)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def pg_dump_backup(url: str, backups_dir: Path, revision: str) -> Path:
    """`pg_dump` of the database at ``url`` into a new 0600 file in ``backups_dir`` (custom
    format, for `pg_restore`). The password goes to pg_dump in PGPASSWORD, never in argv."""
    from sqlalchemy.engine import make_url

    found = shutil.which("pg_dump")
    if found is None:
        raise MigrationBackupError(
            f"the database is at schema revision {revision} and this app needs "
            f"{HEAD_REVISION}; a pg_dump is taken before migrating, but pg_dump is not on PATH: "
            "install the PostgreSQL client tools, or take your own backup and run with "
            "--no-backup; nothing was migrated"
        )
    parsed = make_url(url)
    query = {k: v for k, v in parsed.query.items() if k.lower() != "password"}
    password = parsed.password or parsed.query.get("password")
    conninfo = parsed.set(drivername="postgresql", password=None, query=query)
    env = {**os.environ}
    if password:
        env["PGPASSWORD"] = str(password if isinstance(password, str) else password[0])
    make_private_dirs(backups_dir)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backups_dir / f"{parsed.database}-rev{revision}-{stamp}.pgdump"
    fd = create_private(target)
    if fd is None:
        raise MigrationBackupError(f"{target} exists already; nothing was migrated")
    os.close(fd)
    command = [found, "--format=custom", "--file", str(target), "--dbname"]
    done = subprocess.run(
        [*command, conninfo.render_as_string(hide_password=False)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise MigrationBackupError(
            f"pg_dump failed before migrating ({redact_text(reason)}); nothing was migrated"
        )
    os.chmod(target, 0o600)
    return target


def upgrade_to_head(
    db: Database, backups_dir: Path | None, *, backup: bool = True
) -> MigrationReport:
    """Migrate to head; before touching an existing database, back it up into `backups_dir`
    (a file copy, or `pg_dump` on PostgreSQL unless ``backup`` is False)."""
    revision = current_revision(db)
    if revision == HEAD_REVISION:
        return MigrationReport(revision, HEAD_REVISION, None)

    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(db)
    script = ScriptDirectory.from_config(cfg)  # type: ignore[arg-type]
    known = {rev.revision for rev in script.walk_revisions()}
    if revision is not None and revision not in known:
        raise SchemaTooNewError(
            f"the database is at schema revision {revision}, which this app "
            f"(revision {HEAD_REVISION}) does not know; it was written by a newer version. "
            "Upgrade the app; the database was not changed."
        )

    kept = None
    path = sqlite_path(db.url)
    if revision is not None and path is not None and backups_dir is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = backups_dir / f"{path.stem}-rev{revision}-{stamp}.db"
        backup_sqlite(db.engine, kept)
        log.info("backed up %s to %s before migrating", path, kept)
    elif revision is not None and db.engine.dialect.name == "postgresql":
        if not backup:
            log.warning("migrating %s without a backup (waived)", redact_url(db.url))
        elif backups_dir is None:
            raise MigrationBackupError("no folder for the pg_dump before migrating")
        else:
            kept = pg_dump_backup(db.url, backups_dir, revision)
            log.info("pg_dump of %s to %s before migrating", redact_url(db.url), kept)

    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn  # type: ignore[attr-defined]
        command.upgrade(cfg, "head")  # type: ignore[arg-type]
    log.info("migrated %s from %s to %s", redact_url(db.url), revision, HEAD_REVISION)
    return MigrationReport(revision, HEAD_REVISION, kept)
