"""Clocks and the date rule (docs/dates-and-times.md): instants are UTC; due and review dates
are calendar dates in the user's zone; a recorded time later than now is not trusted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]

# A recorded time up to this far ahead of now is ordinary skew (another host, a clock being
# slewed); beyond it, the time was written while the clock was wrong.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
# Hosts sharing one database (team mode) may disagree by up to this much: a schedule's recorded
# tick later than now by more than this was written by a wrong clock, not by another host.
MAX_HOST_SKEW = dt.timedelta(days=1)


def utc_now() -> dt.datetime:
    """The real clock, as an aware UTC datetime (the default `Clock`)."""
    return dt.datetime.now(dt.UTC)


def in_future(moment: dt.datetime, now: dt.datetime) -> bool:
    """Whether `moment` (aware) lies beyond `now` by more than the tolerance."""
    return moment > now + FUTURE_TOLERANCE


def local_date(now: dt.datetime) -> dt.date:
    """The user's calendar date at the instant `now` (aware), in the process's zone."""
    return now.astimezone().date()


def due_date(days: int, now: dt.datetime) -> dt.date:
    """The calendar date `days` days after the user's today."""
    return local_date(now) + dt.timedelta(days=days)


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The last instant (UTC) of calendar date `day` in the user's zone: the deadline of a
    due date when it must be stored as an instant."""
    nxt = day + dt.timedelta(days=1)
    # Local midnight starting the next day; astimezone() resolves the zone's offset then.
    midnight = dt.datetime(nxt.year, nxt.month, nxt.day).astimezone()
    return (midnight - dt.timedelta(microseconds=1)).astimezone(dt.UTC)


def is_overdue(due: dt.date | None, now: dt.datetime) -> bool:
    """Whether a due date has passed: the user's today is later than it (due today is not
    overdue)."""
    return due is not None and local_date(now) > due
