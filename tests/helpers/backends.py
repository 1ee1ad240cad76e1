"""The stores a test runs on: `sqlite` (the data folder's files, the default) or `team` (a
real PostgreSQL database and Redis queue, from `tools/team-servers`).

`pytest --backends team` (or `sqlite,team`) runs every test on each; the team servers are
named by GOVERNANCE_TEST_POSTGRES (an admin URL) and GOVERNANCE_TEST_REDIS. Each team test
gets a fresh database cloned from a migrated template and a Redis database of its own, and
both are set as GOVERNANCE_DATABASE_URL/GOVERNANCE_QUEUE_URL, so the app, its CLI and any
process a test starts use them. A test that is about SQLite files says so with
`@pytest.mark.sqlite_only("why")`.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "team")
POSTGRES_ENV = "GOVERNANCE_TEST_POSTGRES"
REDIS_ENV = "GOVERNANCE_TEST_REDIS"
TEMPLATE = "gd_template"
#: Redis databases the team server has (tools/team-servers: --databases 64); 0 is left alone.
REDIS_DATABASES = 64


@dataclass(frozen=True)
class TeamServers:
    """The admin URL of the test PostgreSQL server and the URL of the test Redis server."""

    postgres: str
    redis: str

    @classmethod
    def from_env(cls) -> TeamServers:
        postgres, redis = os.environ.get(POSTGRES_ENV), os.environ.get(REDIS_ENV)
        if not postgres or not redis:
            raise pytest.UsageError(
                f"--backends team needs {POSTGRES_ENV} and {REDIS_ENV}: start the servers "
                "with `tools/team-servers start DIR` and source DIR/env (or use tools/team-tests)"
            )
        return cls(postgres, redis)

    def database_url(self, name: str) -> str:
        base, _, _ = self.postgres.rpartition("/")
        return f"{base}/{name}"


class TeamDatabases:
    """Per-test PostgreSQL databases cloned from one migrated template, and Redis databases."""

    def __init__(self, servers: TeamServers) -> None:
        from sqlalchemy import create_engine

        self.servers = servers
        self.admin = create_engine(servers.postgres, isolation_level="AUTOCOMMIT")
        self._numbers = itertools.count(1)
        self._template_ready = False
        self._pid = os.getpid()

    def _execute(self, sql: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def _make_template(self) -> None:
        from governance_desktop.store.db import Database
        from governance_desktop.store.migrate import upgrade_to_head

        self._execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self._execute(f"CREATE DATABASE {TEMPLATE}")
        db = Database(self.servers.database_url(TEMPLATE))
        try:
            with tempfile.TemporaryDirectory() as folder:
                upgrade_to_head(db, Path(folder))
        finally:
            db.dispose()
        self._template_ready = True

    def fresh(self) -> tuple[str, str]:
        """A new empty, migrated database URL and a flushed Redis URL for one test."""
        if not self._template_ready:
            self._make_template()
        number = next(self._numbers)
        name = f"gd_{self._pid}_{number}"
        self._execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        redis_db = 1 + number % (REDIS_DATABASES - 1)
        redis_url = f"{self.servers.redis.rstrip('/')}/{redis_db}"
        import redis

        client = redis.Redis.from_url(redis_url)
        try:
            client.flushdb()
        finally:
            client.close()
        return self.servers.database_url(name), redis_url

    def drop(self, database_url: str) -> None:
        name = database_url.rpartition("/")[2]
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        self.admin.dispose()
