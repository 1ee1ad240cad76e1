"""The two PostgreSQL logins of team mode, made and granted by `setup-database`.

The *owner* role owns the schema and runs the migrations; the *app* role is what every
workstation and worker logs in as. The app role may SELECT and INSERT on `audit_events` and
nothing else there (no UPDATE, DELETE, TRUNCATE: the trail is append-only twice, by privilege
and by migration 0006's trigger), SELECT on `alembic_version`, ordinary DML on every other
table and use of the sequences. Default privileges of the owner give the app role the same on
tables a later migration adds. Every step is safe to repeat.

Passwords reach PostgreSQL only as SCRAM-SHA-256 verifiers computed here by libpq
(`PQencryptPasswordConn`), so the clear password is in no SQL statement, server log or
`pg_stat_activity`; it is never printed or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.store.db import Database, redact_url
from governance_desktop.store.migrate import MigrationReport, upgrade_to_head

log = logging.getLogger(__name__)

#: Tables the app role reads and appends to but never changes or removes.
APPEND_ONLY = ("audit_events",)
#: Tables the app role only reads (the migrations' own bookkeeping).
READ_ONLY = ("alembic_version",)
DEFAULT_OWNER = "governance_owner"
DEFAULT_APP = "governance_app"


class SetupError(GovernanceError):
    """`setup-database` was refused or failed; the message says which step and why."""


@dataclass(frozen=True)
class RoleSetup:
    """What `setup_database` did, for the command's report (no passwords)."""

    database: str
    owner: str
    app: str
    created: tuple[str, ...]  # roles made by this run (empty on a re-run)
    migration: MigrationReport
    app_url: str  # the app's URL, without a password


def _plain(url: URL) -> str:
    """A libpq connection string for psycopg (the SQLAlchemy driver name dropped)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _admin(url: URL) -> Iterator[Any]:
    import psycopg

    try:
        conn = psycopg.connect(_plain(url), autocommit=True)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SetupError(f"cannot connect to {redact_url(str(url))}: {first}") from None
    try:
        yield conn
    finally:
        conn.close()


def scram_verifier(conn: Any, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of `password` for `role`, computed by libpq on this side."""
    secret: bytes = conn.pgconn.encrypt_password(
        password.encode("utf-8"), role.encode("utf-8"), b"scram-sha-256"
    )
    return secret.decode("ascii")


def _ensure_role(conn: Any, role: str, password: str) -> bool:
    """Create the login `role` if missing (no superuser, no role or database creation), set
    its password; True when it was created."""
    from psycopg import sql

    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if not exists:
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
            ).format(sql.Identifier(role))
        )
    attrs = conn.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (role,)
    ).fetchone()
    if attrs[0]:
        raise SetupError(
            f"role {role} is a superuser: a superuser can switch the audit trigger off; "
            "choose another role name"
        )
    verifier = scram_verifier(conn, role, password)
    conn.execute(
        sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(verifier)
        )
    )
    return not exists


def _take_ownership(conn: Any, owner: str) -> None:
    """Give the owner role the schema and everything in it (tables made earlier by a shared
    login, the trigger function): the migrations it runs must own what they alter."""
    from psycopg import sql

    ident = sql.Identifier(owner)
    conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(ident))
    kinds = {"r": "TABLE", "p": "TABLE", "S": "SEQUENCE", "v": "VIEW", "m": "MATERIALIZED VIEW"}
    rows = conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = ANY(%s) "
        "AND pg_get_userbyid(c.relowner) <> %s "
        # a sequence owned by a column follows its table
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid "
        "AND d.deptype IN ('a', 'i') AND c.relkind = 'S')",
        (list(kinds), owner),
    ).fetchall()
    for name, kind in rows:
        conn.execute(
            sql.SQL("ALTER {} {} OWNER TO {}").format(
                sql.SQL(kinds[kind]), sql.Identifier("public", name), ident
            )
        )
    functions = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
        "AND pg_get_userbyid(p.proowner) <> %s",
        (owner,),
    ).fetchall()
    for (signature,) in functions:
        conn.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(signature), ident))


def _grant(conn: Any, database: str, owner: str, app: str) -> None:
    """The app role's rights, granted as the owner would (it owns every table)."""
    from psycopg import sql

    o, a = sql.Identifier(owner), sql.Identifier(app)
    db = sql.Identifier(database)
    for statement in (
        "REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC",
        "GRANT CONNECT ON DATABASE {db} TO {o}, {a}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "GRANT USAGE ON SCHEMA public TO {a}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {a}",
        "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {a}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {a}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {a}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        "GRANT USAGE, SELECT ON SEQUENCES TO {a}",
    ):
        conn.execute(sql.SQL(statement).format(db=db, o=o, a=a))
    for table in APPEND_ONLY:
        t = sql.Identifier("public", table)
        conn.execute(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(t, a))
        conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(t, a))
    for table in READ_ONLY:
        t = sql.Identifier("public", table)
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(t, a))
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(t, a))


def setup_database(
    admin_url: str,
    owner_password: str,
    app_password: str,
    backups_dir: Path | None,
    *,
    owner: str = DEFAULT_OWNER,
    app: str = DEFAULT_APP,
    backup: bool = True,
) -> RoleSetup:
    """Make (or mend) the owner and app roles of ADMIN_URL's database, migrate it to head as
    the owner, and grant the app role its rights. ``admin_url`` logs in as a superuser (or a
    role with CREATEROLE that may alter the schema); its database must exist."""
    url = make_url(admin_url)
    if url.get_backend_name() != "postgresql":
        raise SetupError(
            f"setup-database sets up a PostgreSQL database; {redact_url(admin_url)} is not one"
        )
    if not url.database:
        raise SetupError(f"{redact_url(admin_url)} names no database (…/DATABASE at its end)")
    if owner == app:
        raise SetupError(f"the owner and app roles must differ (both are {owner})")
    for name, password in ((owner, owner_password), (app, app_password)):
        if not password:
            raise SetupError(f"the password of role {name} is empty")
    database = url.database
    created: list[str] = []
    with _admin(url) as conn:
        for role, password in ((owner, owner_password), (app, app_password)):
            if _ensure_role(conn, role, password):
                created.append(role)
        _take_ownership(conn, owner)
    log.info("roles %s (owner) and %s (app) ready in %s", owner, app, redact_url(admin_url))

    owner_url = url.set(
        drivername="postgresql+psycopg", username=owner, password=owner_password
    ).render_as_string(hide_password=False)
    db = Database(owner_url)
    try:
        migration = upgrade_to_head(db, backups_dir, backup=backup)
    finally:
        db.dispose()
    with _admin(url) as conn:
        _grant(conn, database, owner, app)
    app_url = url.set(drivername="postgresql+psycopg", username=app, password=None)
    return RoleSetup(
        database=database,
        owner=owner,
        app=app,
        created=tuple(created),
        migration=migration,
        app_url=app_url.render_as_string(hide_password=True),
    )
