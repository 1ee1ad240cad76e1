"""Bring a database to the app's schema: back up first, refuse a newer one, import Alembic lazily.

Alembic costs about 0.75 s to import, so the common case (already at head) is decided by
reading `alembic_version` directly.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.store.backup import backup_sqlite
from governance_desktop.store.db import Database, redact_url, sqlite_path

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


def upgrade_to_head(db: Database, backups_dir: Path | None) -> MigrationReport:
    """Migrate to head; before touching an existing file, copy it into `backups_dir`."""
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

    backup = None
    path = sqlite_path(db.url)
    if revision is not None and path is not None and backups_dir is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = backups_dir / f"{path.stem}-rev{revision}-{stamp}.db"
        backup_sqlite(db.engine, backup)
        log.info("backed up %s to %s before migrating", path, backup)

    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn  # type: ignore[attr-defined]
        command.upgrade(cfg, "head")  # type: ignore[arg-type]
    log.info("migrated %s from %s to %s", redact_url(db.url), revision, HEAD_REVISION)
    return MigrationReport(revision, HEAD_REVISION, backup)
