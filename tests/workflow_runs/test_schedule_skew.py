"""Team mode: two hosts on one database whose clocks differ (up to a day) run an hourly
schedule once per cron tick, never once per check (docs/dates-and-times.md).

The services are given a server database's bound (`host_skew=MAX_HOST_SKEW`); the database
itself is a SQLite file here, which in real use only one host writes."""

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

HOURLY = workflow(
    "Hourly",
    [{"type": "create_task", "title": "check {policy.code}"}],
    trigger={"type": "on_schedule", "cron": "0 * * * *"},
)
# A Monday 07:00:30 UTC, half a minute after a tick; the hosts check every 10 minutes.
REAL_START = datetime(2027, 1, 4, 7, 0, 30, tzinfo=UTC)
CHECKS = [REAL_START + timedelta(minutes=10 * k) for k in range(36)]  # six hours


def _hosts(eng: AppContext, skew: timedelta) -> tuple[Callable[[datetime], int], ...]:
    """Two schedulers on the same database: `ahead` reads real time + skew, `right` real
    time. Each returned function sets the real time and runs one check."""
    real = [REAL_START]
    ahead = ScheduleService(
        eng.db, eng.starter, eng.dispatcher, clock=lambda: real[0] + skew, host_skew=MAX_HOST_SKEW
    )
    right = ScheduleService(
        eng.db, eng.starter, eng.dispatcher, clock=lambda: real[0], host_skew=MAX_HOST_SKEW
    )

    def check(service: ScheduleService) -> Callable[[datetime], int]:
        def run(moment: datetime) -> int:
            real[0] = moment
            return service.run_due()

        return run

    return check(right), check(ahead)


def _published_last_week(eng: AppContext) -> None:
    with eng.db.transaction() as session:
        session.execute(update(WorkflowVersion).values(created_at=REAL_START - timedelta(days=7)))


@pytest.mark.parametrize(
    "skew",
    [timedelta(minutes=7), timedelta(hours=1), timedelta(hours=23), timedelta(days=1)],
    ids=["7min", "1h", "23h", "1day"],
)
def test_skewed_hosts_run_an_hourly_schedule_once_per_tick(
    eng: AppContext, install: Callable[..., None], skew: timedelta
) -> None:
    """The host ahead runs each tick when its clock reaches it; the other sees that tick
    recorded (in its future, but within a day) and runs nothing: one run per hour."""
    install(HOURLY)
    _published_last_week(eng)
    right, ahead = _hosts(eng, skew)
    runs = [(right(moment), ahead(moment)) for moment in CHECKS]
    per_check = [r + a for r, a in runs]
    # First check: `right` runs the missed ticks once (its 07:00), `ahead` its own latest
    # tick if that is a later one. Afterwards each tick once, by whichever clock reaches it
    # first (the host ahead, unless the skew is shorter than the time between checks).
    assert per_check[0] <= 2 and max(per_check[1:]) == 1, runs  # never once per check
    ticks = {REAL_START.replace(minute=0, second=0)} | {
        (moment + skew).replace(minute=0, second=0) for moment in CHECKS
    }
    assert sum(per_check) == len(ticks), runs


def test_skewed_hosts_rebase_a_far_future_run_once(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """A last run a year ahead (a clock that was wrong) is re-based once, by whichever host
    checks first; the hosts (an hour apart) do not undo each other's record afterwards."""
    install(HOURLY)
    _published_last_week(eng)
    with eng.db.transaction() as session:
        session.execute(update(Workflow).values(last_scheduled_at=REAL_START + timedelta(days=365)))
    right, ahead = _hosts(eng, timedelta(hours=1))
    runs = [(right(moment), ahead(moment)) for moment in CHECKS]
    # Check 0: `right` re-bases on its now (07:00:30) and runs; `ahead` (08:00:30) then runs
    # its 08:00 tick. Afterwards: once per hour, by the host ahead.
    assert runs[0] == (1, 1)
    assert all(r == 0 for r, _ in runs[1:])
    assert [k for k, (_, a) in enumerate(runs) if a] == [0, 6, 12, 18, 24, 30]


def test_simultaneous_rebase_is_claimed_once(eng: AppContext, install: Callable[..., None]) -> None:
    """Two hosts with the same clock both see a year-ahead last run: one re-bases and runs,
    the other finds the record already re-based and runs nothing."""
    install(HOURLY)
    _published_last_week(eng)
    with eng.db.transaction() as session:
        session.execute(update(Workflow).values(last_scheduled_at=REAL_START + timedelta(days=365)))
    first, second = _hosts(eng, timedelta(0))
    assert (first(REAL_START), second(REAL_START)) == (1, 0)
    with eng.db.reading() as session:
        assert session.scalar(select(Workflow.last_scheduled_at)) == REAL_START
