"""Online copies of a SQLite database through SQLite's backup API (safe while others write)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (POSIX; elsewhere a no-op)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_into(source: sqlite3.Connection, empty: Path) -> None:
    """Copy `source` into the empty file `empty` as one self-contained SQLite file."""
    target = sqlite3.connect(empty)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # no -wal beside the copy
    finally:
        target.close()


def copy_sqlite(source: sqlite3.Connection, destination: Path) -> Path:
    """Copy `source` to `destination` (0600) via ``<name>.partial``, fsync and an atomic rename:
    a crash or a full disk leaves either the old file or the complete new one. For the app's
    own copies (backups/, restore); a file a person names goes through `store.outfile`."""
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = destination.with_name(destination.name + ".partial")
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        copy_into(source, partial)
        fd = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, destination)
        fsync_dir(destination.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return destination


def backup_sqlite(engine: Engine, destination: Path, *, into: bool = False) -> Path:
    """Copy the live database behind `engine` to `destination` while others keep writing
    (`into`: `destination` is an empty temp file already made, e.g. by `store.outfile`)."""
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        if into:
            copy_into(source, destination)
            return destination
        return copy_sqlite(source, destination)
    finally:
        raw.close()
