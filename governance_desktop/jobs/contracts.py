"""What the queue side needs from services, as Protocols (services.runner/job_tracker/schedules
implement them; tests use small fakes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from governance_desktop.services.dispatch import QueuedJob


class Outcome(Protocol):
    """services.runner.JobOutcome."""

    @property
    def job_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def execution_id(self) -> int | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def duplicate(self) -> bool: ...
    @property
    def unknown(self) -> bool: ...


class Runner(Protocol):
    """services.runner.JobRunner: claim and perform one job, idempotently; `run_chained`
    may also run that execution's next steps in the same transaction (outcomes in order);
    `run_batch` runs several jobs so in one transaction (outcomes per job, in order)."""

    def run(self, job_id: int, worker_id: str) -> Outcome: ...
    def run_chained(self, job_id: int, worker_id: str) -> Sequence[Outcome]: ...
    def run_batch(self, job_ids: Sequence[int], worker_id: str) -> Sequence[Sequence[Outcome]]: ...


class Tracker(Protocol):
    """services.job_tracker.JobTracker: short transactions on Job rows for the queue side."""

    def mark_running(
        self,
        job_id: int,
        lease_owner: str,
        lease_seconds: float,
        began: datetime | None = None,
    ) -> bool: ...
    def mark_running_many(
        self, job_ids: Sequence[int], lease_owner: str, lease_seconds: float
    ) -> set[int]: ...
    def renew_leases(self, lease_owner: str, lease_seconds: float) -> int: ...
    def mark_interrupted(self, job_id: int) -> None: ...
    def recoverable(
        self, now: datetime | None, grace_seconds: float, owner_alive: Callable[[str], bool]
    ) -> list[QueuedJob]: ...
    def reconciling(self) -> AbstractContextManager[bool]: ...


class Schedules(Protocol):
    """services.schedules.ScheduleService (with no `now`, it reads its own clock)."""

    def run_due(self, now: datetime | None = None) -> int: ...


if TYPE_CHECKING:  # mypy proves the services conform to these Protocols
    from governance_desktop.services.job_tracker import JobTracker
    from governance_desktop.services.runner import JobRunner
    from governance_desktop.services.schedules import ScheduleService

    def _conforms(runner: JobRunner, tracker: JobTracker, schedules: ScheduleService) -> None:
        _r: Runner = runner
        _t: Tracker = tracker
        _s: Schedules = schedules
