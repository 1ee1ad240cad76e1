"""Is a SQLite database file sound? A cheap check for every open, a full one on demand.

`check_on_open` reads the 100-byte header and the schema (about a millisecond whatever the
size); `full_check` runs ``PRAGMA integrity_check`` (seconds on a million-row file), used by
the ``check`` and ``restore`` commands and by a background check after the app opens.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from governance_desktop.domain.errors import GovernanceError

HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 10.0
FULL_BELOW_BYTES = 256 * 1024


class DamagedDatabaseError(GovernanceError):
    """The database file is damaged; the message names it, the latest backup and the fix."""

    def __init__(self, path: Path, detail: str, backup: Path | None, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.detail = detail
        self.backup = backup


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLite's word for a damaged file, as opposed to busy, locked or cannot-open."""
    if isinstance(exc, sqlite3.OperationalError):
        return "malformed" in str(exc)
    return True


def header_problem(path: Path) -> str | None:
    """Why the file is not a SQLite database by its header, or None (missing/empty is fine)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except FileNotFoundError:
        return None
    if not head:
        return None  # a new, empty file: SQLite writes the header on first use
    if len(head) < 100 or not head.startswith(HEADER):
        return "file is not a database"
    return None


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)
    conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    return conn


def table_names(path: Path) -> list[str]:
    """The tables of the SQLite file `path`, read-only, without SQLite's own; raises
    sqlite3.DatabaseError when it cannot be read (damaged, busy)."""
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return sorted(str(name) for (name,) in rows if not str(name).startswith("sqlite_"))


def quick_problem(path: Path) -> str | None:
    """Header, then the schema and the table roots read: catches a garbage or truncated file
    and a damaged schema in about a millisecond. Deeper damage needs `full_check`."""
    problem = header_problem(path)
    if problem is not None or not path.exists() or path.stat().st_size == 0:
        return problem
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(path)
        tables = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
            if not str(row[0]).startswith("sqlite_")
        ]
        for name in tables:  # the table's own b-tree (a bare scan may use an index instead)
            conn.execute(f'SELECT * FROM "{name}" NOT INDEXED LIMIT 1').fetchall()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return str(exc)
        raise
    finally:
        if conn is not None:
            conn.close()
    return None


def full_check(path: Path, max_errors: int = 20, *, quick: bool = False) -> list[str]:
    """``PRAGMA integrity_check`` rows (``quick_check`` if `quick`): ``["ok"]`` when sound."""
    problem = header_problem(path)
    if problem is not None:
        return [problem]
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(path)
        pragma = "quick_check" if quick else "integrity_check"
        rows = conn.execute(f"PRAGMA {pragma}({int(max_errors)})").fetchall()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return [str(exc)]
        raise
    finally:
        if conn is not None:
            conn.close()
    return [str(row[0]) for row in rows]


def damaged_error(
    path: Path, detail: str, backup: Path | None, data_dir: Path | None = None
) -> DamagedDatabaseError:
    """One line: what is wrong with which file, and how to get back to the latest backup.

    `data_dir` is the data folder `restore` must be run against (the file's own folder only
    when the database lives in it)."""
    data_dir = data_dir or path.parent
    if backup is None:
        advice = (
            f"no automatic backup exists in {data_dir / 'backups'}; restore a copy you made "
            f"with: governance-desktop --data-dir '{data_dir}' restore FILE"
        )
    else:
        advice = (
            f"the latest automatic backup is {backup}; restore it with: "
            f"governance-desktop --data-dir '{data_dir}' restore '{backup}'"
        )
    message = f"{path.name} is damaged ({detail}): {path}; {advice}"
    return DamagedDatabaseError(path, detail, backup, message)


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < FULL_BELOW_BYTES
    except OSError:
        return False


def storage_problem(
    exc: BaseException, data_dir: Path, what: str = "the data folder"
) -> str | None:
    """A one-line explanation when `exc` means a full disk or a read-only folder: the data
    folder, or the file the error names if that lies elsewhere (e.g. a backup target).

    SQLite reports a full disk as "database or disk is full", or as "disk I/O error" when it
    cannot even grow its shared-memory file; the free space on the folder decides the latter.
    """
    text = str(getattr(exc, "orig", None) or exc).lower()
    code = getattr(exc, "errno", None)
    filename = getattr(exc, "filename", None)
    folder, where = data_dir, f"{what} {data_dir}"
    if filename and not Path(os.path.abspath(filename)).is_relative_to(data_dir.absolute()):
        folder, where = Path(os.path.abspath(filename)).parent, str(filename)
    full = code == errno.ENOSPC or "disk is full" in text or "no space left" in text
    if full or ("i/o error" in text and _nearly_full(folder)):
        return (
            f"disk is full: cannot write to {where}; "
            "free some space and try again (the unfinished change was not saved)"
        )
    read_only = "readonly" in text or "read-only" in text
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or read_only:
        return f"{where} is read-only or not writable; nothing was changed"
    return None
