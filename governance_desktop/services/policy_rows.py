"""Policies on the write path as Core rows: a snapshot read with one SELECT and changed with
one UPDATE, no ORM unit of work (loading, flushing and expiring an ORM policy cost about a
quarter of an `assign` step: docs/benchmarks.md, part 2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, select, update
from sqlalchemy.orm import Session

from governance_desktop.domain.errors import NotFoundError
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.store.models import Policy

POLICIES = cast(Table, Policy.__table__)


@dataclass
class PolicyRow:
    """One policy row: its id and its fields as the services show them; `write_policy`
    keeps `info` equal to the stored row."""

    id: int
    info: PolicyInfo


_COLUMNS = [POLICIES.c.id, *(POLICIES.c[f.name] for f in fields(PolicyInfo))]
# The same columns labelled, for queries that join a policy to other rows (`joined_policy`).
POLICY_COLUMNS = [column.label(f"policy_{column.name}") for column in _COLUMNS]
_INFO_LABELS = [(f.name, f"policy_{f.name}") for f in fields(PolicyInfo)]
_BY_ID = select(*_COLUMNS).where(POLICIES.c.id == bindparam("p_key"))
_BY_CODE = select(*_COLUMNS).where(POLICIES.c.code == bindparam("p_key"))
_UPDATE = update(POLICIES).where(POLICIES.c.id == bindparam("p_id"))


def policy_row(values: Sequence[Any]) -> PolicyRow:
    """A PolicyRow from the values of `_COLUMNS`, in that order."""
    return PolicyRow(values[0], PolicyInfo(*values[1:]))


def joined_policy(row: Row[*tuple[Any, ...]]) -> PolicyRow:
    """The policy of a row that selected `POLICY_COLUMNS` beside other columns, by label."""
    values = row._mapping
    return PolicyRow(
        values["policy_id"], PolicyInfo(**{name: values[label] for name, label in _INFO_LABELS})
    )


def load_policy(conn: Connection, policy_id: int) -> PolicyRow | None:
    found = conn.execute(_BY_ID, {"p_key": policy_id}).first()
    return policy_row(found) if found is not None else None


def require_policy_row(session: Session, code: str) -> PolicyRow:
    found = session.connection().execute(_BY_CODE, {"p_key": code}).first()
    if found is None:
        raise NotFoundError(f"unknown policy '{code}'")
    return policy_row(found)


def write_policy(session: Session, row: PolicyRow, values: dict[str, Any]) -> None:
    """UPDATE the row and the snapshot; an ORM copy this session holds is expired, so a
    later ORM read in the same transaction sees the new values."""
    session.connection().execute(_UPDATE, {"p_id": row.id, **values})
    row.info = replace(row.info, **values)
    held = session.identity_map.get(session.identity_key(Policy, row.id))
    if held is not None:
        session.expire(held)
