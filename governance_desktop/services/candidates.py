"""Which enabled workflows an event may start: an indexed query, kept per database behind a
fingerprint of the workflows table, and screened by each condition's required ``eq``.

At 1,000 enabled workflows a status change reads one aggregate row (the fingerprint) and
looks up only the candidates whose required ``field eq 'text'`` the policy satisfies
(docs/benchmarks.md, part 4, rounds 6 and 9); conditions are evaluated for those alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Table, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import TriggerType
from governance_desktop.domain.workflow.condition_model import (
    AllGroup,
    Condition,
    ConditionOp,
    Leaf,
)
from governance_desktop.domain.workflow.definition import WorkflowDefinition
from governance_desktop.services.workflows import version_definition
from governance_desktop.store.models import Workflow, WorkflowVersion

Row = tuple[int, str, int]  # workflow id, name, current version id

_workflows = cast(Table, Workflow.__table__)
_versions = cast(Table, WorkflowVersion.__table__)
# Built once, run as Core (building and running it through the ORM cost ~1 ms).
_CANDIDATES = (
    select(_workflows.c.id, _workflows.c.name, _versions.c.id)
    .join(
        _versions,
        (_versions.c.workflow_id == _workflows.c.id)
        & (_versions.c.version == _workflows.c.current_version),
    )
    .where(
        _workflows.c.entity_type == bindparam("p_entity"),
        _workflows.c.trigger_type == bindparam("p_trigger"),
        _workflows.c.enabled.is_(True),
    )
    .order_by(_workflows.c.id)
)
_CANDIDATES_BY_STATUS = _CANDIDATES.where(
    or_(
        _workflows.c.trigger_to_status == bindparam("p_status"),
        _workflows.c.trigger_to_status.is_(None),
    )
)
# What any change to a workflow moves: how many there are, their versions (a new version
# only ever raises one), which are enabled (weighted by id, so disabling one and enabling
# another still shows) and the last update time. Computed in SQLite, one row.
_FINGERPRINT = select(
    func.count(),
    func.coalesce(func.sum(_workflows.c.current_version), 0),
    func.coalesce(func.sum(case((_workflows.c.enabled.is_(True), _workflows.c.id), else_=0)), 0),
    func.max(_workflows.c.updated_at),
)


@dataclass(frozen=True)
class Matcher:
    """A version's definition and, if its condition requires ``field eq 'text'``, that pair."""

    defn: WorkflowDefinition
    required: tuple[str, str] | None


# Per engine, per version id (versions are immutable).
_MATCHERS: WeakKeyDictionary[Engine, dict[int, Matcher]] = WeakKeyDictionary()


def matcher_for(session: Session, version_id: int) -> Matcher:
    cache = _MATCHERS.setdefault(session.get_bind().engine, {})
    found = cache.get(version_id)
    if found is None:
        defn = version_definition(session, version_id)
        found = Matcher(defn, _required_eq(defn.conditions))
        if len(cache) > 4096:
            cache.clear()
        cache[version_id] = found
    return found


@dataclass
class Candidates:
    """A kept candidate list, in workflow-id order, and its ``eq`` index (built on first
    use: positions of the candidates with no required ``eq``, and field → text →
    positions of the others)."""

    rows: list[Row]
    _index: tuple[list[int], dict[str, dict[str, list[int]]]] | None = field(
        default=None, repr=False
    )

    def screen(self, session: Session, facts: dict[str, Any]) -> list[tuple[Row, Matcher]]:
        """The candidates the facts do not rule out by a required ``eq``, in order, each
        with its matcher (the exact pre-check ``evaluate`` would fail the others)."""
        index = self._index
        if index is None:
            free: list[int] = []
            by_eq: dict[str, dict[str, list[int]]] = {}
            for position, (_, _, version_id) in enumerate(self.rows):
                required = matcher_for(session, version_id).required
                if required is None:
                    free.append(position)
                else:
                    by_eq.setdefault(required[0], {}).setdefault(required[1], []).append(position)
            index = self._index = (free, by_eq)
        free, by_eq = index
        chosen = list(free)
        for name, table in by_eq.items():
            key = _eq_key(facts.get(name))
            if key is not None:
                chosen += table.get(key, ())
        chosen.sort()
        return [(self.rows[at], matcher_for(session, self.rows[at][2])) for at in chosen]


_KEPT: WeakKeyDictionary[
    Engine, tuple[tuple[Any, ...], dict[tuple[str, str, str | None], Candidates]]
] = WeakKeyDictionary()


def find_candidates(
    session: Session, entity_type: str, trigger: TriggerType, data: dict[str, Any]
) -> Candidates:
    """The enabled workflows for this entity and trigger (and, for a status change, its new
    status), kept per database: they change only when a workflow does, and the fingerprint
    read in this transaction says when (fetching 1,000 rows cost ≈ 40 % of a change)."""
    by_status = trigger is TriggerType.ON_STATUS_CHANGE
    session.flush()  # pending rows of this transaction (a no-op after _emit's flush)
    conn = session.connection()
    fingerprint = _fingerprint(session, conn)
    kept = _KEPT.get(conn.engine)
    if kept is None or kept[0] != fingerprint:
        kept = (fingerprint, {})
        _KEPT[conn.engine] = kept
    key = (entity_type, str(trigger), data.get("status") if by_status else None)
    found = kept[1].get(key)
    if found is None:
        statement = _CANDIDATES_BY_STATUS if by_status else _CANDIDATES
        params = {"p_entity": entity_type, "p_trigger": trigger, "p_status": key[2]}
        found = Candidates(
            [(w_id, name, v_id) for w_id, name, v_id in conn.execute(statement, params)]
        )
        if len(kept[1]) > 256:
            kept[1].clear()
        kept[1][key] = found
    return found


def _fingerprint(session: Session, conn: Connection) -> tuple[Any, ...]:
    """The workflows table's fingerprint; read once per transaction when the transaction
    says it writes no workflows (the runner's): its snapshot cannot change otherwise."""
    if not session.info.get("writes_no_workflows"):
        return tuple(conn.execute(_FINGERPRINT).one())
    transaction, kept = session.info.get("workflow_fingerprint", (None, None))
    if transaction is session.get_transaction() and kept is not None:
        return tuple(kept)
    fingerprint = tuple(conn.execute(_FINGERPRINT).one())
    session.info["workflow_fingerprint"] = (session.get_transaction(), fingerprint)
    return fingerprint


def _required_eq(condition: Condition | None) -> tuple[str, str] | None:
    """A (field, text) the condition cannot pass without: a top-level ``eq`` leaf with a
    text value, alone or inside an ``all`` group."""
    if isinstance(condition, Leaf):
        if condition.op is ConditionOp.EQ and isinstance(condition.value, str):
            return condition.field, condition.value
        return None
    if isinstance(condition, AllGroup):
        for child in condition.all:
            found = _required_eq(child)
            if found is not None:
                return found
    return None


def _eq_key(fact: object) -> str | None:
    """The text a fact equals under the conditions' ``eq`` with a text value: a string
    itself, a date in ISO form; anything else equals no text (conditions._same)."""
    if isinstance(fact, str):
        return fact
    if isinstance(fact, date):
        return fact.isoformat()
    return None
