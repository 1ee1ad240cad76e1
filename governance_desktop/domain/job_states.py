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
#: Waiting or running: what the status bar calls the queue.
UNFINISHED: tuple[JobState, ...] = (_J.QUEUED, _J.RUNNING, _J.RETRYING, _J.INTERRUPTED)
#: Begun and not ended: running, or interrupted when its worker stopped.
STARTED: tuple[JobState, ...] = (_J.RUNNING, _J.INTERRUPTED)

#: An execution in one of these statuses has ended; its remaining jobs are cancelled.
FINAL_EXECUTION: frozenset[ExecutionStatus] = frozenset(
    {
        ExecutionStatus.COMPLETED,
        ExecutionStatus.FAILED,
        ExecutionStatus.REJECTED,
        ExecutionStatus.CANCELLED,
    }
)
