"""make_huey: file modes, a damaged queue.db is rebuilt, a Redis URL needs redis."""

from __future__ import annotations

import importlib.util
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from huey.storage import EmptyData

from governance_desktop.jobs.queue import QUEUE_NAME, QueueConfigError, make_huey


def _roundtrip(path: Path) -> None:
    queue = make_huey(str(path), own_file=path)  # the data folder's own queue.db
    try:
        assert queue.name == QUEUE_NAME
        queue.storage.enqueue(b"x", 0)
        assert queue.storage.dequeue() == b"x"
    finally:
        queue.storage.close()


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_new_queue_file_is_private(tmp_path: Path) -> None:
    """The folder is created 0700 and queue.db 0600."""
    path = tmp_path / "new" / "queue.db"
    _roundtrip(path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_queue_uses_wal_and_normal_sync(tmp_path: Path) -> None:
    """The queue connection runs WAL with synchronous=NORMAL (transport, not truth)."""
    queue = make_huey(str(tmp_path / "queue.db"))
    try:
        conn = queue.storage.conn
        assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
        assert conn.execute("pragma synchronous").fetchone() == (1,)
    finally:
        queue.storage.close()


def test_garbage_queue_file_is_moved_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file that is not a database is kept as queue.db.damaged-<time>; a new one works."""
    path = tmp_path / "queue.db"
    path.write_bytes(b"this is not sqlite" * 500)
    with caplog.at_level(logging.WARNING, "governance_desktop.jobs"):
        _roundtrip(path)
    damaged = list(tmp_path.glob("queue.db.damaged-*"))
    assert len(damaged) == 1 and damaged[0].read_bytes().startswith(b"this is not sqlite")
    assert "damaged" in caplog.text


def test_malformed_queue_file_is_rebuilt(tmp_path: Path) -> None:
    """A real queue.db with smashed pages fails the quick check and is rebuilt."""
    path = tmp_path / "queue.db"
    queue = make_huey(str(path))
    for i in range(300):
        queue.storage.enqueue(b"payload-%d" % i * 20, 0)
    queue.storage.close()
    with sqlite3.connect(path) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2 : page * 5] = b"\xff" * (page * 3)
    path.write_bytes(bytes(data))
    _roundtrip(path)
    assert list(tmp_path.glob("queue.db.damaged-*"))


@pytest.mark.skipif(importlib.util.find_spec("redis") is not None, reason="redis installed")
def test_redis_url_without_redis_is_a_clear_error() -> None:
    """Team mode asks for the redis package by name."""
    with pytest.raises(QueueConfigError, match="redis"):
        make_huey("redis://localhost:6379/0")


def test_pop_data_takes_what_is_there_and_writes_nothing_otherwise(tmp_path: Path) -> None:
    """Huey pops each executed task's revoke flag: a missing key costs no write transaction."""
    queue = make_huey(str(tmp_path / "queue.db"))
    storage = queue.storage
    storage.put_data(b"flag", b"1")
    assert storage.pop_data(b"flag") == b"1"
    assert not storage.has_data_for_key(b"flag")  # popped, as Huey's own pop does
    statements: list[str] = []
    storage.conn.set_trace_callback(statements.append)
    try:
        assert storage.pop_data(b"flag") is EmptyData
    finally:
        storage.conn.set_trace_callback(None)
    assert not [s for s in statements if s.split()[0].upper() in ("BEGIN", "DELETE")]
    storage.close()
