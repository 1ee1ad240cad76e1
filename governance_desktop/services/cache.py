"""What the services remember of one database between transactions, in one object per Database.

Each entry is safe to keep because of what it holds: workflow versions are immutable, and the
kept candidate lists and active users carry the generation they were read at
(``store.generations``). `clear()` forgets everything, for a test that wants a cold
cache or after the file was replaced behind the Database's back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from governance_desktop.domain.workflow.definition import WorkflowDefinition
from governance_desktop.store.db import Database

CandidateKey = tuple[str, str, str | None]  # entity type, trigger, new status (status changes)

_LOCK = threading.Lock()


@dataclass
class DatabaseCache:
    """Parsed definitions and trigger matchers by version id, the trigger's candidate lists at
    one workflows generation, and the usernames seen to exist. Readers run on several threads:
    each entry is replaced whole or grows by one key at a time (atomic under the GIL)."""

    definitions: dict[int, WorkflowDefinition] = field(default_factory=dict)
    # services.candidates' Matcher and Candidates; typed there, so this module imports nothing
    # of the services that use it.
    matchers: dict[int, object] = field(default_factory=dict)
    kept: tuple[int, dict[CandidateKey, object]] = (-1, {})
    # Active usernames seen, at one users generation (a deactivation or role change bumps it).
    users: tuple[int, set[str]] = (-1, set())

    @staticmethod
    def of(db: Database) -> DatabaseCache:
        """The database's cache, made by the first service that asks; it lives in the Database's
        `cache` slot and goes with it."""
        cache = db.cache
        if not isinstance(cache, DatabaseCache):
            with _LOCK:
                cache = db.cache
                if not isinstance(cache, DatabaseCache):
                    cache = db.cache = DatabaseCache()
        return cache

    def clear(self) -> None:
        self.definitions = {}
        self.matchers = {}
        self.kept = (-1, {})
        self.users = (-1, set())
