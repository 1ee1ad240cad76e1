"""The change watermark: what another process changed, as `Changes` flags, read cheaply."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import Role
from governance_desktop.services.about import about_facts
from governance_desktop.services.change_watch import ChangeWatch, Watermark, flags_of
from governance_desktop.services.changes import Changes
from governance_desktop.store.models import Notification
from governance_desktop.store.types import utcnow
from tests.helpers.actors import ME


def test_actions_map_to_what_they_change() -> None:
    """Each action family names its flags; every event changes the trail."""
    assert flags_of("user.created") == Changes.USERS | Changes.AUDIT
    assert flags_of("approval.requested") == Changes.APPROVALS | Changes.AUDIT
    assert Changes.TASKS in flags_of("execution.cancelled")
    assert flags_of("auth.signed_in") == Changes.AUDIT
    assert flags_of("data.restored") == Changes.ALL


def test_nothing_changed_is_an_empty_scan(ctx: AppContext) -> None:
    """Two polls with nothing between them: the same watermark, no flags."""
    watch = ChangeWatch(ctx.db)
    mark = watch.mark()
    scan = watch.since(mark)
    assert scan.mark == mark and scan.changes == Changes.NONE


def test_a_user_added_is_seen_with_its_event_id(ctx: AppContext) -> None:
    """A user added after the mark: USERS and AUDIT, at the id the trail's head has now."""
    watch = ChangeWatch(ctx.db)
    mark = watch.mark()
    ctx.users.add(ME, "zoe", "Zoe Lin", Role.APPROVER, initial_password="Initial-pass-123")
    scan = watch.since(mark)
    assert Changes.USERS in scan.changes and Changes.POLICIES not in scan.changes
    assert scan.by_event[Changes.USERS] <= watch.audit_head() == scan.mark.audit_id
    assert watch.since(scan.mark).changes == Changes.NONE


def test_about_facts_hide_the_password(ctx: AppContext) -> None:
    """The About box's database URL never carries a password."""
    facts = about_facts(ctx.settings.data_dir, "postgresql+psycopg://gov:secret@db.example/gov")
    assert "secret" not in facts.database_url and "gov:***@" in facts.database_url
    assert any(lib.name == "SQLAlchemy" and lib.licence == "MIT" for lib in facts.libraries)


@pytest.mark.team_only("runners commit side by side only on PostgreSQL")
def test_a_notification_committed_below_the_watermark_is_still_seen(eng: AppContext) -> None:
    """Two runners side by side: the first takes notification id n and commits after the
    second's n+1 was seen. The next polls still say notifications moved (before: nothing, so
    the window never showed it), until they settle."""
    watch = ChangeWatch(eng.db)
    first_open, second_seen = threading.Event(), threading.Event()

    def note(session: Session, title: str) -> None:
        session.add(Notification(user="bob", title=title, created_at=utcnow()))
        session.flush()

    def slow_runner() -> None:
        with eng.db.transaction(shared=True) as session:
            note(session, "first")
            first_open.set()
            second_seen.wait(30)

    thread = threading.Thread(target=slow_runner)
    thread.start()
    assert first_open.wait(30)
    with eng.db.transaction(shared=True) as session:
        note(session, "second")
    scan = watch.since(Watermark())
    assert Changes.NOTIFICATIONS in scan.changes
    second_seen.set()
    thread.join(30)
    later = watch.since(scan.mark)
    assert later.mark == scan.mark  # the newest id did not move: the first is below it
    assert Changes.NOTIFICATIONS in later.changes
    assert {n.title for n in eng.monitor.notifications("bob")} == {"first", "second"}
    settled = watch.since(replace(later.mark, settle_until=0.0))
    assert settled.changes == Changes.NONE
