"""Tasks page: an open task is shown overdue (bold) only once its due date has passed in the
user's zone; one due today is not overdue yet (docs/dates-and-times.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from governance_desktop.services.dto import TaskInfo
from governance_desktop.ui.pages.tasks.page import _overdue


def _task(due: date | None, status: str = "open") -> TaskInfo:
    return TaskInfo(
        id=1,
        title="t",
        assignee="alice",
        status=status,
        execution_id=None,
        description="",
        due_date=due,
        entity="POL-001",
        created_at=datetime.now(UTC),
    )


def test_due_today_is_not_overdue() -> None:
    today = datetime.now().astimezone().date()
    assert not _overdue(_task(today))
    assert _overdue(_task(today - timedelta(days=1)))
    assert not _overdue(_task(today - timedelta(days=1), status="done"))
    assert not _overdue(_task(None))
