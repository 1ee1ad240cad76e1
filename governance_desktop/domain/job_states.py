"""The job lifecycle's groupings: which job states and execution statuses are final, which jobs
a worker may claim, which a person may cancel (as `lifecycle.py` does for policies)."""

from __future__ import annotations

from governance_desktop.domain.enums import ExecutionStatus, JobState

_J = JobState

#: A job in one of these states never runs again (a duplicate message changes nothing).
FINAL_JOB: frozenset[JobState] = frozenset({_J.SUCCEEDED, _J.FAILED, _J.CANCELLED})
#: A worker may mark these running (an interrupted job runs again).
CLAIMABLE: tuple[JobState, ...] = (_J.QUEUED, _J.RETRYING, _J.INTERRUPTED)
#: A person may cancel a job that has not started (or waits for its retry).
CANCELLABLE: tuple[JobState, ...] = (_J.QUEUED, _J.RETRYING)
#: Cancelled with their execution: not started, waiting for a retry, or stopped mid-run (its
#: transaction rolled back, so nothing of it happened). A running job ends itself: the runner
#: reads its execution in the job's own transaction and finds it ended.
ENDED_WITH_EXECUTION: tuple[JobState, ...] = (_J.QUEUED, _J.RETRYING, _J.INTERRUPTED)
#: Waiting or running: what the status bar calls the queue.
UNFINISHED: tuple[JobState, ...] = (_J.QUEUED, _J.RUNNING, _J.RETRYING, _J.INTERRUPTED)
#: Begun and not ended: running, or interrupted when its worker stopped.
STARTED: tuple[JobState, ...] = (_J.RUNNING, _J.INTERRUPTED)

#: An execution in one of these statuses may still act: it can be cancelled.
OPEN_EXECUTION: tuple[ExecutionStatus, ...] = (
    ExecutionStatus.QUEUED,
    ExecutionStatus.IN_PROGRESS,
    ExecutionStatus.AWAITING_APPROVAL,
)

#: An execution in one of these statuses has ended; its remaining jobs are cancelled.
FINAL_EXECUTION: frozenset[ExecutionStatus] = frozenset(
    {
        ExecutionStatus.COMPLETED,
        ExecutionStatus.FAILED,
        ExecutionStatus.REJECTED,
        ExecutionStatus.CANCELLED,
    }
)
