"""The user directory. A new install makes the OS user its first admin."""

from __future__ import annotations

import getpass
import re
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.enums import Role
from governance_desktop.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from governance_desktop.domain.text import check_name, check_text, check_unique_name
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.dto import UserInfo
from governance_desktop.store import generations
from governance_desktop.store.db import Database
from governance_desktop.store.models import User
from governance_desktop.store.types import utcnow

_users = cast(Table, User.__table__)
_ACTIVE_USER = select(_users.c.active).where(_users.c.username == bindparam("p_name"))
USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


def os_username() -> str:
    """The logged-in user's name, made into a valid username."""
    try:
        raw = getpass.getuser()
    except (KeyError, OSError):
        raw = "admin"
    cleaned = re.sub(r"[^A-Za-z0-9._@-]", "_", raw)[:64]
    return cleaned or "admin"


def _info(row: User) -> UserInfo:
    return UserInfo(row.username, row.display_name, row.role, row.created_at, row.active)


def require_user(session: Session, username: str, what: str = "user") -> User:
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise NotFoundError(f"unknown {what} '{username}'")
    return row


def known_user(session: Session, cache: DatabaseCache, username: str, what: str = "user") -> None:
    """Raise unless ``username`` is an active user, without loading the row: the answer is
    remembered per database at the users generation, which every deactivation moves (every
    status change and step names its users again: docs/benchmarks.md, parts 2 and 4)."""
    generation = generations.read(session, generations.USERS)
    kept, seen = cache.users
    if kept != generation or generation is None:
        seen = set()
        if generation is not None:
            cache.users = (generation, seen)
    if username not in seen:
        active = session.connection().execute(_ACTIVE_USER, {"p_name": username}).scalar()
        if active is None:
            raise NotFoundError(f"unknown {what} '{username}'")
        if not active:
            raise PermissionDeniedError(f"{what} '{username}' is deactivated (rule: active users)")
        seen.add(username)


def require_admin(session: Session, actor: str) -> None:
    """Refuse unless ``actor`` is an active admin (the acts of docs/authority.md's last rows)."""
    require_permission(session, actor, Permission.MANAGE_USERS)


class UserDirectory:
    def __init__(self, db: Database, audit: AuditService) -> None:
        self._db = db
        self._audit = audit

    def ensure_first_admin(self, username: str) -> bool:
        """On an empty directory, create `username` as admin. Returns True if it did."""
        with self._db.transaction() as session:
            if session.scalar(select(func.count()).select_from(User)):
                return False
            session.add(
                User(username=username, display_name=username, role=Role.ADMIN, created_at=utcnow())
            )
            self._audit.record(
                session,
                username,
                "user.created",
                "user",
                username,
                {"role": Role.ADMIN.value, "reason": "first start"},
            )
            return True

    def add(
        self, actor: str, username: str, display_name: str = "", role: Role = Role.OFFICER
    ) -> UserInfo:
        username = check_name(username, "username", 64)
        if not USERNAME_RE.match(username):
            raise ValidationError(
                f"invalid username {username[:40]!r} (use 1-64 letters, digits, . _ @ -)",
                "username",
            )
        check_text(display_name, "name", 200)
        with self._db.transaction() as session:
            require_admin(session, actor)
            if session.scalar(select(User.id).where(User.username == username)):
                raise ConflictError(f"user '{username}' already exists")
            check_unique_name("username", username, list(session.scalars(select(User.username))))
            row = User(
                username=username,
                display_name=display_name or username,
                role=Role(role),
                created_at=utcnow(),
            )
            session.add(row)
            self._audit.record(
                session,
                actor,
                "user.created",
                "user",
                username,
                {"role": Role(role).value, "display_name": row.display_name},
            )
            return _info(row)

    def list(self) -> list[UserInfo]:
        with self._db.reading() as session:
            return [_info(r) for r in session.scalars(select(User).order_by(User.username))]

    def get(self, username: str) -> UserInfo:
        with self._db.reading() as session:
            return _info(require_user(session, username))

    def existing(self, usernames: set[str]) -> set[str]:
        with self._db.reading() as session:
            rows = session.scalars(select(User.username).where(User.username.in_(usernames)))
            return set(rows)
