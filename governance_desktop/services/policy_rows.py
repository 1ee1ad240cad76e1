"""Policies on the write path as Core rows: a snapshot read with one SELECT and changed with
one UPDATE, no ORM unit of work (loading, flushing and expiring an ORM policy cost about a
quarter of an `assign` step: docs/benchmarks.md, part 2)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from governance_desktop.domain.errors import NotFoundError
from governance_desktop.store.models import Policy

POLICIES = cast(Table, Policy.__table__)


@dataclass
class PolicyRow:
    """A snapshot of one policy row; `write_policy` keeps it equal to the stored row."""

    id: int
    code: str
    title: str
    body: str
    status: str
    owner: str | None
    assignee: str | None
    review_interval_days: int
    next_review_date: date | None
    version: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


POLICY_COLUMNS = [POLICIES.c[f.name].label(f"policy_{f.name}") for f in fields(PolicyRow)]
_COLUMNS = [POLICIES.c[f.name] for f in fields(PolicyRow)]
_BY_ID = select(*_COLUMNS).where(POLICIES.c.id == bindparam("p_key"))
_BY_CODE = select(*_COLUMNS).where(POLICIES.c.code == bindparam("p_key"))
_UPDATE = update(POLICIES).where(POLICIES.c.id == bindparam("p_id"))


def load_policy(conn: Connection, policy_id: int) -> PolicyRow | None:
    found = conn.execute(_BY_ID, {"p_key": policy_id}).first()
    return PolicyRow(*found) if found is not None else None


def require_policy_row(session: Session, code: str) -> PolicyRow:
    found = session.connection().execute(_BY_CODE, {"p_key": code}).first()
    if found is None:
        raise NotFoundError(f"unknown policy '{code}'")
    return PolicyRow(*found)


def write_policy(session: Session, row: PolicyRow, values: dict[str, Any]) -> None:
    """UPDATE the row and the snapshot; an ORM copy this session holds is expired, so a
    later ORM read in the same transaction sees the new values."""
    session.connection().execute(_UPDATE, {"p_id": row.id, **values})
    for name, value in values.items():
        setattr(row, name, value)
    held = session.identity_map.get(session.identity_key(Policy, row.id))
    if held is not None:
        session.expire(held)
