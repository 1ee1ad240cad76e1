"""The register's database opened underneath the app, as a person with direct access would
(file access on SQLite, a database login in team mode): plain DB-API, `?` placeholders.

`raw_db(target)` takes an app context, a database URL, the SQLite file, or a data folder (its
database: GOVERNANCE_DATABASE_URL when the team backend set one, else its governance.db).
On PostgreSQL the audit trail's trigger refuses UPDATE, DELETE and TRUNCATE to every login
(migration 0006); a test that rewrites audit rows as an attacker who is a superuser would
opens `past_the_triggers(target)` instead (triggers off for that connection only).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from governance_desktop.app import AppContext


def database_url(target: AppContext | Path | str) -> str:
    """The URL of the database behind `target`."""
    if isinstance(target, AppContext):
        return target.db.url
    if isinstance(target, Path):
        if target.suffix == ".db" or target.is_file():
            return f"sqlite:///{target}"
        return os.environ.get("GOVERNANCE_DATABASE_URL") or f"sqlite:///{target / 'governance.db'}"
    return target


class _QmarkCursor:
    """A psycopg cursor that takes sqlite3's `?` placeholders."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> _QmarkCursor:
        self._cursor.execute(statement.replace("%", "%%").replace("?", "%s"), tuple(params))
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)


class _PostgresConnection:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> _QmarkCursor:
        return _QmarkCursor(self._conn.cursor()).execute(statement, params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.execute(statement, row)

    def commit(self) -> None:
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()


@contextmanager
def raw_db(target: AppContext | Path | str, *, triggers: bool = True) -> Iterator[Any]:
    """A DB-API connection to `target`'s database; commits on success, closes at the end.
    ``triggers=False`` (PostgreSQL, as a superuser) switches user triggers off for this
    connection, as `session_replication_role = replica` does; SQLite has none to switch."""
    url = make_url(database_url(target))
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database))
        try:
            with conn:
                yield conn
        finally:
            conn.close()
        return
    import psycopg

    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    pg = psycopg.connect(plain)
    try:
        if not triggers:
            # Session-wide, on this connection only: every other session keeps the trigger.
            pg.execute("SET session_replication_role = replica")
        with pg:
            yield _PostgresConnection(pg)
    finally:
        pg.close()


@contextmanager
def past_the_triggers(target: AppContext | Path | str) -> Iterator[Any]:
    """`raw_db` as a superuser who switches the audit trail's append-only trigger off first:
    how an attacker with full database access would rewrite or remove audit rows."""
    with raw_db(target, triggers=False) as raw:
        yield raw


def database_bytes(target: AppContext | Path | str) -> bytes:
    """Everything the database holds, to search for what must not be there: the SQLite file,
    or a pg_dump of the PostgreSQL database."""
    url = make_url(database_url(target))
    if url.get_backend_name() == "sqlite":
        return Path(str(url.database)).read_bytes()
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", plain], check=True, capture_output=True).stdout
