"""The 5-field cron parser and next-run computation (UTC)."""

from __future__ import annotations

import datetime as dt

import pytest

from governance_desktop.domain.cron import parse_cron

UTC = dt.UTC


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("0 7 * * 1", at(2024, 2, 28, 23, 59), at(2024, 3, 4, 7, 0)),
        ("0 7 * * 1", at(2024, 3, 4, 7, 0), at(2024, 3, 11, 7, 0)),
        ("*/15 * * * *", at(2024, 1, 1, 0, 14, 59), at(2024, 1, 1, 0, 15)),
        ("0 0 29 2 *", at(2023, 3, 1), at(2024, 2, 29)),
        ("0 0 1 1 *", at(2024, 6, 1), at(2025, 1, 1)),
        ("30 9 1-7 * 1", at(2024, 2, 28), at(2024, 3, 1, 9, 30)),
        ("5 10-20/5 * * *", at(2024, 1, 1, 15, 6), at(2024, 1, 1, 20, 5)),
        ("0 12 * 6,12 0", at(2024, 1, 1), at(2024, 6, 2, 12, 0)),
        ("0 12 * * 7", at(2024, 1, 1), at(2024, 1, 7, 12, 0)),
        ("59 23 31 12 *", at(2024, 12, 31, 23, 59), at(2025, 12, 31, 23, 59)),
    ],
)
def test_next_after(expr: str, after: dt.datetime, expected: dt.datetime) -> None:
    """next_after returns the first matching minute strictly after the given moment."""
    assert parse_cron(expr).next_after(after) == expected


def test_next_after_converts_other_zones_to_utc() -> None:
    """An aware non-UTC moment is converted; the result is aware UTC."""
    moment = dt.datetime(2024, 3, 4, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    result = parse_cron("0 7 * * 1").next_after(moment)
    assert result == at(2024, 3, 4, 7, 0)  # 08:30+02:00 is 06:30 UTC
    assert result.tzinfo is UTC


def test_next_after_refuses_naive() -> None:
    """A naive datetime is refused rather than guessed."""
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_cron("* * * * *").next_after(dt.datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("0 7 * *", "needs 5 fields"),
        ("60 * * * *", "minute field: 60 is out of range 0-59"),
        ("* 24 * * *", "hour field: 24 is out of range 0-23"),
        ("* * 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("* * * 13 *", "month field: 13 is out of range 1-12"),
        ("* * * * 8", "day-of-week field: 8 is out of range 0-7"),
        ("a * * * *", "minute field: 'a' is not a number"),
        ("5-1 * * * *", "runs backwards"),
        ("5/2 * * * *", r"a step needs .\*. or a range"),
        ("*/0 * * * *", "minute field"),
        ("1,,2 * * * *", "empty item"),
        ("0 0 30 2 *", "never occurs"),
        ("MON * * * *", "is not a number"),
    ],
)
def test_bad_expressions(expr: str, message: str) -> None:
    """Bad expressions raise ValueError naming the field and the fault."""
    with pytest.raises(ValueError, match=message):
        parse_cron(expr)


def test_fields_parsed() -> None:
    """Lists, ranges and steps expand to the expected value sets; 7 means Sunday."""
    spec = parse_cron("1,2 */6 1-3 2-6/2 7")
    assert spec.minutes == {1, 2}
    assert spec.hours == {0, 6, 12, 18}
    assert spec.days == {1, 2, 3}
    assert spec.months == {2, 4, 6}
    assert spec.weekdays == {0}
