"""A transaction PostgreSQL rolls back as a deadlock victim runs again, and nobody sees it."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from governance_desktop.store.conflicts import is_conflict, retry_conflicts


@pytest.mark.team_only("a real deadlock needs PostgreSQL")
def test_a_deadlock_victim_is_run_again() -> None:
    engine = create_engine(os.environ["GOVERNANCE_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)"))
        conn.execute(text("INSERT INTO counters VALUES (1, 0), (2, 0)"))
    both_hold_one = threading.Barrier(2)
    tries = {"first": 0, "second": 0}
    errors: list[BaseException] = []

    def crossing(name: str, first: int, then: int) -> None:
        tries[name] += 1
        with engine.begin() as conn:
            conn.execute(text("UPDATE counters SET n = n + 1 WHERE id = :i"), {"i": first})
            if tries[name] == 1:  # the first try of each holds one row and wants the other
                both_hold_one.wait(10)
            conn.execute(text("UPDATE counters SET n = n + 1 WHERE id = :i"), {"i": then})

    def run(name: str, first: int, then: int) -> None:
        try:
            retry_conflicts(crossing)(name, first, then)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=("first", 1, 2)),
        threading.Thread(target=run, args=("second", 2, 1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT id, n FROM counters")).all())
    engine.dispose()
    assert not errors, errors
    assert sum(tries.values()) == 3, tries  # one of the two was the victim and ran again
    assert counts == {1: 2, 2: 2}


def test_only_conflicts_count_as_conflicts() -> None:
    class Orig(Exception):
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    assert is_conflict(DBAPIError("UPDATE", {}, Orig("40P01")))
    assert is_conflict(DBAPIError("UPDATE", {}, Orig("40001")))
    assert not is_conflict(DBAPIError("UPDATE", {}, Orig("23505")))  # a unique violation
    assert not is_conflict(ValueError("40P01"))
