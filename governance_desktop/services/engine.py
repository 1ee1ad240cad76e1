"""Starting workflows: match triggers with an indexed lookup, check conditions, create work.

Executions and their first Job rows are created in the caller's transaction, so a change and
the work it starts commit together; the queue hears about the jobs only after that commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import (
    EntityType,
    ExecutionStatus,
    JobKind,
    JobState,
    TriggerType,
)
from governance_desktop.domain.errors import GovernanceError, ValidationError
from governance_desktop.domain.workflow.conditions import evaluate
from governance_desktop.domain.workflow.definition import (
    OnStatusChangeTrigger,
    OnUpdateTrigger,
    WorkflowDefinition,
)
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.candidates import find_candidates
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


_executions = cast(Table, WorkflowExecution.__table__)
_INSERT_EXECUTIONS = insert(_executions).returning(_executions.c.id, sort_by_parameter_order=True)
_jobs = cast(Table, Job.__table__)
_INSERT_START_JOBS = insert(_jobs).returning(_jobs.c.id, sort_by_parameter_order=True)


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
        self._cache = DatabaseCache.of(db)
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
        candidates = find_candidates(session, self._cache, entity_type, trigger, data)
        if not candidates.rows:
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
        for (workflow_id, name, version_id), matcher in candidates.screen(
            session, self._cache, facts
        ):
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
            defn = version_definition(session, self._cache, version.id)
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
