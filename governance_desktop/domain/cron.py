"""Standard 5-field cron expressions (minute hour day-of-month month day-of-week), in UTC.

Each field takes ``*``, numbers, ranges ``a-b``, lists ``a,b`` and steps ``*/n`` or ``a-b/n``.
Day of week is 0-7 with both 0 and 7 meaning Sunday. As in classic cron, when both day of
month and day of week are restricted, a day matches if either one matches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
)
_MONTH_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SEARCH_YEARS = 10


@dataclass(frozen=True, slots=True)
class CronSpec:
    """A parsed cron expression: the allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday ... 6 = Saturday
    days_restricted: bool
    weekdays_restricted: bool

    def _day_matches(self, day: dt.date) -> bool:
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first matching minute strictly after ``moment`` (aware), as aware UTC."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("next_after needs a timezone-aware datetime")
        start = moment.astimezone(dt.UTC).replace(second=0, microsecond=0)
        start += dt.timedelta(minutes=1)
        day = start.date()
        last = day.replace(year=day.year + _SEARCH_YEARS, day=1)
        first_day = True
        while day < last:
            if day.month not in self.months:
                month_start = day.replace(day=1)
                day = (month_start + dt.timedelta(days=32)).replace(day=1)
                first_day = False
                continue
            if self._day_matches(day):
                found = self._time_on(
                    day, start.hour if first_day else 0, start.minute if first_day else 0
                )
                if found is not None:
                    return found
            day += dt.timedelta(days=1)
            first_day = False
        raise ValueError(
            f"cron {self.expression!r} does not fire in the next {_SEARCH_YEARS} years"
        )

    def _time_on(self, day: dt.date, min_hour: int, min_minute: int) -> dt.datetime | None:
        for hour in sorted(h for h in self.hours if h >= min_hour):
            low = min_minute if hour == min_hour else 0
            minutes = [m for m in sorted(self.minutes) if m >= low]
            if minutes:
                return dt.datetime(day.year, day.month, day.day, hour, minutes[0], tzinfo=dt.UTC)
        return None


def _number(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"{name} field: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{name} field: {value} is out of range {low}-{high}")
    return value


def _parse_part(part: str, name: str, low: int, high: int) -> set[int]:
    base, slash, step_text = part.partition("/")
    step = 1
    if slash:
        step = _number(step_text, name, 1, high - low + 1) if step_text else 0
        if step == 0:
            raise ValueError(f"{name} field: step in {part!r} must be a number from 1")
    if base == "*":
        first, last = low, high
    elif "-" in base:
        a, _, b = base.partition("-")
        first, last = _number(a, name, low, high), _number(b, name, low, high)
        if first > last:
            raise ValueError(f"{name} field: range {base!r} runs backwards")
    else:
        if slash:
            raise ValueError(f"{name} field: a step needs '*' or a range, e.g. '*/{step}'")
        first = last = _number(base, name, low, high)
    return set(range(first, last + 1, step))


def _parse_field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ValueError(f"{name} field: empty item in {text!r}")
        values |= _parse_part(part, name, low, high)
    return frozenset(values)


def parse_cron(expr: str) -> CronSpec:
    """Parse a 5-field cron expression; raise ``ValueError`` naming the field at fault."""
    if len(expr) > 200:
        raise ValueError("cron expression is longer than 200 characters")
    parts = expr.split()
    if len(parts) != len(_FIELDS):
        raise ValueError(
            "cron expression needs 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(parts)}"
        )
    minutes, hours, days, months, weekdays = (
        _parse_field(text, name, low, high)
        for text, (name, low, high) in zip(parts, _FIELDS, strict=True)
    )
    weekdays = frozenset(d % 7 for d in weekdays)
    days_restricted = parts[2] != "*"
    weekdays_restricted = parts[4] != "*"
    if days_restricted and not weekdays_restricted:
        longest = max(_MONTH_MAX_DAYS[m - 1] for m in months)
        if min(days) > longest:
            raise ValueError("day-of-month never occurs in the chosen months (e.g. 30 February)")
    return CronSpec(
        expression=" ".join(parts),
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=weekdays,
        days_restricted=days_restricted,
        weekdays_restricted=weekdays_restricted,
    )
