"""The date rule (docs/dates-and-times.md): a due date is the user's calendar date + N days,
the same for tasks and approvals, even across a daylight-saving change; an approval's due
instant is the end of that day. Zones are switched in-process with TZ and time.tzset()."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from datetime import time as clock_time

import pytest

from governance_desktop.app import AppContext
from tests.helpers.actors import ME
from tests.helpers.workflows import drain, workflow

DUE = workflow(
    "Due",
    [
        {"type": "create_task", "title": "t", "assignee": "alice", "due_in_days": 1},
        {"type": "approval", "approvers": ["bob"], "due_in_days": 1},
    ],
)


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    if not os.path.exists("/usr/share/zoneinfo/Pacific/Auckland"):
        pytest.skip("no zone database on this machine")

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("name", "now", "expected"),
    [
        # 23:30 the evening before clocks go forward: now + 24 h lands two dates later.
        ("America/Los_Angeles", datetime(2024, 3, 10, 7, 30, tzinfo=UTC), date(2024, 3, 10)),
        ("Pacific/Auckland", datetime(2024, 9, 28, 11, 30, tzinfo=UTC), date(2024, 9, 29)),
        # 00:30 the day clocks go back: now + 24 h lands on the same date.
        ("America/Los_Angeles", datetime(2024, 11, 3, 7, 30, tzinfo=UTC), date(2024, 11, 4)),
    ],
)
def test_task_and_approval_due_dates_agree_across_dst(
    eng: AppContext,
    install: Callable[..., None],
    zone: Callable[[str], None],
    name: str,
    now: datetime,
    expected: date,
) -> None:
    """Due in 1 day from a moment next to a daylight-saving change: the task's due date and
    the approval's due instant (read in the user's zone) are both today + 1."""
    zone(name)
    eng.effects.clock = lambda: now
    install(DUE)
    eng.policies.change_status(ME, "POL-001", "in_review")
    drain(eng)
    (task,) = eng.monitor.tasks()
    (approval,) = eng.approvals.list()
    assert task.due_date == expected
    assert approval.due_at is not None
    assert approval.due_at.astimezone().date() == expected
    assert approval.due_at == datetime.combine(expected, clock_time.max).astimezone(UTC)


def test_due_date_is_the_users_calendar_date(zone: Callable[[str], None]) -> None:
    """One instant, two zones: the date (and so the due date) is the user's local one."""
    from governance_desktop.domain.clock import due_date, end_of_local_day, is_overdue

    instant = datetime(2024, 6, 10, 20, 0, tzinfo=UTC)
    zone("Pacific/Auckland")  # already 08:00 on 11 June
    assert due_date(1, instant) == date(2024, 6, 12)
    assert end_of_local_day(date(2024, 6, 12)) == datetime(
        2024, 6, 12, 11, 59, 59, 999999, tzinfo=UTC
    )
    zone("America/Los_Angeles")  # still 13:00 on 10 June
    assert due_date(1, instant) == date(2024, 6, 11)
    assert not is_overdue(date(2024, 6, 10), instant)  # due today is not overdue
    assert is_overdue(date(2024, 6, 9), instant)
