"""Small fakes of the services the queue side calls: a runner that records runs, a tracker."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from governance_desktop.domain.enums import JobKind, JobState
from governance_desktop.services.dispatch import QueuedJob


@dataclass(frozen=True)
class FakeOutcome:
    job_id: int
    kind: JobKind
    state: JobState
    execution_id: int | None = None
    execution_status: str | None = None
    error: str | None = None
    duplicate: bool = False
    unknown: bool = False


class FakeRunner:
    """Records runs; `block` makes a run wait; `fail` makes it raise (a bug escaping)."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, str]] = []
        self.done = threading.Event()
        self.expected = 1
        self.block: threading.Event | None = None
        self.started = threading.Event()
        self.fail = False
        self.batches: list[list[int]] = []
        self._lock = threading.Lock()

    def run(self, job_id: int, worker_id: str) -> FakeOutcome:
        self.started.set()
        if self.block is not None:
            self.block.wait(10)
        if self.fail:
            raise RuntimeError("boom")
        with self._lock:
            self.runs.append((job_id, worker_id))
            if len(self.runs) >= self.expected:
                self.done.set()
        return FakeOutcome(job_id, JobKind.EXECUTE_WORKFLOW, JobState.SUCCEEDED, execution_id=7)

    def run_chained(self, job_id: int, worker_id: str) -> list[FakeOutcome]:
        return [self.run(job_id, worker_id)]

    def run_batch(self, job_ids: list[int], worker_id: str) -> list[list[FakeOutcome]]:
        self.batches.append(list(job_ids))
        return [self.run_chained(job_id, worker_id) for job_id in job_ids]


@dataclass
class FakeTracker:
    running: list[tuple[int, str, float]] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)
    to_recover: list[QueuedJob] = field(default_factory=list)
    recover_calls: list[tuple[datetime | None, float]] = field(default_factory=list)
    owner_check: Callable[[str], bool] | None = None
    renewals: list[tuple[str, float]] = field(default_factory=list)

    def mark_running(
        self, job_id: int, lease_owner: str, lease_seconds: float, began: object = None
    ) -> bool:
        self.running.append((job_id, lease_owner, lease_seconds))
        return True

    def mark_running_many(
        self, job_ids: Sequence[int], lease_owner: str, lease_seconds: float
    ) -> set[int]:
        return {j for j in job_ids if self.mark_running(j, lease_owner, lease_seconds)}

    def mark_interrupted(self, job_id: int) -> None:
        self.interrupted.append(job_id)

    def renew_leases(self, lease_owner: str, lease_seconds: float) -> int:
        self.renewals.append((lease_owner, lease_seconds))
        return 1

    @contextmanager
    def reconciling(self) -> Iterator[bool]:
        yield True

    def recoverable(
        self, now: datetime | None, grace_seconds: float, owner_alive: Callable[[str], bool]
    ) -> list[QueuedJob]:
        self.recover_calls.append((now, grace_seconds))
        self.owner_check = owner_alive
        jobs, self.to_recover = self.to_recover, []
        return jobs
