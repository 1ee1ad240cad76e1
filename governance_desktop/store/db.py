"""Engine and session factory. SQLite gets WAL, foreign keys, a busy timeout and FULL sync."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from governance_desktop.store.types import local_now, set_clock_offset
from governance_desktop.store.write_lock import WriteLock

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for other backends and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def ensure_private_file(path: Path) -> None:
    """Create the file 0600 before SQLite does, so the data is never world-readable.

    Only a file made here gets its mode set: an existing one (maybe /dev/null, named by a
    setting) is never chmod-ed.
    """
    make_private_dirs(path.parent)
    fd = create_private(path)
    if fd is not None:
        os.close(fd)


def make_private_dirs(folder: Path) -> list[Path]:
    """Create `folder` and each missing parent 0700 whatever the umask; return those made.

    mkdir(parents=True) gives the parents the umask's mode (0777 under umask 000). Only a
    folder made here gets its mode set, through an O_NOFOLLOW descriptor.
    """
    missing: list[Path] = []
    current = folder
    while not current.exists() and not current.is_symlink() and current != current.parent:
        missing.append(current)
        current = current.parent
    made: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: theirs, left as it is
        if os.name == "posix":
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                os.fchmod(fd, 0o700)
            finally:
                os.close(fd)
        made.append(path)
    return made


def create_private(path: Path, flags: int = os.O_WRONLY) -> int | None:
    """Create `path` 0600 and return its descriptor, or None if it already exists."""
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    if os.name == "posix":
        os.fchmod(fd, 0o600)  # a file we have just made: only the umask could have changed it
    return fd


# scheme://user:password@ in free text (a log line, an error message, a traceback); the
# password runs to the last @ of the word, so an unencoded @ in it does not leak the rest.
_PASSWORD_IN_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s'\"]*:)[^\s'\"]+@")


# ?password=… or &sslpassword=… in a URL's query (libpq and redis-py both take them there).
_PASSWORD_IN_QUERY = re.compile(r"([?&](?:ssl)?password=)[^&\s'\"]*", re.IGNORECASE)


def redact_text(text: str) -> str:
    """`text` with the password of any URL in it (user info or query) replaced by ***."""
    return _PASSWORD_IN_QUERY.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***@", text))


_TLS_WORDS = ("ssl", "tls", "certificate")


def tls_problem(message: str, server: str) -> str | None:
    """One line for a connection to `server` that failed in its TLS handshake (a certificate
    not signed by the CA named, a host name it does not cover, a server without TLS), or
    None when `message` is about something else."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines or not any(word in message.lower() for word in _TLS_WORDS):
        return None
    reason = redact_text(" ".join(lines))
    hint = (
        "; check that sslrootcert (PostgreSQL) or ssl_ca_certs (Redis) names the CA that "
        "signed the server's certificate and that the certificate covers the host name used"
        if "certificate" in message.lower()
        else ""
    )
    return f"cannot connect to the {server} over TLS: {reason}{hint}"


def redact_url(url: str) -> str:
    """A database or queue URL as it may be shown or logged: its password is ***."""
    try:
        return redact_text(make_url(url).render_as_string(hide_password=True))
    except (ArgumentError, ValueError):  # a plain path, or not a URL at all
        return redact_text(url)


def database_url_problem(url: str) -> str | None:
    """Why `url` cannot be a database URL (unparsable, a form its database does not take, an
    unknown or missing driver), or None. Builds an engine but never connects."""
    shown = redact_url(url)
    try:
        create_engine(url).dispose()
    except NoSuchModuleError:  # before ArgumentError, its base class
        return f"{shown}: unknown database or driver {make_url(url).drivername!r}"
    except ImportError as exc:
        return f"{shown}: its driver is not installed ({exc})"
    except (ArgumentError, ValueError, TypeError) as exc:
        reason = redact_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return (
            f"{shown!r} is not a usable database URL: {reason} (e.g. "
            "sqlite:////path/to/governance.db or postgresql+psycopg://user@host/db)"
        )
    return _sqlite_file_problem(url, redact_text(url))


def _sqlite_file_problem(url: str, shown: str) -> str | None:
    """A sqlite URL must name a file by its absolute path: an in-memory database loses every
    change at exit, and a relative path would depend on the folder the app is started in."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    memory = parsed.query.get("mode") == "memory"
    if not database or database == ":memory:" or memory:
        return (
            f"{shown!r} is an in-memory database: everything would be lost when the app "
            "exits; name a file (e.g. sqlite:////path/to/governance.db)"
        )
    if database.startswith("file:") or not Path(database).is_absolute():
        return (
            f"{shown!r} names the relative path {database!r}, which would depend on the "
            "folder the app is started in; give an absolute path "
            "(sqlite:////path/to/governance.db: four slashes)"
        )
    return None


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # An approval a user has seen accepted must survive a power cut: synchronous=FULL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _begin(conn: Any) -> None:
    # Write transactions take the lock at BEGIN so two writers queue on busy_timeout instead
    # of failing with "database is locked" when a read transaction upgrades to a write.
    immediate = conn.get_execution_options().get("writer", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: The PostgreSQL advisory lock write transactions take first, as SQLite's BEGIN IMMEDIATE
#: gives one writer at a time. A person's or an admin's write (`transaction()`) takes it
#: alone, so its check-then-write never races another writer and two of them never hold row
#: locks in opposite orders. Workers running steps (`transaction(shared=True)`) take it
#: shared: they run side by side, and lock the rows they change (job_rows.lock_step_rows),
#: waiting only for a person's write. Held until the transaction ends; the key is the app's.
WRITER_LOCK_KEY = 0x676F_7601
#: Taken by every audit append on PostgreSQL (services.audit), held to the commit: the chain's
#: head is read and extended by one writer at a time, on any number of machines.
AUDIT_LOCK_KEY = 0x676F_7603
#: The `writer` execution option of a step runner's transaction.
SHARED = "shared"


def _begin_writer_postgresql(conn: Any) -> None:
    writer = conn.get_execution_options().get("writer", False)
    if writer == SHARED:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({WRITER_LOCK_KEY})")
    elif writer:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


#: Taken before a row everyone shares is made on first need (the built-in workflow a step
#: may need: services/standard_approval.py): two step runners side by side would both make it.
DEFINITIONS_LOCK_KEY = 0x676F_7604


def take_lock(conn: Connection, key: int) -> None:
    """Hold the advisory lock `key` for the rest of `conn`'s transaction (PostgreSQL; on
    SQLite a writer is alone already). Taken after the writers' lock and before the audit
    lock, by everyone, so they never wait on each other in a circle."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")


def take_audit_lock(conn: Connection) -> None:
    """Hold the audit chain's lock for the rest of `conn`'s transaction."""
    take_lock(conn, AUDIT_LOCK_KEY)


def create_db_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is None:
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "postgresql":
            event.listen(engine, "begin", _begin_writer_postgresql)
        return engine
    ensure_private_file(path)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _disable_pysqlite_begin)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    event.listen(engine, "begin", _begin)
    return engine


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own BEGIN handling is replaced by ours (see SQLAlchemy's SQLite notes).
    dbapi_connection.isolation_level = None


class Clearable(Protocol):
    def clear(self) -> None: ...


class Database:
    """One engine and its session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        writer = self.engine.execution_options(writer=True)
        self.sessions = sessionmaker(writer, expire_on_commit=False)
        shared = self.engine.execution_options(writer=SHARED)
        self.shared_sessions = sessionmaker(shared, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Writers queue here, not in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms
        # between retries: two worker threads then waited ~10 ms for a lock held ~1 ms
        # (docs/benchmarks.md, part 2); other processes' writers queue on its file lock.
        path = sqlite_path(url)
        self.write_lock = WriteLock(path.with_name(path.name + "-writelock") if path else None)
        if self.engine.dialect.name == "postgresql":
            try:
                self.server_now()  # this machine's clock offset, for utcnow()
            except Exception as exc:  # unreachable now: the first real query says why
                log.info("could not read the database server's clock: %s", type(exc).__name__)
        # What the layers above remember of this database (services.cache.DatabaseCache): it
        # lives and dies with this object, so a new Database starts cold.
        self.cache: Clearable | None = None

    @contextmanager
    def transaction(self, *, shared: bool = False) -> Iterator[Session]:
        """Commit on success, roll back on any exception: nothing is half-written.

        `shared`: a step runner's transaction, which on PostgreSQL runs beside other step
        runners (WRITER_LOCK_KEY) and must lock the rows it changes; on SQLite there is no
        difference.

        Callbacks a service put in ``session.info["after_commit"]`` run once the commit has
        succeeded (e.g. enqueueing jobs); a failing callback is logged, never raised, because
        the committed rows are the truth and the reconciler re-enqueues what was missed.
        """
        sessions = self.shared_sessions if shared else self.sessions
        # A runner's threads on PostgreSQL meet on the server's shared lock and row locks,
        # not on this process's queue of writers.
        side_by_side = shared and self.engine.dialect.name == "postgresql"
        with nullcontext() if side_by_side else self.write_lock, sessions.begin() as session:
            yield session
        for callback in session.info.pop("after_commit", []):
            try:
                callback()
            except Exception:
                log.exception("after-commit callback failed; the reconciler will recover")

    @contextmanager
    def unsynced_write(self) -> Iterator[Connection]:
        """A Core write transaction whose commit skips the fsync, for advisory rows only (one
        lost to a power cut must do no harm). On SQLite the connection runs at
        synchronous=NORMAL for its length (the commit goes into the WAL unsynced; the next
        FULL commit syncs it) and is back at FULL before it returns to the pool. Takes the
        write lock, as `transaction()` does. On PostgreSQL it commits with
        synchronous_commit=off and does not wait for the writers' lock (never audit rows)."""
        with self.write_lock, self.engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                with conn.begin():
                    if conn.dialect.name == "postgresql":  # this commit need not wait on disk
                        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    yield conn
                return
            raw = conn.connection.driver_connection  # outside SQLAlchemy's autobegin
            assert raw is not None
            raw.execute("PRAGMA synchronous=NORMAL")
            try:
                with conn.execution_options(writer=True).begin():
                    yield conn
            finally:
                raw.execute("PRAGMA synchronous=FULL")

    def server_now(self) -> datetime:
        """The database server's clock (PostgreSQL's ``clock_timestamp()``), what every
        client on any machine stamps and compares leases and watermarks with; this machine's
        offset from it is saved for `store.types.utcnow`. A SQLite database is on this
        machine: its clock is this one's."""
        if self.engine.dialect.name != "postgresql":
            return local_now()
        with self.engine.connect() as conn:
            value = conn.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
        assert isinstance(value, datetime)
        server = value.astimezone(UTC)
        set_clock_offset(server - local_now())
        return server

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.read_sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        self.write_lock.close()
