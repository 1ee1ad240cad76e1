"""A big policy register, fast: Core inserts straight into `policies` (no versions, events)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from governance_desktop.store.db import Database
from governance_desktop.store.models import Policy, User

STATUSES = ("draft", "in_review", "awaiting_approval", "approved", "published", "retired")


def seed_policies(db: Database, count: int, *, prefix: str = "BIG") -> None:
    """`count` policies ``BIG-000001``…, varied titles, statuses, owners and review dates."""
    with db.transaction() as session:
        users = list(session.scalars(select(User.username).order_by(User.username)))
        now = datetime.now(UTC)
        today = date.today()
        rows: list[dict[str, Any]] = []
        for n in range(1, count + 1):
            status = STATUSES[n % len(STATUSES)]
            rows.append(
                {
                    "code": f"{prefix}-{n:06d}",
                    "title": f"Policy {(n * 7919) % count:06d} on topic {n % 37}",
                    "body": "",
                    "status": status,
                    "owner": users[n % len(users)],
                    "assignee": users[(n * 3) % len(users)] if n % 4 else None,
                    "review_interval_days": 365,
                    "next_review_date": today + timedelta(days=(n % 120) - 40)
                    if status == "published"
                    else None,
                    "version": 1,
                    "created_by": users[0],
                    "created_at": now,
                    "updated_by": users[0],
                    "updated_at": now - timedelta(minutes=(n * 31) % 5000),
                }
            )
        session.execute(insert(Policy), rows)
