"""Starting workflows: match triggers with an indexed lookup, check conditions, create work.

Executions and their first Job rows are created in the caller's transaction, so a change and
the work it starts commit together; the queue hears about the jobs only after that commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Table, bindparam, case, func, insert, or_, select
from sqlalchemy.orm import Session

from governance_desktop.domain.condition_model import AllGroup, Condition, ConditionOp, Leaf
from governance_desktop.domain.conditions import evaluate
from governance_desktop.domain.definition import (
    OnStatusChangeTrigger,
    OnUpdateTrigger,
    WorkflowDefinition,
)
from governance_desktop.domain.enums import (
    EntityType,
    ExecutionStatus,
    JobKind,
    JobState,
    TriggerType,
)
from governance_desktop.domain.errors import GovernanceError, ValidationError
from governance_desktop.services.dispatch import JobDispatcher, QueuedJob, dispatch_after_commit
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.services.events import EntityEvent
from governance_desktop.services.policies import policy_facts, require_policy
from governance_desktop.services.policy_rows import load_policy
from governance_desktop.services.progress import version_definition
from governance_desktop.services.users import require_user
from governance_desktop.services.workflows import current_definition, require_workflow
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Job,
    Policy,
    Workflow,
    WorkflowExecution,
    WorkflowVersion,
)
from governance_desktop.store.types import utcnow

log = logging.getLogger(__name__)
MAX_DEPTH = 5


def _trigger_matches(defn: WorkflowDefinition, data: dict[str, Any]) -> bool:
    trigger = defn.trigger
    if isinstance(trigger, OnStatusChangeTrigger):
        if trigger.from_status is not None and data.get("old_status") != trigger.from_status:
            return False
        return trigger.to_status is None or data.get("status") == trigger.to_status
    if isinstance(trigger, OnUpdateTrigger) and trigger.fields:
        return bool(set(trigger.fields) & set(data.get("fields", ())))
    return True


@dataclass(frozen=True)
class _Matcher:
    """A version's definition and, if its condition requires ``field eq 'text'``, that pair."""

    defn: WorkflowDefinition
    required: tuple[str, str] | None


# Per engine, per version id (versions are immutable). With many candidates per event, the
# pre-check skips most condition evaluations (docs/benchmarks.md, part 4).
_MATCHERS: WeakKeyDictionary[Engine, dict[int, _Matcher]] = WeakKeyDictionary()


# The candidate query runs on every policy change (and every `assign` step): built once, run
# as Core on the session's connection (building and running it through the ORM cost ~1 ms).
_workflows = cast(Table, Workflow.__table__)
_versions = cast(Table, WorkflowVersion.__table__)
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
_executions = cast(Table, WorkflowExecution.__table__)
_INSERT_EXECUTIONS = insert(_executions).returning(_executions.c.id, sort_by_parameter_order=True)
_jobs = cast(Table, Job.__table__)
_INSERT_START_JOBS = insert(_jobs).returning(_jobs.c.id, sort_by_parameter_order=True)
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
_KEPT_CANDIDATES: WeakKeyDictionary[
    Engine,
    tuple[tuple[Any, ...], dict[tuple[str, str, str | None], list[tuple[int, str, int]]]],
] = WeakKeyDictionary()


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


def _matcher(session: Session, cache: dict[int, _Matcher], version_id: int) -> _Matcher:
    defn = version_definition(session, version_id)
    matcher = _Matcher(defn, _required_eq(defn.conditions))
    if len(cache) > 4096:
        cache.clear()
    cache[version_id] = matcher
    return matcher


def entity_facts(policy: Policy | PolicyInfo, data: dict[str, Any]) -> dict[str, Any]:
    """What conditions see: the policy's fields plus the trigger data."""
    facts = policy_facts(policy)
    facts["old_status"] = data.get("old_status")
    return facts


@dataclass(frozen=True)
class Start:
    """A matched workflow to start: what an execution row needs, no ORM rows."""

    workflow_id: int
    workflow_name: str
    version_id: int
    defn: WorkflowDefinition


class WorkflowService:
    """Finds the workflows an event starts and creates their executions and first jobs."""

    def __init__(self, db: Database, dispatcher: JobDispatcher) -> None:
        self._db = db
        self._dispatcher = dispatcher

    def on_entity_event(self, session: Session, event: EntityEvent) -> None:
        """The EventSink PolicyService calls inside its transaction."""
        self.check_and_trigger_workflows(
            session,
            event.entity_type,
            event.entity_id,
            event.trigger,
            event.data,
            actor=event.actor,
            parent_execution_id=event.parent_execution_id,
        )

    def candidates(
        self, session: Session, entity_type: str, trigger: TriggerType, data: dict[str, Any]
    ) -> list[tuple[int, str, int]]:
        """(workflow id, name, current version id) of the enabled workflows for this entity and
        trigger: one indexed query, no full scan. Ids only: the parsed definitions are cached
        (versions are immutable), and loading every candidate's row and definition JSON cost
        ~0.1 ms each (docs/benchmarks.md, part 4); rows are loaded only for matches."""
        by_status = trigger is TriggerType.ON_STATUS_CHANGE
        session.flush()  # pending rows of this transaction (a no-op after _emit's flush)
        conn = session.connection()
        # The candidates change only when a workflow does, so they are kept per database
        # with a fingerprint of the workflows table, read (one aggregate row) in this same
        # transaction: fetching 1,000 candidate rows cost ≈ 40 % of a change_status at
        # 1,000 workflows (docs/benchmarks.md, round 6).
        fingerprint = self._fingerprint(session, conn)
        kept = _KEPT_CANDIDATES.get(conn.engine)
        if kept is None or kept[0] != fingerprint:
            kept = (fingerprint, {})
            _KEPT_CANDIDATES[conn.engine] = kept
        key = (entity_type, str(trigger), data.get("status") if by_status else None)
        found = kept[1].get(key)
        if found is None:
            statement = _CANDIDATES_BY_STATUS if by_status else _CANDIDATES
            params = {"p_entity": entity_type, "p_trigger": trigger, "p_status": key[2]}
            found = [(w_id, name, v_id) for w_id, name, v_id in conn.execute(statement, params)]
            if len(kept[1]) > 256:
                kept[1].clear()
            kept[1][key] = found
        return list(found)

    @staticmethod
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

    def check_and_trigger_workflows(
        self,
        session: Session,
        entity_type: str,
        entity_id: int,
        trigger: TriggerType,
        data: dict[str, Any],
        *,
        actor: str,
        parent_execution_id: int | None = None,
    ) -> list[int]:
        """Create an execution (and its first job) for every workflow that matches."""
        if entity_type != EntityType.POLICY:
            return []
        # Most events match no workflow (e.g. the `assign` step's on_update): one query, then
        # nothing else is loaded (docs/benchmarks.md, part 2).
        candidates = self.candidates(session, entity_type, trigger, data)
        if not candidates:
            return []
        policy = load_policy(session.connection(), entity_id)
        assert policy is not None, f"policy {entity_id} vanished inside its own transaction"
        parent = (
            session.get(WorkflowExecution, parent_execution_id)
            if parent_execution_id is not None
            else None
        )
        facts = entity_facts(policy.info, data)
        starts: list[Start] = []
        matchers = _MATCHERS.setdefault(session.get_bind().engine, {})
        for workflow_id, name, version_id in candidates:
            matcher = matchers.get(version_id) or _matcher(session, matchers, version_id)
            if matcher.required is not None:  # exact pre-check: evaluate would say no
                field, value = matcher.required
                if _eq_key(facts.get(field)) != value:
                    continue
            defn = matcher.defn
            if parent is not None and not defn.allow_triggered_by_workflows:
                continue
            if not _trigger_matches(defn, data) or not evaluate(defn.conditions, facts):
                continue
            starts.append(Start(workflow_id, name, version_id, defn))
        entity = (policy.id, policy.info.code)
        created = self.create_executions(session, starts, entity, trigger, data, actor, parent)
        dispatch_after_commit(session, [job for _, job in created if job], self._dispatcher)
        return [execution_id for execution_id, _ in created]

    def create_execution(
        self,
        session: Session,
        workflow: Workflow,
        version: WorkflowVersion,
        defn: WorkflowDefinition,
        policy: Policy,
        trigger: TriggerType,
        data: dict[str, Any],
        actor: str,
        parent: WorkflowExecution | None,
    ) -> tuple[int, QueuedJob | None]:
        start = Start(workflow.id, workflow.name, version.id, defn)
        entity = (policy.id, policy.code)
        [created] = self.create_executions(session, [start], entity, trigger, data, actor, parent)
        return created

    def create_executions(
        self,
        session: Session,
        starts: list[Start],
        entity: tuple[int, str],
        trigger: TriggerType,
        data: dict[str, Any],
        actor: str,
        parent: WorkflowExecution | None,
    ) -> list[tuple[int, QueuedJob | None]]:
        """One execution (and its first job) per start: one Core INSERT for all executions,
        one for all jobs, ids from RETURNING in order (ORM rows for ten matches cost about
        half of a `change_status`: docs/benchmarks.md, part 4). `entity`: the policy's id and
        code. Returns (execution id, job)."""
        if not starts:
            return []
        now = utcnow()
        depth = parent.depth + 1 if parent is not None else 0
        too_deep = depth > MAX_DEPTH
        error = (
            f"stopped: workflows triggering workflows reached depth {depth}, past the "
            f"limit of {MAX_DEPTH} (a loop?); nothing was done"
        )
        conn = session.connection()
        execution_ids = (
            conn.execute(
                _INSERT_EXECUTIONS,
                [
                    {
                        "workflow_id": start.workflow_id,
                        "workflow_version_id": start.version_id,
                        "entity_type": EntityType.POLICY,
                        "entity_id": entity[0],
                        "trigger": trigger,
                        "input_data": dict(data),
                        "status": ExecutionStatus.FAILED if too_deep else ExecutionStatus.QUEUED,
                        "current_step": 0,
                        "step_count": len(start.defn.actions),
                        "depth": depth,
                        "parent_execution_id": parent.id if parent is not None else None,
                        "started_by": actor,
                        "created_at": now,
                        "updated_at": now,
                        "finished_at": now if too_deep else None,
                        "error": error if too_deep else None,
                    }
                    for start in starts
                ],
            )
            .scalars()
            .all()
        )
        if too_deep:
            for execution_id in execution_ids:
                log.warning("execution %s: %s", execution_id, error)
            return [(execution_id, None) for execution_id in execution_ids]
        job_ids = (
            conn.execute(
                _INSERT_START_JOBS,
                [
                    {
                        "kind": JobKind.EXECUTE_WORKFLOW,
                        "execution_id": execution_id,
                        "step_index": None,
                        "state": JobState.QUEUED,
                        "attempts": 0,
                        "progress": 0.0,
                        "payload": {
                            "execution_id": execution_id,
                            "step_index": None,
                            "workflow": start.workflow_name,
                            "entity": entity[1],
                        },
                        "enqueued_at": now,
                        "updated_at": now,
                    }
                    for execution_id, start in zip(execution_ids, starts, strict=True)
                ],
            )
            .scalars()
            .all()
        )
        return [
            (execution_id, QueuedJob(job_id, JobKind.EXECUTE_WORKFLOW))
            for execution_id, job_id in zip(execution_ids, job_ids, strict=True)
        ]

    def queue_workflow_execution(
        self,
        workflow_name: str,
        entity_code: str,
        actor: str,
        trigger: TriggerType = TriggerType.MANUAL,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Start one workflow on one policy now (e.g. `workflows run`); returns the job id."""
        with self._db.transaction() as session:
            require_user(session, actor, "actor")
            workflow = require_workflow(session, workflow_name)
            if not workflow.enabled:
                raise GovernanceError(f"workflow '{workflow_name}' is disabled")
            policy = require_policy(session, entity_code)
            version = current_definition(session, workflow)
            defn = version_definition(session, version.id)
            payload = dict(data or {"status": policy.status})
            if not evaluate(defn.conditions, entity_facts(policy, payload)):
                raise ValidationError(
                    f"{entity_code} does not meet the conditions of '{workflow_name}'", "entity"
                )
            _execution, job = self.create_execution(
                session, workflow, version, defn, policy, trigger, payload, actor, None
            )
            assert job is not None
            dispatch_after_commit(session, [job], self._dispatcher)
            return job.job_id
