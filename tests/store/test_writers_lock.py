"""On PostgreSQL, step runners' transactions run side by side (the writers' lock taken
shared) while a person's write still runs alone (taken exclusive): workers on several
machines scale without a person's check-then-write ever racing them."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from governance_desktop.store.db import Database

pytestmark = pytest.mark.team_only("the writers' advisory lock is PostgreSQL's")

WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
)


@pytest.fixture
def db() -> Iterator[Database]:
    database = Database(os.environ["GOVERNANCE_DATABASE_URL"])
    yield database
    database.dispose()


@contextmanager
def held(db: Database, *, shared: bool) -> Iterator[None]:
    """A write transaction kept open in another thread until the block ends."""
    began, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction(shared=shared) as session:
            session.execute(text("SELECT 1"))
            began.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    assert began.wait(30), "the holding transaction never began"
    try:
        yield
    finally:
        release.set()
        thread.join(60)


def commit_in_thread(db: Database, *, shared: bool) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def write() -> None:
        with db.transaction(shared=shared) as session:
            session.execute(text("SELECT 1"))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    return thread, done


def wait_until_it_queues(db: Database, done: threading.Event) -> None:
    """Until the other thread's transaction waits on the advisory lock; it must not commit."""
    for _ in range(600):
        assert not done.is_set(), "the two transactions ran side by side"
        with db.reading() as session:
            if session.execute(text(WAITING)).scalar_one():
                assert not done.is_set()
                return
        threading.Event().wait(0.05)
    raise AssertionError("the second transaction neither committed nor queued in 30 s")


def test_two_step_runners_commit_side_by_side(db: Database) -> None:
    """Before, every write transaction took the lock exclusive at BEGIN: a second worker's
    step waited for the first's whole transaction."""
    with held(db, shared=True):
        thread, done = commit_in_thread(db, shared=True)
        assert done.wait(30), "a runner waited for another runner's transaction"
        thread.join(30)


def test_a_persons_write_waits_for_running_steps_and_they_for_it(db: Database) -> None:
    with held(db, shared=True):
        thread, done = commit_in_thread(db, shared=False)
        wait_until_it_queues(db, done)
    assert done.wait(30)
    thread.join(30)
    with held(db, shared=False):
        thread, done = commit_in_thread(db, shared=True)
        wait_until_it_queues(db, done)
    assert done.wait(30)
    thread.join(30)
