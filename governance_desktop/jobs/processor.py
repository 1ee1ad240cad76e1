"""WorkflowProcessor: the task bodies. Each runs one job through the services' runner."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from governance_desktop.domain.enums import JobState
from governance_desktop.jobs.bus import EventBus, JobEvent
from governance_desktop.jobs.contracts import Outcome, Runner
from governance_desktop.jobs.rejections import Rejections

logger = logging.getLogger("governance_desktop.jobs")


class WorkflowProcessor:
    """Calls ``runner.run(job_id, worker_id)`` and publishes the outcome on the bus.

    The runner owns the transaction, the idempotency check, retries (re-dispatch with a delay)
    and dispatching the next job. An exception escaping it is a bug: it is re-raised so Huey
    emits SIGNAL_ERROR, which ``tracking`` logs with its traceback and records on the job.
    """

    def __init__(
        self, runner: Runner, bus: EventBus, worker_id: str, rejections: Rejections | None = None
    ) -> None:
        self.runner = runner
        self.bus = bus
        self.worker_id = worker_id
        self.rejections = rejections or Rejections()

    def handle(self, job_id: int) -> Outcome:
        """Run one job, whatever its kind: the runner starts an execution or performs one
        of its steps, as the Job row says."""
        return self._run(job_id)

    def handle_batch(self, job_ids: Sequence[int]) -> list[Outcome]:
        """Run jobs the queue delivered together in one transaction (jobs/batch.py)."""
        results = self.runner.run_batch(job_ids, self.worker_id)
        pairs = zip(job_ids, results, strict=True)
        return [self._publish(job_id, outcomes) for job_id, outcomes in pairs]

    def _run(self, job_id: int) -> Outcome:
        # The runner may run the execution's next steps in the same transaction too
        # (group commit, docs/benchmarks.md part 2): one outcome per job, in order.
        return self._publish(job_id, self.runner.run_chained(job_id, self.worker_id))

    def _publish(self, job_id: int, outcomes: Sequence[Outcome]) -> Outcome:
        outcome = outcomes[0]
        if outcome.unknown:
            # Well-formed but naming no job: written by hand or left from another database.
            self.rejections.record(f"message for job {job_id}, which does not exist", 0)
            return outcome
        if outcome.duplicate:
            logger.info(
                "job %s: duplicate or late message, nothing done (state %s)", job_id, outcome.state
            )
            # The bus may have said "running" as the message arrived: say what it really is.
            self.bus.publish(
                JobEvent(
                    job_id,
                    str(outcome.state),
                    kind=str(outcome.kind),
                    execution_id=outcome.execution_id,
                    error=outcome.error,
                )
            )
            return outcome
        for index, done in enumerate(outcomes):
            if index:  # a chained step ran without its own queue message: say so first
                self.bus.publish(
                    JobEvent(
                        done.job_id,
                        JobState.RUNNING,
                        kind=str(done.kind),
                        execution_id=done.execution_id,
                    )
                )
            self.bus.publish(
                JobEvent(
                    job_id=done.job_id,
                    state=str(done.state),
                    kind=str(done.kind),
                    execution_id=done.execution_id,
                    error=done.error,
                )
            )
        return outcome
