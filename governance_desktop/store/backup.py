"""Online copies of a SQLite database through SQLite's backup API (safe while others write)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine


class BackupTargetError(Exception):
    """The backup cannot be written there; the message names the file."""


def live_files(db_path: Path) -> set[Path]:
    """The files of a live data dir that a copy must never overwrite."""
    folder = db_path.parent.resolve()
    names = [db_path.name, "queue.db"]
    return {folder / f"{name}{suffix}" for name in names for suffix in ("", "-wal", "-shm")}


def check_target(destination: Path, db_path: Path) -> None:
    """Refuse to write a backup over the live database (or its WAL, or the queue)."""
    if destination.resolve() in live_files(db_path):
        raise BackupTargetError(
            f"{destination} is the live database; write the backup to another file"
        )


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_sqlite(source: sqlite3.Connection, destination: Path) -> Path:
    """Copy `source` to `destination` (0600) via ``<name>.partial``, fsync and an atomic rename:
    a crash or a full disk leaves either the old file or the complete new one."""
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = destination.with_name(destination.name + ".partial")
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
        fd = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, destination)
        _fsync_dir(destination.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return destination


def backup_sqlite(engine: Engine, destination: Path) -> Path:
    """Copy the live database behind `engine` to `destination` while others keep writing."""
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        return copy_sqlite(source, destination)
    finally:
        raw.close()
