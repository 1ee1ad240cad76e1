"""The services' cache belongs to its Database: one per Database, gone with it, and `clear()`
makes it cold without changing what the services answer."""

from __future__ import annotations

from pathlib import Path

from governance_desktop.app import AppContext
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.db import Database
from tests.helpers.actors import ME
from tests.helpers.identity import signer

REVIEW = {
    "schema_version": 1,
    "name": "Review",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [{"type": "notify", "users": [ME], "title": "{policy.code}"}],
}


def test_one_cache_per_database(ctx: AppContext, data_dir: Path) -> None:
    """Every service of a Database shares its cache; another Database on the same file has
    its own."""
    cache = DatabaseCache.of(ctx.db)
    assert DatabaseCache.of(ctx.db) is cache
    assert ctx.db.cache is cache
    other = Database(ctx.db.url)
    try:
        assert DatabaseCache.of(other) is not cache
    finally:
        other.dispose()


def test_clear_makes_it_cold_and_the_next_change_fills_it_again(ctx: AppContext) -> None:
    """After a status change the cache holds the definition, the matcher, the candidate list
    and the user; clear() empties all four; the next change starts the workflow as before."""
    ctx.workflows.import_definitions(
        ME, [DefinitionSource("review.json", data=REVIEW)], signer=signer(ctx, ME)
    )
    ctx.policies.add(ME, "POL-001", "Information Security Policy", owner=ME)
    cache = DatabaseCache.of(ctx.db)

    def started() -> int:
        ctx.policies.update(ME, "POL-001", assignee=ME)  # names a user: checked through the cache
        ctx.policies.change_status(ME, "POL-001", "in_review")
        ctx.policies.change_status(ME, "POL-001", "draft")
        return len(ctx.monitor.executions())

    assert started() == 1
    assert cache.definitions and cache.matchers and cache.kept[1] and ME in cache.users[1]
    cache.clear()
    assert not (cache.definitions or cache.matchers or cache.kept[1] or cache.users[1])
    assert started() == 2
    assert cache.definitions and cache.matchers and cache.kept[1] and ME in cache.users[1]
