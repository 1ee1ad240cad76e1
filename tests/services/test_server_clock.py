"""Desktops are clients (issue 18): the job monitor's watermark and "since" reads use the
database server's clock, so a workstation whose clock is wrong still sees every change."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import pytest

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from governance_desktop.services.dispatch import NullDispatcher
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store import types
from tests.helpers.actors import ME
from tests.helpers.identity import signer

WORKFLOW = {
    "schema_version": 1,
    "name": "Kickoff",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [{"type": "notify", "users": [ME], "title": "{policy.code} is in review"}],
}
SKEW = timedelta(hours=-1)


class _SkewedClock(datetime):
    """This machine's clock an hour behind (what `store.types` reads the time with)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return datetime.now(tz) + SKEW


@pytest.mark.team_only("the server's clock is PostgreSQL's; SQLite is on this machine")
def test_a_client_with_a_skewed_clock_still_sees_every_change(
    ctx: AppContext, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The monitor (right clock) reads its watermark; a workstation whose clock is an hour
    behind changes a policy: its job row is among the monitor's changes since the watermark,
    and the monitor's "finished in the last minute" read sees a job finished now. Before:
    the workstation stamped its rows with its own clock, an hour before the watermark."""
    ctx.dispatcher.target = NullDispatcher()
    ctx.workflows.import_definitions(
        ME, [DefinitionSource("k.json", data=WORKFLOW)], signer=signer(ctx, ME)
    )
    for code in ("POL-001", "POL-002"):
        ctx.policies.add(ME, code, "Policy", owner=ME)
    ctx.policies.change_status(ME, "POL-001", "in_review")
    pages, watch = ctx.job_pages, ctx.change_watch
    watermark = pages.changed_since(None).watermark
    mark = watch.mark()
    assert watermark is not None

    monkeypatch.setattr(types, "datetime", _SkewedClock)  # this process is now the workstation
    workstation = open_app(load_settings(data_dir=data_dir))
    try:
        workstation.dispatcher.target = NullDispatcher()
        workstation.policies.change_status(ME, "POL-002", "in_review")
        new_jobs = {job.id for job in workstation.monitor.jobs()} - {
            job.id for job in pages.changed_since(None).rows if job.updated_at <= watermark
        }
        assert new_jobs
        seen = {row.id for row in pages.changed_since(watermark).rows}
        assert new_jobs <= seen, f"jobs {sorted(new_jobs - seen)} missed by the monitor"
        assert watch.since(mark).changes  # the watermark moved
        with workstation.db.transaction() as session:  # a job finishes now, stamped here
            from governance_desktop.store.models import Job

            job = session.get(Job, min(new_jobs))
            assert job is not None
            job.finished_at = job.updated_at = types.utcnow()
        assert len(workstation.job_pages.finished_within(60)) == 1
    finally:
        workstation.close()
