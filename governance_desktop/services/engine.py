"""Starting workflows: match triggers with an indexed lookup, check conditions, create work.

Executions and their first Job rows are created in the caller's transaction, so a change and
the work it starts commit together; the queue hears about the jobs only after that commit.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

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
    TriggerType,
)
from governance_desktop.domain.errors import GovernanceError, ValidationError
from governance_desktop.services.dispatch import JobDispatcher, QueuedJob, dispatch_after_commit
from governance_desktop.services.events import EntityEvent
from governance_desktop.services.policies import policy_facts, require_policy
from governance_desktop.services.progress import new_job, version_definition
from governance_desktop.services.users import require_user
from governance_desktop.services.workflows import current_definition, require_workflow
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


def entity_facts(policy: Policy, data: dict[str, Any]) -> dict[str, Any]:
    """What conditions see: the policy's fields plus the trigger data."""
    facts = policy_facts(policy)
    facts["old_status"] = data.get("old_status")
    return facts


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
    ) -> list[tuple[int, int]]:
        """(workflow id, current version id) of the enabled workflows for this entity and
        trigger: one indexed query, no full scan. Ids only: the parsed definitions are cached
        (versions are immutable), and loading every candidate's row and definition JSON cost
        ~0.1 ms each (docs/benchmarks.md, part 4); rows are loaded only for matches."""
        query = (
            select(Workflow.id, WorkflowVersion.id)
            .join(
                WorkflowVersion,
                (WorkflowVersion.workflow_id == Workflow.id)
                & (WorkflowVersion.version == Workflow.current_version),
            )
            .where(
                Workflow.entity_type == entity_type,
                Workflow.trigger_type == trigger,
                Workflow.enabled.is_(True),
            )
        )
        if trigger is TriggerType.ON_STATUS_CHANGE:
            query = query.where(
                or_(
                    Workflow.trigger_to_status == data.get("status"),
                    Workflow.trigger_to_status.is_(None),
                )
            )
        rows = session.execute(query.order_by(Workflow.id))
        return [(workflow_id, version_id) for workflow_id, version_id in rows]

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
        policy = session.get(Policy, entity_id)
        assert policy is not None, f"policy {entity_id} vanished inside its own transaction"
        parent = (
            session.get(WorkflowExecution, parent_execution_id)
            if parent_execution_id is not None
            else None
        )
        facts = entity_facts(policy, data)
        started: list[int] = []
        jobs: list[QueuedJob] = []
        for workflow_id, version_id in self.candidates(session, entity_type, trigger, data):
            defn = version_definition(session, version_id)
            if parent is not None and not defn.allow_triggered_by_workflows:
                continue
            if not _trigger_matches(defn, data) or not evaluate(defn.conditions, facts):
                continue
            workflow = session.get(Workflow, workflow_id)
            version = session.get(WorkflowVersion, version_id)
            assert workflow is not None and version is not None
            execution, job = self.create_execution(
                session, workflow, version, defn, policy, trigger, data, actor, parent
            )
            started.append(execution.id)
            if job is not None:
                jobs.append(job)
        dispatch_after_commit(session, jobs, self._dispatcher)
        return started

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
    ) -> tuple[WorkflowExecution, QueuedJob | None]:
        now = utcnow()
        depth = parent.depth + 1 if parent is not None else 0
        execution = WorkflowExecution(
            workflow_id=workflow.id,
            workflow_version_id=version.id,
            entity_type=EntityType.POLICY,
            entity_id=policy.id,
            trigger=trigger,
            input_data=dict(data),
            status=ExecutionStatus.QUEUED,
            current_step=0,
            step_count=len(defn.actions),
            depth=depth,
            parent_execution_id=parent.id if parent is not None else None,
            started_by=actor,
            created_at=now,
            updated_at=now,
        )
        session.add(execution)
        session.flush()
        if depth > MAX_DEPTH:
            execution.status = ExecutionStatus.FAILED
            execution.finished_at = now
            execution.error = (
                f"stopped: workflows triggering workflows reached depth {depth}, past the "
                f"limit of {MAX_DEPTH} (a loop?); nothing was done"
            )
            log.warning("execution %s: %s", execution.id, execution.error)
            return execution, None
        job = new_job(
            session,
            JobKind.EXECUTE_WORKFLOW,
            execution,
            None,
            {"workflow": workflow.name, "entity": policy.code},
        )
        return execution, job

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
