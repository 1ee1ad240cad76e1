"""The change watermark: what another process changed, as `Changes` flags, read cheaply."""

from __future__ import annotations

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import Role
from governance_desktop.services.about import about_facts
from governance_desktop.services.change_watch import ChangeWatch, flags_of
from governance_desktop.services.changes import Changes
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
