"""Many workflow runs in a real database, fast: Core inserts of runs, their pending approvals
and open tasks over the demo's workflows and policies (for the Runs page's size tests and
its benchmark). The runs are not driven by the engine; their rows look like the engine's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from governance_desktop.domain.enums import ApprovalStatus, ExecutionStatus, TaskStatus
from governance_desktop.store.db import Database
from governance_desktop.store.models import (
    Policy,
    Task,
    User,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowVersion,
)

E = ExecutionStatus
STATES = (E.COMPLETED, E.COMPLETED, E.AWAITING_APPROVAL, E.FAILED, E.CANCELLED, E.IN_PROGRESS)


def seed_runs(db: Database, count: int) -> None:
    """`count` runs of the demo's workflow versions, in mixed states: every third waits for
    approvers (some past due), some have an open task; inserted in batches."""
    with db.reading() as session:
        versions = session.execute(select(WorkflowVersion.id, WorkflowVersion.workflow_id)).all()
        policies = list(session.scalars(select(Policy.id)))
        users = list(session.scalars(select(User.username)))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    batch = 2000
    with db.engine.begin() as conn:
        first = conn.execute(select(WorkflowExecution.id).order_by(WorkflowExecution.id.desc()))
        top = first.scalar() or 0
        for base in range(0, count, batch):
            runs, approvals, tasks = [], [], []
            for i in range(base, min(count, base + batch)):
                run_id = top + 1 + i
                version_id, workflow_id = versions[i % len(versions)]
                status = STATES[i % len(STATES)]
                at = start + timedelta(minutes=i)
                runs.append(
                    {
                        "id": run_id,
                        "workflow_id": workflow_id,
                        "workflow_version_id": version_id,
                        "entity_type": "policy",
                        "entity_id": policies[i % len(policies)],
                        "trigger": "status_change",
                        "input_data": {},
                        "status": status,
                        "current_step": 0,
                        "step_count": 2,
                        "depth": 0,
                        "started_by": users[i % len(users)],
                        "error": "boom" if status == E.FAILED else None,
                        "created_at": at,
                        "started_at": at,
                        "finished_at": at if status in (E.COMPLETED, E.FAILED) else None,
                        "updated_at": at,
                    }
                )
                if status == E.AWAITING_APPROVAL:
                    for k, user in enumerate(users[(i % 3) : (i % 3) + 3]):
                        approvals.append(
                            {
                                "execution_id": run_id,
                                "step_index": 0,
                                "approver": user,
                                "status": ApprovalStatus.PENDING,
                                "requested_at": at,
                                "due_at": at + timedelta(days=7 + k),
                            }
                        )
                if i % 5 == 0:
                    tasks.append(
                        {
                            "title": f"Check run {run_id}",
                            "description": "",
                            "assignee": users[i % len(users)],
                            "status": TaskStatus.OPEN,
                            "due_date": date(2024, 1, 1) + timedelta(days=i % 400),
                            "entity_type": "policy",
                            "entity_id": policies[i % len(policies)],
                            "execution_id": run_id,
                            "step_index": 0,
                            "created_at": at,
                        }
                    )
            conn.execute(insert(WorkflowExecution), runs)
            if approvals:
                conn.execute(insert(WorkflowApproval), approvals)
            if tasks:
                conn.execute(insert(Task), tasks)
