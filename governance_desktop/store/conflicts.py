"""Retry a unit of work that PostgreSQL rolled back as a deadlock victim or a serialisation
failure: the work itself was valid, another writer only got in its way, so nobody should
see it as an error.

A person's write takes the writers' lock alone (store.db.WRITER_LOCK_KEY) and locks an
execution before its approvals, so it meets none; workers' step transactions run side by side
(the lock shared) and lock their rows in one order, so between them these are rare; a
server-side writer (an admin's script, a migration) can still cause one.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

#: SQLSTATEs that mean "run the transaction again": serialization_failure, deadlock_detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})
#: Tries in all, and the first back-off ceiling in seconds (doubled each time, jittered).
ATTEMPTS = 5
FIRST_BACKOFF_S = 0.02

P = ParamSpec("P")
R = TypeVar("R")


def is_conflict(exc: BaseException) -> bool:
    """Whether `exc` is a transaction the server rolled back only because of another one."""
    if not isinstance(exc, DBAPIError):
        return False
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state in RETRY_SQLSTATES


def retry_conflicts(work: Callable[P, R]) -> Callable[P, R]:
    """Run `work` (which opens and commits its own transaction) again, up to ATTEMPTS times
    with jittered exponential back-off, when the server rolled it back as a conflict."""

    @functools.wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return work(*args, **kwargs)
            except DBAPIError as exc:
                if attempt == ATTEMPTS or not is_conflict(exc):
                    raise
                pause = random.uniform(0, FIRST_BACKOFF_S * 2 ** (attempt - 1))
                log.info(
                    "%s: %s, trying again in %.0f ms (attempt %d of %d)",
                    work.__qualname__,
                    type(exc.orig).__name__,
                    pause * 1000,
                    attempt + 1,
                    ATTEMPTS,
                )
                time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    return run
