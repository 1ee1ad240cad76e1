"""Signing keys (21 CFR 11.200, 11.300): a password change re-wraps the same key, an admin
reset issues a new key pair and retires the old one, and every signature made with either
still verifies against the key registered in the audit trail."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import Role
from governance_desktop.domain.errors import AuthenticationError, PermissionDeniedError
from governance_desktop.services import identity as identity_module
from governance_desktop.services.signatures import verify_signatures
from governance_desktop.store.models import SigningKey
from tests.helpers.actors import ME
from tests.helpers.authority import walk_to
from tests.helpers.identity import INITIAL, PASSWORD, signer

NEW = "Another-Passw0rd!"
RESET = "Reset-Passw0rd-9"


@pytest.fixture
def signed(ctx: AppContext) -> AppContext:
    """bob (approver, password PASSWORD) has signed the approval of POL-001."""
    ctx.users.add(ME, "bob", "Bob Chen", Role.APPROVER, initial_password=INITIAL)
    ctx.identity.change_own("bob", INITIAL, PASSWORD)
    ctx.policies.add(ME, "POL-001", "Information Security Policy", owner=ME)
    walk_to(ctx, "POL-001", "approved")
    [approval] = [a for a in ctx.approvals.list() if a.responded_by == "bob"]
    assert approval.signature is not None
    return ctx


def _keys(ctx: AppContext, username: str) -> list[SigningKey]:
    with ctx.db.reading() as session:
        rows = list(
            session.scalars(
                select(SigningKey).where(SigningKey.username == username).order_by(SigningKey.id)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def _registered(ctx: AppContext, username: str) -> dict[int, str]:
    """Key id → public key, as the audit trail registered them for ``username``."""
    return {
        e.details["key_id"]: e.details["public_key"]
        for e in ctx.audit.events("user", username)
        if e.action == "signing_key.registered"
    }


def _verifies(public_hex: str, signature_hex: str, payload: bytes) -> bool:
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
        bytes.fromhex(signature_hex), payload
    )
    return True


def test_changing_a_password_rewraps_the_same_key(signed: AppContext) -> None:
    """After a change the same key id signs with the new password; the old password neither
    signs in nor opens the key; earlier signatures still verify."""
    [before] = _keys(signed, "bob")
    signed.identity.change_own("bob", PASSWORD, NEW)
    [after] = _keys(signed, "bob")
    assert (after.id, after.public_key, after.retired_at) == (before.id, before.public_key, None)
    assert after.wrapped_key != before.wrapped_key and after.kdf_salt != before.kdf_salt
    by = signed.identity.signer("bob", NEW)
    assert by.key_id == before.id
    assert _verifies(_registered(signed, "bob")[by.key_id], by.sign(b"payload"), b"payload")
    with pytest.raises(InvalidTag):
        identity_module._open(after, PASSWORD)
    with pytest.raises(AuthenticationError, match="wrong password"):
        signed.identity.signer("bob", PASSWORD)
    rewrapped = [
        e for e in signed.audit.events("user", "bob") if e.action == "signing_key.rewrapped"
    ]
    # one for each change: INITIAL to PASSWORD (the fixture), PASSWORD to NEW
    assert [e.details for e in rewrapped] == [{"key_id": before.id}] * 2
    with signed.db.reading() as session:
        assert verify_signatures(session) == (1, [])


def test_an_admin_reset_issues_a_new_key_and_old_signatures_still_verify(
    signed: AppContext,
) -> None:
    """Only an admin who just gave their password resets; the reset password must be changed
    first; the new key pair is registered beside the retired old one; both keys' signatures
    verify."""
    [old] = _keys(signed, "bob")
    signed.users.add(ME, "carol", "Carol", Role.APPROVER)
    with pytest.raises(PermissionDeniedError, match=r"\(rule: role\)"):
        signed.identity.reset("carol", "bob", RESET, admin=signer(signed, "carol"))
    with pytest.raises(AuthenticationError, match=r"\(rule: signature\)"):
        signed.identity.reset(ME, "bob", RESET, admin=None)
    assert [k.id for k in _keys(signed, "bob")] == [old.id]

    signed.identity.reset(ME, "bob", RESET, admin=signer(signed, ME))
    assert signed.identity.must_change("bob")
    with pytest.raises(AuthenticationError, match="wrong password"):
        signed.identity.signer("bob", PASSWORD)
    signed.identity.change_own("bob", RESET, PASSWORD)
    retired, current = _keys(signed, "bob")
    assert retired.id == old.id and retired.retired_at is not None
    assert current.retired_at is None and current.public_key != old.public_key
    assert _registered(signed, "bob") == {
        old.id: old.public_key,
        current.id: current.public_key,
    }
    assert signed.identity.signer("bob", PASSWORD).key_id == current.id

    signed.policies.add(ME, "POL-002", "Acceptable Use Policy", owner=ME)
    walk_to(signed, "POL-002", "approved")
    with signed.db.reading() as session:
        count, problems = verify_signatures(session)
    assert (count, problems) == (2, [])
    keys = {a.policy: a.signature for a in signed.approvals.list() if a.responded_by == "bob"}
    assert keys["POL-001"] is not None and keys["POL-002"] is not None
