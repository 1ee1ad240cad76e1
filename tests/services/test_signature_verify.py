"""`audit verify` links every signature to its signer's registered key and to the record it
signs: rows forged or moved with raw SQL on the database are reported by id.

The data is made with the real services first, then changed underneath the app
(tests/helpers/rawdb.py), as a person with file or database access would
(tests/helpers/tamper.py can even recompute the hash chain).
"""

from __future__ import annotations

import pytest

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.services.audit_verify import TrailCheck, check_trail
from tests.helpers.actors import ME
from tests.helpers.authority import WALK_APPROVER, walk_to
from tests.helpers.identity import INITIAL, signer
from tests.helpers.rawdb import past_the_triggers, raw_db
from tests.helpers.tamper import append_event, rechain

DONE, PENDING = "POL-001", "POL-002"


@pytest.fixture
def signed(ctx: AppContext) -> AppContext:
    """POL-001 approved (its approval signed by the walk's approver), POL-002 awaiting."""
    for code in (DONE, PENDING):
        ctx.policies.add(ME, code, f"Policy {code}", body=f"text of {code}")
    walk_to(ctx, DONE, "approved")
    walk_to(ctx, PENDING, "awaiting_approval")
    check = check_trail(ctx.db)
    assert check.ok and check.signatures == 1, check.problems
    return ctx


def _sql(ctx: AppContext, statement: str, *params: object) -> None:
    """Change rows underneath the app (on PostgreSQL past the audit trail's trigger)."""
    with past_the_triggers(ctx) as raw:
        raw.execute(statement, params)


def _one(ctx: AppContext, query: str, *params: object) -> object:
    with raw_db(ctx) as raw:
        value = raw.execute(query, params).fetchone()[0]
    return value


def _approval(ctx: AppContext, code: str) -> int:
    return next(a.id for a in ctx.approvals.list() if a.policy == code)


def _signature_of(ctx: AppContext, approval: int) -> int:
    sql = "SELECT id FROM signatures WHERE record_kind = 'approval' AND record_id = ?"
    return int(str(_one(ctx, sql, str(approval))))


def _lines(check: TrailCheck, start: str) -> list[str]:
    return [p for p in check.problems if p.startswith(start)]


def test_forged_approval_is_reported_even_with_the_chain_recomputed(signed: AppContext) -> None:
    """An approval set to approved with raw SQL, with a matching audit event and the whole
    hash chain recomputed, is named by id: it has no valid signature."""
    forged = _approval(signed, PENDING)
    _sql(
        signed,
        "UPDATE workflow_approvals SET status = 'approved', responded_by = ?, "
        "responded_at = '2026-12-03 10:00:00.000000' WHERE id = ?",
        WALK_APPROVER,
        forged,
    )
    append_event(signed, WALK_APPROVER, "approval.approved", "policy", PENDING, {})
    rechain(signed)
    check = check_trail(signed.db)
    assert check.chain.ok  # the chain alone cannot tell
    assert not check.ok
    assert f"approval {forged}: answered without a valid signature" in check.problems


def test_signature_moved_to_another_record_is_reported(signed: AppContext) -> None:
    """A signature whose record id is changed (and its audit event with it, chain
    recomputed) no longer verifies for the record it now names."""
    source, target = _approval(signed, DONE), _approval(signed, PENDING)
    moved = _signature_of(signed, source)
    _sql(
        signed,
        "UPDATE workflow_approvals SET status = 'approved', responded_by = ?, comment = "
        "'approved for the test' WHERE id = ?",
        WALK_APPROVER,
        target,
    )
    _sql(signed, "UPDATE signatures SET record_id = ? WHERE id = ?", str(target), moved)
    _sql(
        signed,
        "UPDATE audit_events SET entity_id = ? WHERE action = 'signature.applied' "
        "AND entity_type = 'approval' AND entity_id = ?",
        str(target),
        str(source),
    )
    rechain(signed)
    check = check_trail(signed.db)
    assert check.chain.ok and not check.ok
    assert _lines(check, f"signature {moved} (approval {target}): ")  # other text, other id
    assert f"approval {source}: answered without a valid signature" in check.problems


def test_signature_copied_onto_another_record_is_reported(signed: AppContext) -> None:
    """A copy of a signature row with another record id is named by its id."""
    source, target = _approval(signed, DONE), _approval(signed, PENDING)
    original = _signature_of(signed, source)
    _sql(
        signed,
        "INSERT INTO signatures (record_kind, record_id, content_hash, meaning, reason, "
        "signer, printed_name, signed_at, key_id, signature) SELECT record_kind, ?, "
        "content_hash, meaning, reason, signer, printed_name, signed_at, key_id, signature "
        "FROM signatures WHERE id = ?",
        str(target),
        original,
    )
    copy = int(str(_one(signed, "SELECT max(id) FROM signatures")))
    check = check_trail(signed.db)
    assert _lines(check, f"signature {copy} (approval {target}):")
    assert not _lines(check, f"signature {original} ")  # the original still verifies


def test_changed_signed_comment_is_reported(signed: AppContext) -> None:
    """Editing the comment an approver signed, in the approval and in the signature row
    alike, breaks the signature."""
    approval = _approval(signed, DONE)
    sid = _signature_of(signed, approval)
    _sql(signed, "UPDATE workflow_approvals SET comment = 'never read it' WHERE id = ?", approval)
    check = check_trail(signed.db)
    assert _lines(check, f"signature {sid} (approval {approval}): the approval's comment")
    _sql(signed, "UPDATE signatures SET reason = 'never read it' WHERE id = ?", sid)
    check = check_trail(signed.db)
    assert _lines(check, f"signature {sid} (approval {approval}): the signature does not match")


def test_replaced_public_key_is_reported(signed: AppContext) -> None:
    """A public key replaced in signing_keys differs from the one the audit trail registered."""
    sid = _signature_of(signed, _approval(signed, DONE))
    key = int(str(_one(signed, "SELECT key_id FROM signatures WHERE id = ?", sid)))
    _sql(signed, "UPDATE signing_keys SET public_key = ? WHERE id = ?", "ab" * 32, key)
    check = check_trail(signed.db)
    assert (
        f"key {key} ({WALK_APPROVER}): its public key differs from the one registered in "
        "the audit trail" in check.problems
    )
    assert _lines(check, f"signature {sid} (approval ")


def test_key_registered_to_another_user_is_reported(signed: AppContext) -> None:
    """A key moved to another user in signing_keys, or a signature claiming another signer
    with that key, is reported by id."""
    sid = _signature_of(signed, _approval(signed, DONE))
    key = int(str(_one(signed, "SELECT key_id FROM signatures WHERE id = ?", sid)))
    _sql(signed, "UPDATE signing_keys SET username = ? WHERE id = ?", ME, key)
    check = check_trail(signed.db)
    assert _lines(check, f"key {key} ({ME}): registered in the audit trail to '{WALK_APPROVER}'")
    _sql(signed, "UPDATE signatures SET signer = ? WHERE id = ?", ME, sid)
    check = check_trail(signed.db)
    assert _lines(check, f"signature {sid} (approval ")
    assert any(
        f"is registered to '{WALK_APPROVER}', not to the signer" in p for p in check.problems
    )


def test_old_signatures_verify_after_an_admin_reset(signed: AppContext) -> None:
    """An admin reset gives a new key pair; signatures made with the old, still registered
    key still verify, and new ones verify against the new key."""
    signed.identity.reset(ME, WALK_APPROVER, INITIAL, admin=signer(signed, ME))
    pending = _approval(signed, PENDING)
    by = signer(signed, WALK_APPROVER)  # changes the initial password first
    signed.approvals.approve(pending, WALK_APPROVER, "after the reset", signer=by)
    assert signed.approvals.get(pending).status == ApprovalStatus.APPROVED
    keys = _one(signed, "SELECT count(DISTINCT key_id) FROM signatures")
    check = check_trail(signed.db)
    assert check.ok and check.signatures == 2 and keys == 2, check.problems
