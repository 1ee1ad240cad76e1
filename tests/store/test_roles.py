"""`setup-database` on a real PostgreSQL: an owner role that owns the schema, an app role that
may only SELECT and INSERT on the audit trail, passwords stored as SCRAM verifiers and never
shown; the app works fully as the app role; re-running it is safe."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.services.audit_verify import check_trail
from governance_desktop.store.migrate import HEAD_REVISION
from tests.helpers.actors import ME

pytestmark = pytest.mark.team_only("PostgreSQL roles and privileges")

OWNER_PASSWORD = "Owner-Secret-5x9!"
APP_PASSWORD = "App-Secret-7q2%"


@dataclass(frozen=True)
class Cluster:
    admin_url: str  # a superuser's URL of the new database
    owner: str
    app: str

    def url_as(self, role: str, password: str) -> str:
        return (
            make_url(self.admin_url)
            .set(username=role, password=password)
            .render_as_string(hide_password=False)
        )


def _admin_execute(statement: str) -> None:
    admin = create_engine(os.environ["GOVERNANCE_TEST_POSTGRES"], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


@pytest.fixture
def cluster(backend: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """An empty database and two role names of this test's own (dropped afterwards)."""
    pid = os.getpid()
    name, owner, app = f"gd_roles_{pid}", f"gd_owner_{pid}", f"gd_app_{pid}"
    _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    for role in (owner, app):
        _admin_execute(f"DROP ROLE IF EXISTS {role}")
    _admin_execute(f"CREATE DATABASE {name}")
    base = os.environ["GOVERNANCE_TEST_POSTGRES"].rpartition("/")[0]
    monkeypatch.setenv("GOVERNANCE_OWNER_PASSWORD", OWNER_PASSWORD)
    monkeypatch.setenv("GOVERNANCE_APP_PASSWORD", APP_PASSWORD)
    yield Cluster(f"{base}/{name}", owner, app)
    _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    for role in (owner, app):
        _admin_execute(f"DROP ROLE IF EXISTS {role}")


def _setup(cli, cluster: Cluster):  # type: ignore[no-untyped-def]
    return cli(
        "setup-database",
        cluster.admin_url,
        "--owner-role",
        cluster.owner,
        "--app-role",
        cluster.app,
    )


def _refused(url: str, statement: str) -> str:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    refusal = pytest.raises(psycopg.errors.InsufficientPrivilege)
    with refusal as refused, psycopg.connect(plain) as conn:
        conn.execute(statement)
    return str(refused.value)


STATEMENTS = (
    "UPDATE audit_events SET actor = 'mallory'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
)


def test_setup_database_makes_two_roles_and_a_migrated_schema(
    cli, cluster: Cluster, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    """Both roles exist with SCRAM verifiers, the owner owns every table, the schema is at
    head; nothing printed or logged holds either password; a second run changes nothing."""
    done = _setup(cli, cluster)
    assert done.code == 0, done.err
    assert f"created roles {cluster.owner}, {cluster.app}" in done.out
    assert f"to {HEAD_REVISION} as {cluster.owner}" in done.out
    with psycopg.connect(
        make_url(cluster.admin_url).set(drivername="postgresql").render_as_string()
    ) as conn:
        stored = dict(
            conn.execute(
                "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(%s)",
                ([cluster.owner, cluster.app],),
            ).fetchall()
        )
        owners = {
            row[0]
            for row in conn.execute(
                "SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert all(v.startswith("SCRAM-SHA-256$") for v in stored.values()), stored.keys()
    assert owners == {cluster.owner}
    assert revision == HEAD_REVISION
    again = _setup(cli, cluster)
    assert again.code == 0, again.err
    assert "roles existed" in again.out and "schema already at revision" in again.out
    logged = "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in data_dir.rglob("*.log*")
    )
    for secret in (OWNER_PASSWORD, APP_PASSWORD):
        for shown in (done.out, done.err, again.out, again.err, logged):
            assert secret not in shown


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_app_role_is_refused_by_privilege_and_the_owner_by_the_trigger(
    cli, cluster: Cluster, statement: str
) -> None:  # type: ignore[no-untyped-def]
    """As the app role, changing the trail is refused by privilege ("permission denied");
    as the owner, who has the privilege, by the trigger."""
    assert _setup(cli, cluster).code == 0
    as_app = _refused(cluster.url_as(cluster.app, APP_PASSWORD), statement)
    assert "permission denied for table audit_events" in as_app
    as_owner = _refused(cluster.url_as(cluster.owner, OWNER_PASSWORD), statement)
    assert "audit_events is append-only" in as_owner


def test_the_app_works_fully_as_the_app_role(
    cli, cluster: Cluster, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Add a policy, change its status, verify the trail (checkpoint kept): all as the app
    role; a table a later migration adds as the owner is the app's to use too."""
    assert _setup(cli, cluster).code == 0
    app_url = cluster.url_as(cluster.app, APP_PASSWORD)
    monkeypatch.setenv("GOVERNANCE_DATABASE_URL", app_url)
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        ctx.policies.add(ME, "POL-300", "Runs as the app role")
        ctx.policies.change_status(ME, "POL-300", "in_review", "please review")
        check = check_trail(ctx.db)
        assert check.ok, check.problems
        assert check.chain.events >= 2
    finally:
        ctx.close()
    owner = make_url(cluster.url_as(cluster.owner, OWNER_PASSWORD)).set(drivername="postgresql")
    with psycopg.connect(owner.render_as_string(hide_password=False)) as conn:
        conn.execute("CREATE TABLE later_table (id serial PRIMARY KEY, note text)")
    app = make_url(app_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(app) as conn:
        conn.execute("INSERT INTO later_table (note) VALUES ('default privileges')")
        assert conn.execute("SELECT count(*) FROM later_table").fetchone()[0] == 1


def test_bad_input_is_one_line(cli, cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Not a PostgreSQL URL, the same name for both roles, no password anywhere: one line
    each, nothing made."""
    not_pg = cli("setup-database", "sqlite:////tmp/x.db")
    assert not_pg.code == 1 and "is not one" in not_pg.err and not_pg.err.count("\n") == 1
    same = cli("setup-database", cluster.admin_url, "--owner-role", "gd_x", "--app-role", "gd_x")
    assert same.code == 1 and "must differ" in same.err
    monkeypatch.delenv("GOVERNANCE_OWNER_PASSWORD")
    empty = cli("setup-database", cluster.admin_url, stdin="")
    assert empty.code == 1 and empty.err.count("\n") == 1, empty.err
    assert "no password line on stdin" in empty.err
