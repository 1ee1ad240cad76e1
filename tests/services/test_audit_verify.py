"""`audit verify` keeps checkpoints and re-hashes stored rows in the exact `event_hash`
format: a quick re-check walks only new events, and a trail rewritten or cut since a
checkpoint fails it, full or quick."""

from __future__ import annotations

from typing import Any

import pytest

from governance_desktop.app import AppContext
from governance_desktop.services.audit import event_hash
from governance_desktop.services.audit_chain import content_text
from governance_desktop.services.audit_verify import check_trail
from governance_desktop.store.types import utcnow
from tests.helpers.actors import ME
from tests.helpers.rawdb import past_the_triggers
from tests.helpers.tamper import rechain

AWKWARD: list[dict[str, Any]] = [
    {},
    {"z": 1, "a": [1, 2.5, None, True], "m": {"b": "é", "a": "日本"}},
    {"text": 'quote " backslash \\ tab \t nl \n nul \x00 del \x7f sep \u2028 emoji 😀'},
    {"big": 10**30, "neg": -0.0, "exp": 1e-300, "nested": [[{"k": []}]]},
    {"ключ": "значение", "": ""},
]


@pytest.mark.parametrize("details", AWKWARD)
def test_fast_content_is_the_event_hash_format(details: dict[str, Any]) -> None:
    """The walk's inline content hashes exactly as `event_hash` does, on awkward values."""
    import hashlib
    import json

    at = utcnow()
    text = content_text(
        "0" * 64,
        at.isoformat(),
        'ä"b',
        "x.y",
        "policy",
        "P-1\n",
        json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    )
    assert hashlib.sha256(text.encode()).hexdigest() == event_hash(
        "0" * 64, at, 'ä"b', "x.y", "policy", "P-1\n", details
    )


def test_awkward_stored_events_verify_and_an_edit_is_found(ctx: AppContext) -> None:
    """Events with awkward details and a whole-second time verify from their stored text;
    changing one character of one is named."""
    with ctx.db.transaction() as session:
        for details in AWKWARD:
            ctx.audit.record(session, ME, "test.awkward", "policy", "P-1", details)
    check = check_trail(ctx.db)
    assert check.ok and check.chain.events == len(AWKWARD) + 1, check
    with past_the_triggers(ctx) as raw:
        raw.execute(
            "UPDATE audit_events SET details = replace(details, '2.5', '2.6')"
            if ctx.db.engine.dialect.name == "sqlite"
            else "UPDATE audit_events SET details = replace(details::text, '2.5', '2.6')::json"
        )
    result = ctx.audit.verify()
    assert not result.ok and result.first_bad_id == 3


def test_quick_recheck_walks_only_events_after_the_checkpoint(ctx: AppContext) -> None:
    """A full check keeps a checkpoint at its head; a quick one starts there and walks only
    what was written since, then keeps a new one."""
    first = check_trail(ctx.db)
    assert first.ok and first.kept is not None and first.started_from is None
    for n in range(3):
        ctx.policies.add(ME, f"POL-{n}", f"Policy {n}")
    quick = check_trail(ctx.db, from_checkpoint=True)
    assert quick.ok and quick.started_from == first.kept
    assert quick.walked == quick.chain.events - first.chain.events > 0
    assert quick.kept is not None and quick.kept.events == quick.chain.events
    again = check_trail(ctx.db, from_checkpoint=True)
    assert again.ok and again.walked == 0 and again.kept is None


@pytest.mark.parametrize("quick", [False, True])
def test_a_trail_rewritten_since_the_checkpoint_fails(ctx: AppContext, quick: bool) -> None:
    """Editing an early event and recomputing the whole chain passes the chain alone, but
    not the kept checkpoint (full or quick)."""
    for n in range(3):
        ctx.policies.add(ME, f"POL-{n}", f"Policy {n}")
    assert check_trail(ctx.db).kept is not None
    with past_the_triggers(ctx) as raw:
        raw.execute("UPDATE audit_events SET actor = 'mallory' WHERE id = 2")
    rechain(ctx)
    check = check_trail(ctx.db, from_checkpoint=quick)
    assert check.chain.ok and not check.ok and check.kept is None
    assert "no longer holds the verified hash" in check.problems[0]


def test_events_removed_before_the_checkpoint_fail_it(ctx: AppContext) -> None:
    """Deleting an event before the checkpoint changes the count that leads to it."""
    for n in range(3):
        ctx.policies.add(ME, f"POL-{n}", f"Policy {n}")
    check_trail(ctx.db)
    with past_the_triggers(ctx) as raw:
        raw.execute("DELETE FROM audit_events WHERE id = 2")
    check = check_trail(ctx.db, from_checkpoint=True)
    assert not check.ok and any("events now lead to event" in p for p in check.problems)


def test_cli_says_what_it_walked(ctx: AppContext, cli) -> None:  # type: ignore[no-untyped-def]
    """`audit verify` walks everything and keeps a checkpoint; `--quick` says it started
    from the checkpoint and trusted the events before it."""
    ctx.close()
    full = cli("audit", "verify")
    assert full.code == 0 and "signatures verified" in full.out
    assert "walked all" in full.out and "checkpoint kept at event" in full.out
    quick = cli("audit", "verify", "--quick")
    assert quick.code == 0 and "re-checked from the checkpoint of" in quick.out
    assert "verified then, not now" in quick.out
    data = cli("audit", "verify", "--json").json()
    assert data["ok"] is True and data["signatures"] == 0 and data["problems"] == []
