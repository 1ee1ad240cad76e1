"""The workflows generation: every workflow write moves it by one in its own transaction, and a
transaction reads it once (until it bumps it itself)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event

from governance_desktop.app import AppContext
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store import generations
from governance_desktop.store.db import Database
from governance_desktop.store.generations import WORKFLOWS
from governance_desktop.store.models import Generation
from tests.helpers.actors import ME
from tests.helpers.identity import signer


def _generation(db: Database) -> int | None:
    with db.reading() as session:
        return generations.read(session, WORKFLOWS)


def _import(ctx: AppContext, title: str) -> None:
    data: dict[str, Any] = {
        "schema_version": 1,
        "name": "Review",
        "trigger": {"type": "on_status_change", "to_status": "in_review"},
        "actions": [{"type": "notify", "users": [ME], "title": title}],
    }
    ctx.workflows.import_definitions(
        ME, [DefinitionSource("review.json", data=data)], signer=signer(ctx, ME)
    )


def test_each_workflow_write_moves_the_generation_by_one(ctx: AppContext) -> None:
    """Import, a new version, disable and enable each move it; a write that changes nothing
    (the same file again, disabling a disabled workflow) does not."""
    seen = [_generation(ctx.db)]
    _import(ctx, "first")
    seen.append(_generation(ctx.db))
    _import(ctx, "first")
    seen.append(_generation(ctx.db))
    _import(ctx, "second")
    seen.append(_generation(ctx.db))
    ctx.workflows.set_enabled(ME, "Review", False)
    seen.append(_generation(ctx.db))
    ctx.workflows.set_enabled(ME, "Review", False)
    seen.append(_generation(ctx.db))
    ctx.workflows.set_enabled(ME, "Review", True)
    seen.append(_generation(ctx.db))
    assert seen == [0, 1, 1, 2, 3, 3, 4]


def test_a_transaction_reads_it_once_and_not_after_its_own_bump(ctx: AppContext) -> None:
    """Read twice, one statement; after this transaction's bump, None (its writes are not
    committed yet); the next transaction sees the bumped value."""
    statements: list[str] = []
    with ctx.db.transaction() as session:
        first = generations.read(session, WORKFLOWS)
        conn = session.connection()

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(conn, "before_cursor_execute", count)
        try:
            assert generations.read(session, WORKFLOWS) == first
            assert statements == []
            generations.bump(session, WORKFLOWS)
            assert generations.read(session, WORKFLOWS) is None
        finally:
            event.remove(conn, "before_cursor_execute", count)
    assert first is not None
    assert _generation(ctx.db) == first + 1


def test_a_database_without_the_counter_row_gets_it_on_the_first_bump(ctx: AppContext) -> None:
    """A missing row reads as 0 and is made by the first bump."""
    with ctx.db.transaction() as session:
        session.execute(delete(Generation))
    assert _generation(ctx.db) == 0
    with ctx.db.transaction() as session:
        generations.bump(session, WORKFLOWS)
    with ctx.db.transaction() as session:
        generations.bump(session, WORKFLOWS)
    assert _generation(ctx.db) == 2
