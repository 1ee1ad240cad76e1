"""Messages delivered together (`JobRunner.run_batch`): several executions in one commit;
one that fails is rolled back with the batch and every job runs again on its own."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event, select

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import TransientError
from governance_desktop.store.models import Job
from tests.helpers.actors import ME
from tests.helpers.workflows import drain, workflow
from tests.workflow_runs.test_chain import STEPS

CODES = ["POL-001", "POL-002", "POL-003"]


class FailsTwiceFor:
    """Notifications about one policy fail twice (in the batch, then alone)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.calls = 0
        self.failed = 0

    def deliver(self, user: str, title: str, body: str) -> None:
        self.calls += 1
        if title.startswith(self.code) and self.failed < 2:
            self.failed += 1
            raise TransientError("mail server unreachable")


@pytest.fixture
def starts(eng: AppContext, install: Callable[..., None]) -> list[int]:
    """Three executions of the 3-step workflow, each with its start job queued."""
    install(workflow("Kickoff", STEPS))
    for code in CODES[1:]:
        eng.policies.add(ME, code, f"Policy {code}", owner="alice")
    for code in CODES:
        eng.policies.change_status(ME, code, "in_review")
    with eng.db.reading() as session:
        ids = list(session.scalars(select(Job.id).where(Job.kind == "EXECUTE_WORKFLOW")))
    assert len(ids) == 3
    return ids


@pytest.fixture
def commits(eng: AppContext) -> Iterator[itertools.count[int]]:
    counter = itertools.count()
    listener = lambda *_: next(counter)  # noqa: E731
    event.listen(eng.db.engine, "commit", listener)
    yield counter
    event.remove(eng.db.engine, "commit", listener)


def test_batch_runs_every_execution_in_one_commit(
    eng: AppContext, starts: list[int], commits: itertools.count[int]
) -> None:
    results = eng.runner.run_batch(starts)
    assert next(commits) == 1
    assert [[o.state for o in outcomes] for outcomes in results] == [["succeeded"] * 4] * 3
    assert [outcomes[0].job_id for outcomes in results] == starts
    done = {o.job_id for outcomes in results for o in outcomes}
    assert done == {j.id for j in eng.monitor.jobs()}  # every chained step got its own id
    assert {(j.state, j.attempts) for j in eng.monitor.jobs()} == {("succeeded", 1)}
    assert {(e.status, e.current_step) for e in eng.monitor.executions()} == {("completed", 3)}
    assert len(eng.monitor.tasks()) == 3 and len(eng.monitor.notifications()) == 3
    for code in CODES:
        assert eng.policies.get(code).assignee == "alice"
    again = eng.runner.run_batch(starts)  # delivered again, together: nothing changes
    assert all(outcomes[0].duplicate for outcomes in again)
    assert drain(eng) == 0 and len(eng.monitor.tasks()) == 3
    assert eng.audit.verify().ok


def test_a_failing_job_is_rolled_back_with_its_batch_and_run_alone(
    eng: AppContext, starts: list[int], commits: itertools.count[int]
) -> None:
    notifier = FailsTwiceFor("POL-001")
    eng.effects._notifier = notifier
    results = eng.runner.run_batch([*starts, 999_999])
    # The batch rolled back; then one transaction per job: the first chains up to its
    # failed notify (and is rolled back and run again without it), the others complete.
    assert [len(outcomes) for outcomes in results] == [3, 4, 4, 1]
    assert results[3][0].unknown
    assert next(commits) == 4  # one per job; the rolled-back attempts committed nothing
    by_id = {e.id: e for e in eng.monitor.executions()}
    statuses = [by_id[outcomes[0].execution_id].status for outcomes in results[:3]]
    assert statuses == ["in_progress", "completed", "completed"]
    queued = [j for j in eng.monitor.jobs() if j.state == "queued"]
    assert [(j.step_index, j.attempts) for j in queued] == [(2, 0)]
    assert len(eng.monitor.tasks()) == 3 and len(eng.monitor.notifications()) == 2
    assert drain(eng) == 1  # the queue runs the failed step on its own
    assert {e.status for e in eng.monitor.executions()} == {"completed"}
    assert len(eng.monitor.notifications()) == 3 and notifier.calls == 5
    assert eng.audit.verify().ok


def test_a_job_delivered_twice_in_one_batch_runs_once(
    eng: AppContext, starts: list[int], commits: itertools.count[int]
) -> None:
    results = eng.runner.run_batch([starts[0], starts[0], starts[1]])
    assert [len(outcomes) for outcomes in results] == [4, 1, 4]
    assert results[1][0].duplicate and results[1][0].state == "succeeded"
    assert len(eng.monitor.tasks()) == 2 and len(eng.monitor.notifications()) == 2
    assert next(commits) == 3  # the batch read its jobs once, so it ran them one by one
    assert eng.audit.verify().ok


def test_two_runs_on_one_policy_in_one_batch_see_each_others_changes(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """Two workflows start on one policy and their jobs arrive in one batch: the second
    run's step sees the first's assignment (its audit event says the old assignee was bob,
    not none; before, each run read the policy from the batch's one query and the second
    overwrote the first from a stale copy)."""
    install(
        workflow("Assign bob", [{"type": "assign", "user": "bob"}]),
        workflow("Assign carol", [{"type": "assign", "user": "carol"}]),
    )
    eng.policies.change_status(ME, "POL-001", "in_review")
    with eng.db.reading() as session:
        jobs = list(session.scalars(select(Job.id).order_by(Job.id)))
    assert len(jobs) == 2
    eng.runner.run_batch(jobs, "test")
    updates = [
        e.details["changes"]["assignee"]
        for e in reversed(eng.audit.events("policy", "POL-001"))
        if e.action == "policy.updated"
    ]
    assert updates == [{"old": None, "new": "bob"}, {"old": "bob", "new": "carol"}]
    assert eng.policies.get("POL-001").assignee == "carol"
