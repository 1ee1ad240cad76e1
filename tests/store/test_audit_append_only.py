"""On PostgreSQL the audit trail is append-only for every login but a superuser who switches
triggers off (migration 0006): UPDATE, DELETE and TRUNCATE are refused with a message that
says so; INSERT, which the app does, still works."""

from __future__ import annotations

import psycopg
import pytest

from governance_desktop.app import AppContext
from governance_desktop.services.audit_verify import check_trail
from tests.helpers.actors import ME
from tests.helpers.rawdb import past_the_triggers, raw_db

pytestmark = pytest.mark.team_only("the append-only trigger exists on PostgreSQL only")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'mallory' WHERE id = 1",
        "DELETE FROM audit_events WHERE id = 1",
        "TRUNCATE audit_events",
    ],
)
def test_the_trigger_refuses_changing_the_trail(ctx: AppContext, statement: str) -> None:
    """Even the superuser's plain session is refused, with the operation named."""
    ctx.policies.add(ME, "POL-700", "Kept")
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused, raw_db(ctx) as raw:
        raw.execute(statement)
    assert "audit_events is append-only" in str(refused.value)
    assert statement.split()[0] in str(refused.value)
    assert check_trail(ctx.db).ok


def test_the_app_still_appends_and_a_superuser_can_go_past(ctx: AppContext) -> None:
    """Appending works; `past_the_triggers` (the tamper tests' door) really edits a row."""
    ctx.policies.add(ME, "POL-701", "Appended")
    with past_the_triggers(ctx) as raw:
        raw.execute("UPDATE audit_events SET actor = 'mallory' WHERE id = 1")
    assert not check_trail(ctx.db).ok
