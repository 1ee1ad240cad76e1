"""How services hand committed jobs to the queue without knowing it (jobs/ implements this)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from governance_desktop.domain.enums import JobKind


@dataclass(frozen=True)
class QueuedJob:
    """A job row that exists (committed) and needs a queue message, maybe after a delay."""

    job_id: int
    kind: JobKind
    delay: float = 0.0


class JobDispatcher(Protocol):
    def dispatch(self, jobs: Sequence[QueuedJob]) -> None:
        """Enqueue messages for committed job rows. Must not raise: the reconciler recovers."""


class NullDispatcher:
    """For processes with no queue (scripts, tests): rows stay queued for a worker to find."""

    def dispatch(self, jobs: Sequence[QueuedJob]) -> None:
        return None


def dispatch_after_commit(
    session: Session, jobs: Sequence[QueuedJob], dispatcher: JobDispatcher
) -> None:
    """Enqueue `jobs` only once the session's transaction has committed (see Database)."""
    if jobs:
        callbacks = session.info.setdefault("after_commit", [])
        callbacks.append(lambda: dispatcher.dispatch(list(jobs)))


class SwitchableDispatcher:
    """Services hold this; the composition root plugs the real queue in once it exists."""

    def __init__(self) -> None:
        self.target: JobDispatcher = NullDispatcher()

    def dispatch(self, jobs: Sequence[QueuedJob]) -> None:
        self.target.dispatch(jobs)
