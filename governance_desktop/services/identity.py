"""Credentials and signing keys: who a person proves to be (21 CFR 11.100, 11.300).

A password is stored only as an argon2id hash. Each user's Ed25519 private key is wrapped
(AES-GCM) under a key derived from their password, so only that password can sign; the
public key is registered by an audit event and kept when the key is replaced.
Every sign-in, failure, lock, unlock and password change is an audit event.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.errors import AuthenticationError, NotFoundError, ValidationError
from governance_desktop.domain.identity import LOCK_AFTER, LOCK_FOR, check_password
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import SigningKey, User
from governance_desktop.store.types import utcnow


@dataclass
class KdfCost:
    """argon2id cost for password hashes and key wrapping (RFC 9106's second choice).
    The cost is stored with each hash and key, so a change applies to new ones only."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4

    def label(self) -> str:
        return f"argon2id:t={self.time_cost},m={self.memory_kib},p={self.parallelism}"


COST = KdfCost()


def _hasher() -> PasswordHasher:
    return PasswordHasher(COST.time_cost, COST.memory_kib, COST.parallelism)


def _parse_kdf(label: str) -> KdfCost:
    name, _, params = label.partition(":")
    if name != "argon2id":
        raise ValueError(f"unknown key derivation {name!r}")
    values = dict(part.split("=", 1) for part in params.split(","))
    return KdfCost(int(values["t"]), int(values["m"]), int(values["p"]))


def _derive(password: str, salt: bytes, cost: KdfCost) -> bytes:
    return hash_secret_raw(
        password.encode(),
        salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=32,
        type=Type.ID,
    )


#: How long a password given for signing stays good for the act it was given for.
SIGNING_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class Signer:
    """A user who has just given their password: holds their unlocked private key for the
    signatures of one act. Made only by `IdentityService.signer`."""

    username: str
    printed_name: str
    key_id: int
    authenticated_at: datetime
    _key: Ed25519PrivateKey = field(repr=False)

    def sign(self, payload: bytes) -> str:
        return self._key.sign(payload).hex()


def require_signer(signer: Signer | None, actor: str, act: str) -> Signer:
    """The signer of ``act`` by ``actor``: refused unless ``actor`` just gave their password."""
    if signer is None:
        raise AuthenticationError(
            f"{act} is a signed act: '{actor}' must sign with their password (rule: signature)"
        )
    if signer.username != actor:
        raise AuthenticationError(
            f"{act}: the signature is by '{signer.username}', not by '{actor}' (rule: signature)"
        )
    age = utcnow() - signer.authenticated_at
    if not timedelta(0) <= age <= SIGNING_WINDOW:
        raise AuthenticationError(
            f"{act}: the password was given too long ago; sign again (rule: signature)"
        )
    return signer


def _wrap(
    session: Session, audit: AuditService, actor: str, user: User, password: str, reason: str
) -> SigningKey:
    """A new key pair for ``user`` wrapped under ``password``; earlier keys are retired."""
    private = Ed25519PrivateKey.generate()
    key = _seal(user.username, private.private_bytes_raw(), password)
    key.public_key = private.public_key().public_bytes_raw().hex()
    now = utcnow()
    key.created_at = now
    session.execute(
        update(SigningKey)
        .where(SigningKey.username == user.username, SigningKey.retired_at.is_(None))
        .values(retired_at=now)
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor,
        "signing_key.registered",
        "user",
        user.username,
        {"key_id": key.id, "public_key": key.public_key, "algorithm": "Ed25519", "why": reason},
    )
    return key


def _seal(username: str, raw: bytes, password: str) -> SigningKey:
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(password, salt, COST)).encrypt(nonce, raw, username.encode())
    return SigningKey(
        username=username, wrapped_key=sealed, kdf_salt=salt, nonce=nonce, kdf=COST.label()
    )


def _open(key: SigningKey, password: str) -> Ed25519PrivateKey:
    kek = _derive(password, key.kdf_salt, _parse_kdf(key.kdf))
    raw = AESGCM(kek).decrypt(key.nonce, key.wrapped_key, key.username.encode())
    return Ed25519PrivateKey.from_private_bytes(raw)


def current_key(session: Session, username: str) -> SigningKey | None:
    return session.scalars(
        select(SigningKey)
        .where(SigningKey.username == username, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.id.desc())
    ).first()


def issue_credential(
    session: Session, audit: AuditService, actor: str, user: User, password: str
) -> None:
    """Give ``user`` an initial password (to be changed at first use) and a new key pair."""
    check_password(password, user.username)
    user.password_hash = _hasher().hash(password)
    user.must_change_password = True
    user.failed_attempts, user.locked_until = 0, None
    user.password_changed_at = utcnow()
    audit.record(session, actor, "auth.password_set", "user", user.username, {"initial": True})
    _wrap(session, audit, actor, user, password, "initial password")


class IdentityService:
    """Passwords, lockout and signing keys; every outcome is audited."""

    def __init__(self, db: Database, audit: AuditService) -> None:
        self._db = db
        self._audit = audit

    # --- who may act ---------------------------------------------------------------------

    def sign_in(self, username: str, password: str, *, purpose: str = "act") -> None:
        """Check ``username``'s password (lockout after 5 failures); audit the outcome.

        ``purpose`` "change" lets an initial password through to be changed."""
        self._check(username, password, purpose, audit_success=True)

    def signer(self, username: str, password: str, *, initial_ok: bool = False) -> Signer:
        """Re-authenticate ``username`` and unlock their key for one signing act.

        ``initial_ok``: an initial password may sign (only the demo, which chose it)."""
        self._check(username, password, "change" if initial_ok else "sign", audit_success=False)
        with self._db.reading() as session:
            user = self._user(session, username)
            key = current_key(session, username)
            if key is None:
                raise AuthenticationError(
                    f"'{username}' has no signing key: set a password with "
                    f"`users set-password {username}` (rule: signature)"
                )
            try:
                private = _open(key, password)
            except InvalidTag:
                raise AuthenticationError(
                    f"the signing key of '{username}' does not open with this password "
                    "(rule: signature)"
                ) from None
            return Signer(username, user.display_name or username, key.id, utcnow(), private)

    def _check(self, username: str, password: str, purpose: str, *, audit_success: bool) -> None:
        problem: AuthenticationError | None = None
        with self._db.transaction() as session:
            user = self._user(session, username, lock=True)
            now = utcnow()
            if user.locked_until is not None and user.locked_until > now:
                until = user.locked_until.strftime("%H:%M UTC")
                self._record(session, username, "auth.refused_locked", {"purpose": purpose})
                problem = AuthenticationError(
                    f"'{username}' is locked until {until} after {LOCK_AFTER} failed sign-ins "
                    "(rule: lockout)"
                )
            elif user.password_hash is None:
                problem = AuthenticationError(
                    f"'{username}' has no password yet: an admin sets one with "
                    f"`users set-password {username}` (rule: identity)"
                )
            elif not user.active:
                problem = AuthenticationError(
                    f"'{username}' is deactivated and cannot sign in (rule: active users)"
                )
            else:
                if user.locked_until is not None:  # expired lock
                    user.locked_until = None
                    user.failed_attempts = 0
                    self._record(session, username, "auth.unlocked", {"why": "lock expired"})
                problem = self._verify(session, user, password, purpose, audit_success)
        if problem is not None:
            raise problem

    def _verify(
        self, session: Session, user: User, password: str, purpose: str, audit_success: bool
    ) -> AuthenticationError | None:
        assert user.password_hash is not None
        try:
            _hasher().verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            user.failed_attempts += 1
            left = LOCK_AFTER - user.failed_attempts
            self._record(
                session,
                user.username,
                "auth.failed",
                {"purpose": purpose, "attempt": user.failed_attempts},
            )
            if left <= 0:
                user.locked_until = utcnow() + LOCK_FOR
                minutes = int(LOCK_FOR.total_seconds() // 60)
                self._record(session, user.username, "auth.locked", {"minutes": minutes})
                return AuthenticationError(
                    f"wrong password for '{user.username}': the account is now locked for "
                    f"{minutes} minutes (rule: lockout)"
                )
            return AuthenticationError(
                f"wrong password for '{user.username}' ({left} attempt(s) left before the "
                "account locks) (rule: identity)"
            )
        user.failed_attempts = 0
        if user.must_change_password and purpose != "change":
            return AuthenticationError(
                f"'{user.username}' must change the initial password first: "
                f"`users set-password {user.username}` (rule: identity)"
            )
        if audit_success:
            self._record(session, user.username, "auth.signed_in", {"purpose": purpose})
        return None

    # --- passwords -----------------------------------------------------------------------

    def has_password(self, username: str) -> bool:
        with self._db.reading() as session:
            return self._user(session, username).password_hash is not None

    def must_change(self, username: str) -> bool:
        with self._db.reading() as session:
            return bool(self._user(session, username).must_change_password)

    @retry_conflicts
    def change_own(self, username: str, current: str | None, new: str) -> None:
        """``username`` changes their own password; ``current`` is needed once one exists
        (the first password of an OS-bound user needs none). Re-wraps their key."""
        check_password(new, username)
        if self.has_password(username):
            if current is None:
                raise AuthenticationError(
                    f"changing the password of '{username}' needs the current one (rule: identity)"
                )
            self._check(username, current, "change", audit_success=False)
        with self._db.transaction() as session:
            user = self._user(session, username, lock=True)
            key = current_key(session, username)
            user.password_hash = _hasher().hash(new)
            user.must_change_password = False
            user.password_changed_at = utcnow()
            self._record(session, username, "auth.password_changed", {})
            if key is not None and current is not None:
                private = _open(key, current)
                sealed = _seal(username, private.private_bytes_raw(), new)
                key.wrapped_key, key.kdf_salt = sealed.wrapped_key, sealed.kdf_salt
                key.nonce, key.kdf = sealed.nonce, sealed.kdf
                self._record(session, username, "signing_key.rewrapped", {"key_id": key.id})
            else:
                _wrap(session, self._audit, username, user, new, "first password")

    @retry_conflicts
    def reset(self, actor: str, username: str, initial: str, *, admin: Signer | None) -> None:
        """An admin sets ``username``'s initial password (to change at first use); a new key
        pair replaces the old, whose public key stays registered for older signatures.
        ``admin``: the admin re-authenticated just now (an unattended session cannot)."""
        require_signer(admin, actor, f"resetting the password of '{username}'")
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.MANAGE_USERS)
            user = self._user(session, username, lock=True)
            issue_credential(session, self._audit, actor, user, initial)

    @retry_conflicts
    def unlock(self, actor: str, username: str) -> None:
        """An admin lifts a lock before it expires."""
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.MANAGE_USERS)
            user = self._user(session, username, lock=True)
            user.locked_until, user.failed_attempts = None, 0
            self._audit.record(session, actor, "auth.unlocked", "user", username, {"why": "admin"})

    # --- helpers -------------------------------------------------------------------------

    def _record(
        self, session: Session, username: str, action: str, details: dict[str, Any]
    ) -> None:
        self._audit.record(session, username, action, "user", username, details)

    @staticmethod
    def _user(session: Session, username: str, lock: bool = False) -> User:
        query = select(User).where(User.username == username)
        if lock:
            query = query.with_for_update()
        row = session.scalars(query).first()
        if row is None:
            raise NotFoundError(f"unknown user '{username}'")
        return row


def initial_password(username: str) -> str:
    """A random initial password that meets the strength rule for `username` (16 characters;
    about one in two thousand random ones holds a three-letter name and is drawn again)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        try:
            return check_password(candidate, username)
        except ValidationError:
            continue
