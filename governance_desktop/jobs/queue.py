"""The Huey instance: ``queue.db`` (its own SQLite file) by default, Redis in team mode.

The queue is transport only; the Job table is the truth and the reconciler refills the queue.
So the SQLite queue runs with ``synchronous=NORMAL`` (WAL: no corruption on power loss, at most
the last few enqueues lost; about 4× the enqueue rate of FULL here), and a damaged file is
moved aside and rebuilt rather than stopping the app.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import huey

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.jobs.huey_seam import QueueStorage, RedisQueueStorage
from governance_desktop.jobs.rejections import Rejections
from governance_desktop.jobs.serializer import JsonSerializer
from governance_desktop.store.db import create_private, make_private_dirs, redact_url
from governance_desktop.store.integrity import table_names

logger = logging.getLogger("governance_desktop.jobs")

QUEUE_NAME = "governance:policy"
#: Seconds a queue statement waits on another process's lock before failing.
BUSY_TIMEOUT = 10.0


class QueueConfigError(GovernanceError):
    """The queue URL cannot be used; the message says why."""


def make_huey(
    queue_url: str, rejections: Rejections | None = None, *, own_file: Path | None = None
) -> huey.Huey:
    """A Huey for `queue_url`: a ``redis://``/``rediss://`` URL or a SQLite file path.

    A damaged queue is moved aside and rebuilt only if it is a SQLite file or `own_file`
    (the data folder's queue.db): any other file named by a setting is not ours to rename.
    """
    serializer = JsonSerializer(rejections=rejections)
    path = queue_file(queue_url)
    if path is None:
        return _redis_huey(queue_url, serializer)
    problem = foreign_queue_problem(path, own_file)
    if problem is not None:
        raise QueueConfigError(problem)
    _prepare_file(path)
    if not _is_healthy(path):
        quarantine(path)
        _prepare_file(path)
    try:
        return _sqlite_huey(path, serializer)
    except sqlite3.DatabaseError as exc:
        if not _is_damage(exc):
            raise
        logger.warning("queue file %s cannot be opened (%s); rebuilding it", path, exc)
        quarantine(path)
        _prepare_file(path)
        return _sqlite_huey(path, serializer)


#: Queue URLs that name a Redis server; anything else must name a SQLite file.
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
QUEUE_URL_FORMS = "an absolute path, sqlite:////abs/path, redis://, rediss:// or unix://"


def queue_file(queue_url: str) -> Path | None:
    """The SQLite file behind `queue_url`, or None for a Redis URL.

    Raises QueueConfigError for any other form: an unknown scheme or a relative path would
    silently become a file under the current folder (with any password in its name).
    """
    if queue_url.startswith(REDIS_SCHEMES):
        return None
    rest = queue_url.removeprefix("sqlite:///")
    if (rest == queue_url and "://" in queue_url) or rest.startswith("sqlite:"):
        problem = "has a scheme the queue does not take"
    else:
        path = Path(rest).expanduser()
        if path.is_absolute():
            return path
        problem = f"names the relative path {rest!r}, which would depend on the current folder"
    raise QueueConfigError(
        f"queue_url {redact_url(queue_url)!r} {problem}; use {QUEUE_URL_FORMS}; nothing was changed"
    )


def queue_url_problem(queue_url: str) -> str | None:
    """Why `queue_url` cannot name a queue, or None (checked when settings load)."""
    try:
        path = queue_file(queue_url)
    except QueueConfigError as exc:
        return str(exc).removeprefix("queue_url ")
    if path is None and importlib.util.find_spec("redis") is None:
        return (
            f"{redact_url(queue_url)!r} is a Redis URL but the 'redis' package is not "
            "installed (pip install redis); nothing was changed"
        )
    return None


#: The tables Huey's SQLite storage makes.
HUEY_TABLES = frozenset({"task", "kv", "schedule", "counter"})
SQLITE_HEADER = b"SQLite format 3\x00"


def foreign_queue_problem(path: Path, own_file: Path | None = None) -> str | None:
    """Why the existing file at `path` is someone else's, not a queue, or None.

    A missing or empty file, a SQLite file holding only Huey's tables (or too damaged to
    tell: it is rebuilt), and a damaged `own_file` are the queue's; anything else is refused.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return None  # missing, or refused elsewhere with its own reason
    if not head:
        return None
    if head != SQLITE_HEADER:
        if own_file is not None and path.absolute() == own_file.absolute():
            return None
        return (
            f"queue_url: {path} is not a queue database (it is not a SQLite file); nothing "
            "was changed (name a new file or a queue file, or leave queue_url unset)"
        )
    try:
        others = [name for name in table_names(path) if name not in HUEY_TABLES]
    except sqlite3.DatabaseError:
        return None  # damaged (rebuilt) or busy (reported when opened)
    if not others:
        return None
    return (
        f"queue_url: {path} is a SQLite database of something else (tables: "
        f"{', '.join(others[:5])}), not a queue; nothing was changed (name a new file or a "
        "queue file, or leave queue_url unset)"
    )


def _sqlite_huey(path: Path, serializer: JsonSerializer) -> huey.Huey:
    return huey.SqliteHuey(
        QUEUE_NAME,
        filename=str(path),
        serializer=serializer,
        results=False,
        journal_mode="wal",
        timeout=BUSY_TIMEOUT,
        storage_class=QueueStorage,
    )


def _redis_huey(url: str, serializer: JsonSerializer) -> huey.Huey:
    if importlib.util.find_spec("redis") is None:
        raise QueueConfigError(
            "the queue URL is a Redis URL but the 'redis' package is not installed "
            "(pip install redis)"
        )
    return huey.RedisHuey(
        QUEUE_NAME,
        url=url,
        serializer=serializer,
        results=False,
        storage_class=RedisQueueStorage,
    )


def _prepare_file(path: Path) -> None:
    """Create the folder (0700) and the file (0600) before SQLite does, with our modes.

    An existing file keeps its mode; one that is not a regular file (/dev/null, a socket, a
    folder) is refused: SQLite would write into it.
    """
    make_private_dirs(path.parent)
    fd = create_private(path, os.O_RDWR)
    if fd is not None:
        os.close(fd)
    elif not path.is_file():
        raise QueueConfigError(
            f"queue_url: {path} is not a regular file; nothing was changed "
            "(name a queue file, or leave queue_url unset)"
        )


def _is_healthy(path: Path) -> bool:
    """False if SQLite says the file is not a database or is malformed (quick_check)."""
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT)
        rows: list[Any] = conn.execute("pragma quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if _is_damage(exc):
            logger.warning("queue file %s is damaged: %s", path, exc)
            return False
        raise
    finally:
        if conn is not None:
            conn.close()
    if rows != [("ok",)]:
        logger.warning("queue file %s failed its integrity check: %s", path, rows[:3])
        return False
    return True


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    if isinstance(exc, sqlite3.OperationalError):  # locked, busy, cannot open: not damage
        return "malformed" in str(exc)
    return True


def quarantine(path: Path) -> Path:
    """Move a damaged queue file (and its -wal/-shm) aside as ``<name>.damaged-<time>``."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, Path(f"{target}{suffix}"))
    logger.error(
        "queue file %s was damaged; moved it to %s and started an empty queue "
        "(the reconciler re-enqueues unfinished jobs from the database)",
        path,
        target,
    )
    return target
