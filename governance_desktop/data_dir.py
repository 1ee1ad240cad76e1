"""The data folder and the files settings name: what the app may create, what it refuses,
and what no export may overwrite. Runs before anything is opened (composition layer)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from governance_desktop.config import Settings, SettingsError, default_data_dir
from governance_desktop.domain.errors import GovernanceError
from governance_desktop.jobs.queue import foreign_queue_problem, queue_file
from governance_desktop.store.db import make_private_dirs, sqlite_path
from governance_desktop.store.integrity import (
    header_problem,
    is_damage,
    storage_problem,
    table_names,
)
from governance_desktop.store.lock import LOCK_NAME
from governance_desktop.store.outfile import Protected
from governance_desktop.store.restore import file_kind


class DataDirError(GovernanceError):
    """The data folder cannot be created or used; the message names it."""


def protected_paths(settings: Settings) -> Protected:
    """Where no export or backup may be written: the data folder, the database and queue
    files when settings put them elsewhere, and the platform's default data folder (another
    install's register, even before it holds one; other data folders are found by their
    files, see store/outfile.py)."""
    files = []
    database = sqlite_path(settings.effective_database_url)
    if database is not None:
        files.append(database)
    queue = queue_file(settings.effective_queue_url)
    if queue is not None:
        files.append(queue)
    return Protected(settings.data_dir, tuple(files), others=(default_data_dir(),))


#: What a data folder holds after the app's first start was cut short (before its lock file).
_FIRST_START_ENTRIES = {"logs", "backups"}
#: A folder holding one of these is a data folder the app made.
_DATA_DIR_MARKS = ("governance.db", LOCK_NAME)


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data folder (0700) and its logs/ and backups/ subfolders.

    Only folders made here get their mode set. An existing folder is used as it is, and
    refused if it holds other files but no register (it is someone else's folder).
    """
    try:
        if data_dir not in make_private_dirs(data_dir):  # an existing folder: whose is it?
            _refuse_foreign(data_dir)
        for sub in ("logs", "backups"):
            make_private_dirs(data_dir / sub)
    except OSError as exc:
        problem = storage_problem(exc, data_dir)
        raise DataDirError(
            problem or f"cannot use data folder {data_dir}: {exc.strerror or exc}"
        ) from None
    if not os.access(data_dir, os.W_OK):
        raise DataDirError(
            f"the data folder {data_dir} is read-only or not writable; nothing was changed "
            "(use a writable folder, or --data-dir)"
        )


def _refuse_foreign(data_dir: Path) -> None:
    """Refuse an existing path that is not a folder, or someone else's non-empty folder."""
    if not data_dir.is_dir():
        raise DataDirError(f"the data folder {data_dir} is not a folder; nothing was changed")
    names = set(os.listdir(data_dir))
    if not names or names <= _FIRST_START_ENTRIES or any(m in names for m in _DATA_DIR_MARKS):
        return
    example = sorted(names - _FIRST_START_ENTRIES)[0]
    raise DataDirError(
        f"the data folder {data_dir} already holds other files (e.g. {example!r}) and no "
        "governance.db; the app uses only a new or empty folder or its own. Nothing was "
        "changed (choose another --data-dir, GOVERNANCE_DATA_DIR or data_dir setting)"
    )


def data_dir_access(data_dir: Path) -> str | None:
    """Why the data folder is not private (others may read or enter it), or None."""
    try:
        mode = stat.S_IMODE(data_dir.stat().st_mode)
    except OSError:
        return None
    if os.name != "posix" or not mode & 0o077:
        return None
    return (
        f"the data folder {data_dir} is open to other users (mode {mode:04o}); the app does "
        f"not change the mode of a folder it did not make: run chmod 700 '{data_dir}'"
    )


def check_store_files(settings: Settings) -> None:
    """Refuse a database or queue path that exists but is not a regular file (a device such
    as /dev/null, a socket, a FIFO, a folder), before anything is created or opened."""
    named = (
        ("database_url", sqlite_path(settings.effective_database_url)),
        ("queue_url", queue_file(settings.effective_queue_url)),
    )
    for setting, path in named:
        if path is None:
            continue
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise SettingsError(f"{setting}: cannot use {path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(mode):
            what = "queue" if setting == "queue_url" else "database"
            raise SettingsError(
                f"{setting}: {path} is {file_kind(mode)}, not a regular file; nothing was "
                f"changed (name a {what} file, or leave {setting} unset)"
            )
        problem = (
            foreign_queue_problem(path, settings.data_dir / "queue.db")
            if setting == "queue_url"
            else foreign_database_problem(path, settings.data_dir)
        )
        if problem is not None:
            raise SettingsError(problem)


def foreign_database_problem(path: Path, data_dir: Path) -> str | None:
    """Why the existing file at database_url is not the app's register, or None.

    A new or empty file, or a SQLite file with the app's alembic_version (or no tables) is
    the app's; so is any file in the data folder (damage there is reported with `restore`
    advice later). A file elsewhere that is not SQLite, or SQLite holding another program's
    tables, is refused: migrating into it would mix our tables with its data.
    """
    if path.absolute().parent == data_dir.absolute() or path.stat().st_size == 0:
        return None
    refusal = (
        "; nothing was changed (name the register's file or a new one, or leave database_url unset)"
    )
    if header_problem(path) is not None:
        return (
            f"database_url: {path} is not a governance database (it is not a SQLite file){refusal}"
        )
    try:
        tables = table_names(path)
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            return None  # busy or locked: reported when opened
        return f"database_url: {path} cannot be read as a database ({exc}){refusal}"
    if not tables or "alembic_version" in tables:
        return None
    return (
        f"database_url: {path} is a SQLite database of another program (tables: "
        f"{', '.join(tables[:5])}; no alembic_version){refusal}"
    )
