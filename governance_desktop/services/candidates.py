"""Which enabled workflows an event may start: an indexed query, kept per database at one
workflows generation (``store.generations``), and screened by each condition's required ``eq``.

A status change reads the generation (one primary-key row, once per transaction) and, at 1,000
enabled workflows, looks up only the candidates whose required ``field eq 'text'`` the policy
satisfies (docs/benchmarks.md, part 4); conditions are evaluated for those alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import TriggerType
from governance_desktop.domain.workflow.condition_model import (
    AllGroup,
    Condition,
    ConditionOp,
    Leaf,
)
from governance_desktop.domain.workflow.definition import WorkflowDefinition
from governance_desktop.services.cache import CandidateKey, DatabaseCache
from governance_desktop.services.workflows import version_definition
from governance_desktop.store import generations
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


@dataclass(frozen=True)
class Matcher:
    """A version's definition and, if its condition requires ``field eq 'text'``, that pair."""

    defn: WorkflowDefinition
    required: tuple[str, str] | None


def matcher_for(session: Session, cache: DatabaseCache, version_id: int) -> Matcher:
    """The version's matcher, kept by version id (versions are immutable)."""
    matchers = cache.matchers
    found = cast("Matcher | None", matchers.get(version_id))
    if found is None:
        defn = version_definition(session, cache, version_id)
        found = Matcher(defn, _required_eq(defn.conditions))
        if len(matchers) > 4096:
            matchers.clear()
        matchers[version_id] = found
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

    def screen(
        self, session: Session, cache: DatabaseCache, facts: dict[str, Any]
    ) -> list[tuple[Row, Matcher]]:
        """The candidates the facts do not rule out by a required ``eq``, in order, each
        with its matcher (the exact pre-check ``evaluate`` would fail the others)."""
        index = self._index
        if index is None:
            free: list[int] = []
            by_eq: dict[str, dict[str, list[int]]] = {}
            for position, (_, _, version_id) in enumerate(self.rows):
                required = matcher_for(session, cache, version_id).required
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
        return [(self.rows[at], matcher_for(session, cache, self.rows[at][2])) for at in chosen]


def find_candidates(
    session: Session,
    cache: DatabaseCache,
    entity_type: str,
    trigger: TriggerType,
    data: dict[str, Any],
) -> Candidates:
    """The enabled workflows for this entity and trigger (and, for a status change, its new
    status), kept per database: they change only when a workflow does, which moves the
    workflows generation (fetching 1,000 rows cost ≈ 40 % of a change)."""
    by_status = trigger is TriggerType.ON_STATUS_CHANGE
    session.flush()  # pending rows of this transaction (a no-op after _emit's flush)
    generation = generations.read(session, generations.WORKFLOWS)
    kept = cache.kept
    if generation is not None and kept[0] != generation:
        kept = cache.kept = (generation, {})
    key: CandidateKey = (entity_type, str(trigger), data.get("status") if by_status else None)
    found = cast("Candidates | None", kept[1].get(key)) if generation is not None else None
    if found is None:
        statement = _CANDIDATES_BY_STATUS if by_status else _CANDIDATES
        params = {"p_entity": entity_type, "p_trigger": trigger, "p_status": key[2]}
        rows = session.connection().execute(statement, params)
        found = Candidates([(w_id, name, v_id) for w_id, name, v_id in rows])
        if generation is not None:  # None: this transaction wrote workflows, not yet committed
            if len(kept[1]) > 256:
                kept[1].clear()
            kept[1][key] = found
    return found


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
