"""Job-state groupings: every state is final or unfinished, never both; what may be claimed or
cancelled is unfinished."""

from __future__ import annotations

from governance_desktop.domain.enums import ExecutionStatus as E
from governance_desktop.domain.enums import JobState as J
from governance_desktop.domain.job_states import (
    CANCELLABLE,
    CLAIMABLE,
    FINAL_EXECUTION,
    FINAL_JOB,
    STARTED,
    UNFINISHED,
)


def test_every_job_state_is_final_or_unfinished_never_both() -> None:
    assert set(FINAL_JOB) | set(UNFINISHED) == set(J)
    assert not set(FINAL_JOB) & set(UNFINISHED)


def test_claimable_cancellable_and_started_states_are_unfinished() -> None:
    assert set(CLAIMABLE) == {J.QUEUED, J.RETRYING, J.INTERRUPTED}
    assert set(CANCELLABLE) == {J.QUEUED, J.RETRYING}
    assert set(STARTED) == {J.RUNNING, J.INTERRUPTED}
    assert J.RUNNING not in CLAIMABLE  # a running job is marked once, by its worker


def test_final_executions() -> None:
    assert {E.COMPLETED, E.FAILED, E.REJECTED, E.CANCELLED} == FINAL_EXECUTION
