"""Schedules across clock jumps: a last run recorded more than a day in the future runs now and
re-bases, so a jump either way never stops a schedule (docs/dates-and-times.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from governance_desktop.app import AppContext
from governance_desktop.domain.clock import MAX_HOST_SKEW
from governance_desktop.services.schedules import ScheduleService
from governance_desktop.store.models import Workflow, WorkflowVersion
from tests.helpers.workflows import workflow

DAILY = workflow(
    "Daily",
    [{"type": "create_task", "title": "check {policy.code}"}],
    trigger={"type": "on_schedule", "cron": "0 7 * * *"},
)
YEAR = timedelta(days=365)


def _last_run(eng: AppContext) -> datetime | None:
    with eng.db.reading() as session:
        return session.scalar(select(Workflow.last_scheduled_at))


def test_future_last_run_runs_now_and_rebases(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A last run a year ahead (written while the clock was wrong) does not wait a year: the
    schedule runs at the next check and counts from now."""
    install(DAILY)
    ahead = datetime.now(UTC) + YEAR
    with eng.db.transaction() as session:
        session.execute(update(Workflow).values(last_scheduled_at=ahead))
    now = datetime.now(UTC)
    assert eng.schedules.run_due(now) == 1
    last = _last_run(eng)
    assert last is not None and last <= now + timedelta(seconds=1)
    assert eng.schedules.run_due(now) == 0  # re-based: the next tick is after now


def test_schedule_survives_clock_jumps_both_ways(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """With a clock we control: forward a year and back, then back a year and forward: the
    schedule fires right after each correction and then keeps its cron times."""
    install(DAILY)
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with eng.db.transaction() as session:
        session.execute(update(WorkflowVersion).values(created_at=start - timedelta(days=3)))
    clock = [start]
    service = ScheduleService(eng.db, eng.starter, eng.dispatcher, clock=lambda: clock[0])

    def at(moment: datetime) -> int:
        clock[0] = moment
        return service.run_due()

    assert at(start) == 1
    assert at(start + YEAR) == 1  # the clock jumps a year ahead: one run for all it skipped
    assert at(start + timedelta(hours=1)) == 1  # put right: runs now, not in a year
    assert _last_run(eng) == start + timedelta(hours=1)  # re-based on the corrected clock
    assert at(start + timedelta(hours=2)) == 0  # next 07:00 has not come
    assert at(datetime(2026, 3, 2, 7, 1, tzinfo=UTC)) == 1  # ...and then it has
    assert at(start - YEAR) == 1  # a year behind: the last run is in its future
    assert at(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)) == 1  # put right: runs again at once
    assert at(datetime(2026, 3, 2, 8, 30, tzinfo=UTC)) == 0


def test_small_skew_is_not_a_clock_jump(eng: AppContext, install: Callable[..., None]) -> None:
    """A last run a minute ahead (another host's clock) is ordinary skew: no extra run."""
    install(DAILY)
    now = datetime.now(UTC)
    with eng.db.transaction() as session:
        session.execute(update(Workflow).values(last_scheduled_at=now + timedelta(minutes=1)))
    assert eng.schedules.run_due(now) == 0


def test_rebase_bound_is_one_day_on_a_server_database(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """Team mode (a server database, `MAX_HOST_SKEW`): a last run 23 hours ahead may be another
    host's clock: waited for. Two days ahead is a wrong clock: runs now and re-bases on now."""
    install(DAILY)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    service = ScheduleService(eng.db, eng.starter, eng.dispatcher, host_skew=MAX_HOST_SKEW)
    for ahead, runs in ((timedelta(hours=23), 0), (timedelta(days=2), 1)):
        with eng.db.transaction() as session:
            session.execute(update(Workflow).values(last_scheduled_at=now + ahead))
        assert service.run_due(now) == runs
    assert _last_run(eng) == now


@pytest.mark.sqlite_only("one writer's clock is a local file's rule; a shared database keeps it")
def test_local_database_rebases_a_jump_of_an_hour(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A local SQLite file has one writer's clock: a last run an hour ahead (a jump since
    corrected) runs now and re-bases, instead of waiting for real time to catch up."""
    install(DAILY)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with eng.db.transaction() as session:
        session.execute(update(Workflow).values(last_scheduled_at=now + timedelta(hours=1)))
    assert eng.schedules.run_due(now) == 1
    assert _last_run(eng) == now
