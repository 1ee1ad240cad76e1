"""A team's PostgreSQL database written by an older release upgrades to head with its data:
each stored upgrade fixture's rows are loaded into a PostgreSQL database at the fixture's
own revision, then the app opens it (and migrates it) as it would a team's."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.store.db import Database
from governance_desktop.store.migrate import HEAD_REVISION, alembic_config, current_revision
from tests.helpers.identity import signer

pytestmark = pytest.mark.team_only("migrations of a PostgreSQL database")

FIXTURES = Path(__file__).parent / "upgrade_fixtures"
OLDER = [p for p in sorted(FIXTURES.glob("governance-rev*.db")) if HEAD_REVISION not in p.stem]


@pytest.fixture
def empty_database(backend: str) -> Iterator[str]:
    """The URL of a new, empty database on the team server (dropped afterwards)."""
    admin = create_engine(os.environ["GOVERNANCE_TEST_POSTGRES"], isolation_level="AUTOCOMMIT")
    name = f"gd_upgrade_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield os.environ["GOVERNANCE_TEST_POSTGRES"].rpartition("/")[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _load(stored: Path, url: str, revision: str) -> dict[str, int]:
    """Migrate `url` to `revision`, copy every row of the SQLite file into it; row counts."""
    from alembic import command

    db = Database(url)
    try:
        with db.engine.begin() as conn:
            cfg = alembic_config(db)
            cfg.attributes["connection"] = conn  # type: ignore[attr-defined]
            command.upgrade(cfg, revision)  # type: ignore[arg-type]
        source = create_engine(f"sqlite:///{stored}")
        tables = MetaData()
        tables.reflect(db.engine)
        counts: dict[str, int] = {}
        with source.connect() as src, db.engine.begin() as dst:
            for table in reversed(tables.sorted_tables):  # rows a migration seeded
                if table.name != "alembic_version":
                    dst.execute(table.delete())
            for table in tables.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = [dict(r._mapping) for r in src.execute(select(table))]
                if rows:
                    dst.execute(table.insert(), rows)
                counts[table.name] = len(rows)
                if "id" in table.c:
                    dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                        )
                    )
        source.dispose()
        return counts
    finally:
        db.dispose()


@pytest.mark.parametrize("stored", OLDER, ids=[p.stem for p in OLDER])
def test_an_older_team_database_upgrades_with_its_data(
    stored: Path, empty_database: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = json.loads(stored.with_suffix(".json").read_text(encoding="utf-8"))
    counts = _load(stored, empty_database, expected["revision"])
    assert counts["policies"] == expected["counts"]["policies"]
    monkeypatch.setenv("GOVERNANCE_DATABASE_URL", empty_database)
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        assert ctx.migration.from_revision == expected["revision"]
        assert current_revision(ctx.db) == HEAD_REVISION
        check = ctx.audit.verify()
        assert check.ok, check.problem
        assert len(ctx.policies.list()) == expected["counts"]["policies"]
        ctx.policies.add("fixture-admin", "POL-900", "Added after the upgrade", owner="alice")
        approvers = {u.username for u in ctx.users.list() if u.role in ("approver", "admin")}
        pending = [
            a for a in ctx.approvals.list() if a.status == "pending" and a.approver in approvers
        ]
        if pending:
            who = pending[0].approver
            by = (
                ctx.identity.signer(who, expected["password"])
                if "password" in expected
                else signer(ctx, who)
            )
            assert ctx.approvals.approve(pending[0].id, who, "ok", signer=by).status == "approved"
        assert ctx.audit.verify().ok
    finally:
        ctx.close()
