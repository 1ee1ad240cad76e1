"""Automatic backups and `check` across clock jumps (docs/dates-and-times.md): a backup dated
in the future never stops the next one and is never named the latest over a correct one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from governance_desktop.app import AppContext
from governance_desktop.store.autobackup import (
    STAMP,
    BackupScheduler,
    latest_restorable,
    list_backups,
    take_automatic_backup,
)
from governance_desktop.store.backup import backup_sqlite

GD = [sys.executable, "-m", "governance_desktop"]
YEAR = timedelta(days=365)
DAY = timedelta(hours=24)

pytestmark = pytest.mark.sqlite_only(
    "automatic backups copy the SQLite file; on PostgreSQL backups are pg_dump's job"
)


def _future_copy(ctx: AppContext, when: datetime) -> Path:
    """A real automatic backup file as a process with its clock at `when` would name it."""
    target = ctx.backups_dir / f"governance-auto-{when.strftime(STAMP)}.db"
    backup_sqlite(ctx.db.engine, target)
    return target


def _take(ctx: AppContext, now: datetime | None = None) -> Path | None:
    return take_automatic_backup(ctx.db.engine, ctx.backups_dir, interval=DAY, keep=3, now=now)


def test_future_dated_backup_does_not_stop_automatic_backups(ctx: AppContext) -> None:
    """The only automatic backup is dated a year ahead: one is taken now, and the schedule
    then counts from it (no second one at the next look)."""
    future = _future_copy(ctx, datetime.now(UTC) + YEAR)
    made = _take(ctx)
    assert made is not None and made != future
    assert _take(ctx) is None  # re-based on the backup just taken
    latest = latest_restorable(ctx.backups_dir)
    assert latest is not None and latest.path == made


def test_backups_survive_clock_jumps_both_ways(ctx: AppContext) -> None:
    """With a clock we control: a year ahead and back, then a year behind and forward: a
    backup is taken right after each correction, the latest is the one just taken, and
    retention rotates the misdated ones out first."""
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    steps = [
        (start, True),
        (start + YEAR, True),  # clock a year ahead: the last is a year old
        (start + timedelta(hours=1), True),  # put right: the last is in the future
        (start + timedelta(hours=2), False),  # re-based: not due for a day
        (start + timedelta(hours=25), True),
        (start - YEAR, True),  # a year behind: every backup looks future-dated
        (start - YEAR + timedelta(hours=1), False),
        (start + timedelta(hours=26), True),  # put right: the last is a year old
    ]
    made = None
    for now, due in steps:
        made = _take(ctx, now)
        assert (made is not None) == due, now
    latest = latest_restorable(ctx.backups_dir, now=steps[-1][0])
    assert made is not None and latest is not None and latest.path == made
    names = sorted(b.taken_at for b in list_backups(ctx.backups_dir) if b.kind == "auto")
    assert start + YEAR not in names  # the misdated one was rotated out, not a good one
    assert names == [
        start + timedelta(hours=1),
        start + timedelta(hours=25),
        start + timedelta(hours=26),
    ]


def test_scheduler_thread_uses_the_injected_clock(ctx: AppContext) -> None:
    """BackupScheduler judges "due" by its clock: a clock a year ahead names the backup so."""
    ahead = datetime.now(UTC).replace(microsecond=0) + YEAR
    scheduler = BackupScheduler(
        ctx.db.engine, ctx.backups_dir, interval=DAY, keep=3, clock=lambda: ahead
    )
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while not scheduler.taken and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.stop()
    assert [b.taken_at for b in list_backups(ctx.backups_dir)] == [ahead]


def test_check_does_not_name_a_future_dated_backup_as_latest(ctx: AppContext) -> None:
    """`check` names the newest correctly dated backup, lists the future-dated one and warns
    about it on stderr (exit 0)."""
    good = _take(ctx)
    assert good is not None
    future = _future_copy(ctx, datetime.now(UTC) + YEAR)
    data_dir = ctx.settings.data_dir
    ctx.close()
    done = subprocess.run(
        [*GD, "--data-dir", str(data_dir), "check", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=os.environ.copy(),
        cwd=data_dir.parent,
    )
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["latest_backup"] == str(good)
    assert info["future_dated_backups"] == [str(future)]
    assert f"warning: backup {future} is dated in the future" in done.stderr
