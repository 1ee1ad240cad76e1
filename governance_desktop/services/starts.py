"""Starting workflows: match triggers with an indexed lookup, check conditions, create work.

Executions and their first Job rows are created in the caller's transaction, so a change and
the work it starts commit together; the queue hears about the jobs only after that commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.enums import EntityType, JobKind, TriggerType
from governance_desktop.domain.errors import GovernanceError, ValidationError
from governance_desktop.domain.workflow.conditions import evaluate
from governance_desktop.domain.workflow.definition import (
    OnStatusChangeTrigger,
    OnUpdateTrigger,
    WorkflowDefinition,
)
from governance_desktop.services.authority import require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.candidates import find_candidates
from governance_desktop.services.dispatch import JobDispatcher, QueuedJob, dispatch_after_commit
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.services.events import EntityEvent
from governance_desktop.services.job_rows import (
    execution_row,
    insert_executions,
    insert_jobs,
    job_row,
)
from governance_desktop.services.policies import policy_facts, require_policy
from governance_desktop.services.policy_rows import load_policy
from governance_desktop.services.workflows import (
    current_definition,
    require_workflow,
    version_definition,
)
from governance_desktop.store.db import Database
from governance_desktop.store.models import Policy, Workflow, WorkflowExecution, WorkflowVersion
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


@dataclass(frozen=True)
class Created:
    """An execution created, and its first job (None if it was failed at once: too deep)."""

    execution_id: int
    job: QueuedJob | None


class WorkflowStarter:
    """Finds the workflows an event starts and creates their executions and first jobs."""

    def __init__(self, db: Database, dispatcher: JobDispatcher) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._dispatcher = dispatcher
        self.after_start: list[Callable[[Session, EntityEvent, list[int]], None]] = []

    def on_entity_event(self, session: Session, event: EntityEvent) -> None:
        """The EventSink PolicyService calls inside its transaction; then the hooks that
        look at what it started (the built-in approval: services/standard_approval.py)."""
        started = self.check_and_trigger_workflows(
            session,
            event.entity_type,
            event.entity_id,
            event.trigger,
            event.data,
            actor=event.actor,
            parent_execution_id=event.parent_execution_id,
        )
        for hook in self.after_start:
            hook(session, event, started)

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
        jobs = [each.job for each in created if each.job is not None]
        dispatch_after_commit(session, jobs, self._dispatcher)
        return [each.execution_id for each in created]

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
    ) -> Created:
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
    ) -> list[Created]:
        """One execution (and its first job) per start: one Core INSERT for all executions,
        one for all jobs, ids from RETURNING in order (ORM rows for ten matches cost about
        half of a `change_status`: docs/benchmarks.md, part 4). `entity`: the policy's id and
        code."""
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
        execution_ids = insert_executions(
            conn,
            [
                execution_row(
                    workflow_id=start.workflow_id,
                    version_id=start.version_id,
                    entity_id=entity[0],
                    trigger=trigger,
                    data=data,
                    step_count=len(start.defn.actions),
                    depth=depth,
                    parent_id=parent.id if parent is not None else None,
                    actor=actor,
                    now=now,
                    error=error if too_deep else None,
                )
                for start in starts
            ],
        )
        if too_deep:
            for execution_id in execution_ids:
                log.warning("execution %s: %s", execution_id, error)
            return [Created(execution_id, None) for execution_id in execution_ids]
        kind = JobKind.EXECUTE_WORKFLOW
        job_ids = insert_jobs(
            conn,
            [
                job_row(
                    kind, execution_id, None, now, workflow=start.workflow_name, entity=entity[1]
                )
                for execution_id, start in zip(execution_ids, starts, strict=True)
            ],
        )
        return [
            Created(execution_id, QueuedJob(job_id, kind))
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
            require_permission(session, actor, Permission.RUN_WORKFLOWS)
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
            job = self.create_execution(
                session, workflow, version, defn, policy, trigger, payload, actor, None
            ).job
            assert job is not None
            dispatch_after_commit(session, [job], self._dispatcher)
            return job.job_id
