"""Reconciler and the lease-owner liveness check."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Sequence

import pytest

from governance_desktop.domain.enums import JobKind
from governance_desktop.jobs.reconciler import (
    Owner,
    Reconciler,
    local_identity,
    new_worker_id,
    owner_alive,
    retire_worker_id,
)
from governance_desktop.services.dispatch import QueuedJob
from tests.jobs.fakes import FakeTracker


class RecordingDispatcher:
    def __init__(self) -> None:
        self.sent: list[QueuedJob] = []

    def dispatch(self, jobs: Sequence[QueuedJob]) -> None:
        self.sent.extend(jobs)


def test_owner_alive_rules() -> None:
    """Live consumers of this process and owners elsewhere count as alive; a dead pid on this
    machine, boot and PID namespace does not."""
    host = socket.gethostname()
    me = local_identity()
    assert me.provable  # Linux: /etc/machine-id, boot_id and /proc/self/ns/pid are readable
    mine = new_worker_id()
    assert owner_alive(mine)
    assert Owner.parse(mine) == Owner(me, os.getpid(), mine.split(":")[4].split("@")[0])
    assert len(mine) <= 100  # jobs.lease_owner is String(100)
    retire_worker_id(mine)
    assert not owner_alive(mine)  # same pid, but that consumer has stopped
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    here = f"{me.machine}:{me.boot}:{me.pidns}"
    assert not owner_alive(f"{here}:{proc.pid}:dead@{host}")
    assert owner_alive(f"{here}:{os.getppid()}:a1@{host}")  # the parent lives
    # The same host name elsewhere: only the lease decides.
    assert owner_alive(f"{'f' * 16}:{me.boot}:{me.pidns}:{proc.pid}:a2@{host}")
    assert owner_alive(f"{me.machine}:{'e' * 16}:{me.pidns}:{proc.pid}:a3@{host}")
    assert owner_alive(f"{me.machine}:{me.boot}:1:{proc.pid}:a4@{host}")  # another container
    assert owner_alive(f"-:-:-:{proc.pid}:a5@{host}")  # identity unknown there
    assert owner_alive(f"{host}:{proc.pid}:dead")  # an id of an older version
    assert owner_alive("garbage")


def test_run_once_dispatches_recoverable_jobs() -> None:
    """Jobs the tracker returns are dispatched, with the configured or overridden grace."""
    tracker, dispatcher = FakeTracker(), RecordingDispatcher()
    tracker.to_recover = [QueuedJob(4, JobKind.EXECUTE_WORKFLOW, delay=2.0)]
    reconciler = Reconciler(tracker, dispatcher, grace_seconds=30)
    assert reconciler.run_once() == 1
    assert reconciler.run_once(grace_seconds=0) == 0
    assert dispatcher.sent == [QueuedJob(4, JobKind.EXECUTE_WORKFLOW, delay=2.0)]
    assert [grace for _, grace in tracker.recover_calls] == [30, 0]
    assert tracker.owner_check is owner_alive


def test_run_once_logs_tracker_errors(caplog: pytest.LogCaptureFixture) -> None:
    """A failing tracker is logged and reported as nothing recovered."""

    class Broken(FakeTracker):
        def recoverable(self, *args: object) -> list[QueuedJob]:
            raise RuntimeError("db down")

    assert Reconciler(Broken(), RecordingDispatcher()).run_once() == 0
    assert "db down" in caplog.text
