"""`execute_workflow`: run one workflow to its end or its first approval, without the queue.

Kept for compatibility and tests; the app itself always goes through the queue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from governance_desktop.services.actions import ActionEffects
from governance_desktop.services.dispatch import QueuedJob
from governance_desktop.services.runner import JobRunner, RetryPolicy
from governance_desktop.services.starts import WorkflowStarter
from governance_desktop.store.db import Database
from governance_desktop.store.models import Job


class _Collect:
    def __init__(self) -> None:
        self.pending: deque[QueuedJob] = deque()

    def dispatch(self, jobs: Sequence[QueuedJob]) -> None:
        self.pending.extend(jobs)


def execute_workflow(
    db: Database, effects: ActionEffects, workflow_name: str, entity_code: str, actor: str
) -> int:
    """Run every step inline; returns the execution id. Failures end it, no retries."""
    collect = _Collect()
    job_id = WorkflowStarter(db, collect).queue_workflow_execution(
        workflow_name, entity_code, actor
    )
    runner = JobRunner(db, collect, effects, RetryPolicy(max_attempts=1))
    runner.run(job_id)
    while collect.pending:
        runner.run(collect.pending.popleft().job_id)
    with db.reading() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.execution_id is not None
        return job.execution_id
