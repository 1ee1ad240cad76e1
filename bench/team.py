"""Team-mode stores for the benchmarks: a fresh PostgreSQL database and a Redis database of
its own for each data dir, on the servers `tools/team-servers` started (named by
GOVERNANCE_TEST_POSTGRES, an admin URL, and GOVERNANCE_TEST_REDIS, as for the tests).

Not a part of its own (``bench.run`` has no part named ``team``): parts that measure team
mode beside queue.db (latency) use it when both variables are set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

POSTGRES_ENV = "GOVERNANCE_TEST_POSTGRES"
REDIS_ENV = "GOVERNANCE_TEST_REDIS"
#: Redis databases the benchmarks use, from the top of tools/team-servers' 64 (the tests
#: count from 1 upwards; run benchmarks and tests on separate servers to be sure).
FIRST_REDIS_DB = 48


def team_servers() -> tuple[str, str] | None:
    """(PostgreSQL admin URL, Redis URL) when both are set, else None."""
    postgres, redis = os.environ.get(POSTGRES_ENV), os.environ.get(REDIS_ENV)
    return (postgres, redis) if postgres and redis else None


@dataclass
class TeamStore:
    """One data dir's database and queue on the team servers; `drop()` when done."""

    admin_url: str
    database_url: str
    queue_url: str

    @classmethod
    def create(cls, admin_url: str, redis_url: str, number: int) -> TeamStore:
        import redis

        name = f"gd_bench_{os.getpid()}_{number}"
        _admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(admin_url, f"CREATE DATABASE {name}")
        queue_url = f"{redis_url.rstrip('/')}/{FIRST_REDIS_DB + number}"
        client = redis.Redis.from_url(queue_url)
        try:
            client.flushdb()
        finally:
            client.close()
        base = admin_url.rpartition("/")[0]
        return cls(admin_url, f"{base}/{name}", queue_url)

    def env(self) -> dict[str, str]:
        """The variables a `governance-desktop` process needs to use this store."""
        return {
            "GOVERNANCE_DATABASE_URL": self.database_url,
            "GOVERNANCE_QUEUE_URL": self.queue_url,
        }

    def drop(self) -> None:
        name = self.database_url.rpartition("/")[2]
        _admin(self.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _admin(admin_url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()
