"""The built-in approval: a policy moved to awaiting_approval that no enabled workflow governs
gets an approval request from the move itself, in the move's transaction.

The request is an execution of the reserved workflow "Standard approval" (a real workflows
row, made on first need, that an admin can see): one step asking every eligible approver
(``any_approver``), rule "any". With nobody eligible the move is refused. docs/authority.md.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from governance_desktop.domain.enums import (
    EntityType,
    ExecutionStatus,
    PolicyStatus,
    TriggerType,
)
from governance_desktop.domain.errors import LifecycleError
from governance_desktop.domain.workflow.definition import (
    ApprovalAction,
    WorkflowDefinition,
    definition_to_json,
    parse_definition,
)
from governance_desktop.services.approval_requests import add_requests, eligible_approvers
from governance_desktop.services.audit import AuditService
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.events import EntityEvent
from governance_desktop.services.job_rows import execution_row, insert_executions
from governance_desktop.services.policy_rows import PolicyRow, load_policy
from governance_desktop.services.workflows import current_definition, version_definition
from governance_desktop.store import generations
from governance_desktop.store.db import DEFINITIONS_LOCK_KEY, Database, take_lock
from governance_desktop.store.models import (
    Workflow,
    WorkflowExecution,
    WorkflowStepRun,
    WorkflowVersion,
)
from governance_desktop.store.types import utcnow

STANDARD_APPROVAL = "Standard approval"
#: Its definition: started by nothing but a move no workflow governs (or by hand).
STANDARD_DEFINITION: dict[str, Any] = {
    "schema_version": 1,
    "name": STANDARD_APPROVAL,
    "description": (
        "Built in: asks every eligible approver when a policy awaits approval and no "
        "enabled workflow asks anyone; one approval approves the text."
    ),
    "trigger": {"type": "manual"},
    "actions": [
        {
            "type": "approval",
            "any_approver": True,
            "rule": "any",
            "title": "Approval of {policy.code}",
        }
    ],
}
_step_runs = cast(Table, WorkflowStepRun.__table__)


def _has_approval(defn: WorkflowDefinition, done: Collection[int] = ()) -> bool:
    """True if ``defn`` has an approval step not among ``done``."""
    return any(
        isinstance(action, ApprovalAction) and i not in done
        for i, action in enumerate(defn.actions)
    )


class StandardApproval:
    """The hook WorkflowStarter calls after the workflows an event starts are created."""

    def __init__(self, db: Database, audit: AuditService) -> None:
        self._cache = DatabaseCache.of(db)
        self._audit = audit

    def after_start(self, session: Session, event: EntityEvent, started: list[int]) -> None:
        if event.entity_type != EntityType.POLICY or event.trigger != TriggerType.ON_STATUS_CHANGE:
            return
        if event.data.get("status") != PolicyStatus.AWAITING_APPROVAL:
            return
        if self._governed(session, event, started):
            return
        policy = load_policy(session.connection(), event.entity_id)
        assert policy is not None
        self.request(session, policy, event.actor, event.parent_execution_id)

    def _governed(self, session: Session, event: EntityEvent, started: list[int]) -> bool:
        """True if a workflow will ask for approval of this move: one it started has an
        approval step, or the workflow that made the move has one still to come."""
        ids = list(started)
        if event.parent_execution_id is not None:
            ids.append(event.parent_execution_id)
        if not ids:
            return False
        versions = dict(
            session.execute(
                select(WorkflowExecution.id, WorkflowExecution.workflow_version_id).where(
                    WorkflowExecution.id.in_(ids)
                )
            ).all()
        )
        for execution_id in started:
            if _has_approval(version_definition(session, self._cache, versions[execution_id])):
                return True
        parent = event.parent_execution_id
        if parent is None or parent not in versions:
            return False
        # The maker's steps already run have their rows (an approval step saves its row
        # when it starts waiting), so only approval steps still to come count.
        done = set(
            session.connection()
            .execute(select(_step_runs.c.step_index).where(_step_runs.c.execution_id == parent))
            .scalars()
        )
        return _has_approval(version_definition(session, self._cache, versions[parent]), done)

    def request(
        self, session: Session, policy: PolicyRow, requester: str, parent_id: int | None
    ) -> int:
        """Create the standard approval's execution waiting on its approval step, with one
        pending request per eligible approver; returns the execution's id."""
        code = policy.info.code
        workflow = self._workflow(session, requester)
        version = current_definition(session, workflow)
        defn = version_definition(session, self._cache, version.id)
        action = defn.actions[0]
        if len(defn.actions) != 1 or not isinstance(action, ApprovalAction):
            raise LifecycleError(
                f"{code}: the workflow '{STANDARD_APPROVAL}' must be one approval step "
                "(rule: guarded transition)"
            )
        eligible = eligible_approvers(session, policy.id, policy.info.version, requester)
        approvers = (
            eligible if action.any_approver else [n for n in action.approvers if n in eligible]
        )
        if not approvers:
            raise LifecycleError(
                f"{code} cannot await approval: no enabled workflow asks for approval and no "
                "active approver may approve this text (the requester and its editors since "
                "the last approved version may not) (rule: segregation of duties)"
            )
        now = utcnow()
        parent = session.get(WorkflowExecution, parent_id) if parent_id is not None else None
        row = execution_row(
            workflow_id=workflow.id,
            version_id=version.id,
            entity_id=policy.id,
            trigger=TriggerType.ON_STATUS_CHANGE,
            data={"status": PolicyStatus.AWAITING_APPROVAL.value},
            step_count=1,
            depth=parent.depth + 1 if parent is not None else 0,
            parent_id=parent_id,
            actor=requester,
            now=now,
        )
        row.update(status=ExecutionStatus.AWAITING_APPROVAL, started_at=now)
        conn = session.connection()
        [execution_id] = insert_executions(conn, [row])
        conn.execute(
            insert(_step_runs),
            {
                "execution_id": execution_id,
                "step_index": 0,
                "action_type": action.type,
                "status": "waiting",
                "result": {"approvers": approvers},
                "created_at": now,
            },
        )
        digest = add_requests(
            session, execution_id, 0, approvers, policy.id, policy.info.version, now, None
        )
        self._audit.record(
            session,
            requester,
            "approval.requested",
            EntityType.POLICY,
            code,
            {
                "execution_id": execution_id,
                "workflow": STANDARD_APPROVAL,
                "step": 0,
                "approvers": approvers,
                "version": policy.info.version,
                "content_hash": digest,
            },
        )
        return execution_id

    def _workflow(self, session: Session, actor: str) -> Workflow:
        """The reserved workflow's row, made (and audited) on first need: under a lock, looked
        for again, so two step runners side by side never both make it."""
        query = select(Workflow).where(Workflow.name == STANDARD_APPROVAL)
        row = session.scalar(query)
        if row is not None:
            return row
        take_lock(session.connection(), DEFINITIONS_LOCK_KEY)
        row = session.scalar(query)
        if row is not None:
            return row
        defn = parse_definition(STANDARD_DEFINITION)
        now = utcnow()
        row = Workflow(
            name=STANDARD_APPROVAL,
            entity_type=defn.entity_type.value,
            trigger_type=defn.trigger.type,
            trigger_to_status=None,
            enabled=True,
            current_version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        session.add(
            WorkflowVersion(
                workflow_id=row.id,
                version=1,
                definition=json.loads(definition_to_json(defn)),
                created_by=actor,
                created_at=now,
            )
        )
        generations.bump(session, generations.WORKFLOWS)
        session.flush()
        self._audit.record(
            session,
            actor,
            "workflow.version_published",
            "workflow",
            STANDARD_APPROVAL,
            {"version": 1, "enabled": True, "built_in": True},
        )
        return row
