"""The dry run's reads over the whole register: how many policies a workflow's conditions
match now, and the policy finder behind its search-as-you-type picker.

The count is one SQL ``count(*)`` when the workflow has no conditions; otherwise one pass
over only the columns the conditions read (never the bodies unless a condition reads
``body``), evaluated with the domain's evaluator, the same one a run uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from governance_desktop.domain.enums import PolicyStatus
from governance_desktop.domain.workflow.condition_model import AllGroup, AnyGroup, NotGroup
from governance_desktop.domain.workflow.conditions import evaluate
from governance_desktop.domain.workflow.definition import (
    Condition,
    OnStatusChangeTrigger,
    WorkflowDefinition,
)
from governance_desktop.services.search import contains, escape_like, search_text
from governance_desktop.store.db import Database
from governance_desktop.store.models import Policy

FIND_LIMIT = 20
_BATCH = 5000


@dataclass(frozen=True)
class PolicyChoice:
    """One policy the picker offers."""

    code: str
    title: str
    status: str

    @property
    def label(self) -> str:
        return f"{self.code}: {self.title} ({self.status})"


@dataclass(frozen=True)
class MatchCount:
    """``matched`` of the ``total`` policies meet the conditions now."""

    matched: int
    total: int

    @property
    def text(self) -> str:
        return f"{self.matched:,} of {self.total:,} policies meet the conditions now."


def condition_fields(condition: Condition | None) -> set[str]:
    """Every fact a condition reads."""
    found: set[str] = set()
    stack: list[Any] = [condition] if condition is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, AllGroup):
            stack.extend(node.all)
        elif isinstance(node, AnyGroup):
            stack.extend(node.any)
        elif isinstance(node, NotGroup):
            stack.append(node.not_)
        else:
            found.add(str(node.field))
    return found


def assumed(defn: WorkflowDefinition, facts: dict[str, Any]) -> dict[str, Any]:
    """``facts`` as the dry run reads them: as if the policy had just made the trigger's
    move (``old_status`` its status before), or as it is (``old_status`` None)."""
    facts["old_status"] = None
    trigger = defn.trigger
    if isinstance(trigger, OnStatusChangeTrigger) and trigger.to_status is not None:
        status = str(facts.get("status"))
        if trigger.to_status != status or trigger.from_status is not None:
            old = trigger.from_status or PolicyStatus(status)
            facts["old_status"] = old.value
            facts["status"] = trigger.to_status.value
    return facts


class DryRunScope:
    """Register-wide reads for the dry run (reads only)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def find(self, text: str, limit: int = FIND_LIMIT) -> list[PolicyChoice]:
        """Up to ``limit`` policies whose code or title holds ``text`` (literally, any case),
        codes starting with it first; empty text: the first codes."""
        needle = search_text(text, "policy")
        query = select(Policy.code, Policy.title, Policy.status)
        if needle:
            query = query.where(or_(contains(Policy.code, needle), contains(Policy.title, needle)))
            starts = Policy.code.ilike(f"{escape_like(needle)}%", escape="\\")
            query = query.order_by(starts.desc(), Policy.code)
        else:
            query = query.order_by(Policy.code)
        with self._db.reading() as session:
            rows = session.execute(query.limit(limit)).all()
        return [PolicyChoice(code, title, str(status)) for code, title, status in rows]

    def match_count(self, defn: WorkflowDefinition) -> MatchCount:
        """How many policies meet ``defn``'s conditions now (the dry run's assumption)."""
        with self._db.reading() as session:
            total = int(session.scalar(select(func.count()).select_from(Policy)) or 0)
            if defn.conditions is None:
                return MatchCount(total, total)
            wanted = condition_fields(defn.conditions) | {"status"}
            columns = [getattr(Policy, name) for name in sorted(wanted) if hasattr(Policy, name)]
            keys = [column.key for column in columns]
            rows = session.connection().execute(
                select(*columns).execution_options(yield_per=_BATCH)
            )
            # Many policies share their values (status, owner, dates): each distinct row of
            # the columns read is evaluated once.
            seen: dict[tuple[Any, ...], bool] = {}
            matched = 0
            for row in rows:
                values = tuple(row)
                passed = seen.get(values)
                if passed is None:
                    facts = assumed(defn, dict(zip(keys, values, strict=True)))
                    passed = seen[values] = evaluate(defn.conditions, facts)
                matched += passed
        return MatchCount(matched, total)
