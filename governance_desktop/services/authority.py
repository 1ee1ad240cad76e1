"""The permission check every service makes before a person's act (docs/authority.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission, allows, refusal
from governance_desktop.domain.enums import Role
from governance_desktop.domain.errors import NotFoundError, PermissionDeniedError
from governance_desktop.store.models import User

_users = cast(Table, User.__table__)
_ACTOR = select(_users.c.role, _users.c.active, _users.c.display_name).where(
    _users.c.username == bindparam("p_name")
)


@dataclass(frozen=True)
class Actor:
    """The person acting, as the directory knows them now."""

    username: str
    role: str
    display_name: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def acting_user(session: Session, actor: str) -> Actor:
    """The active user ``actor``; refused if unknown or deactivated."""
    found = session.connection().execute(_ACTOR, {"p_name": actor}).first()
    if found is None:
        raise NotFoundError(f"unknown actor '{actor}'")
    role, active, name = found
    if not active:
        raise PermissionDeniedError(f"'{actor}' is deactivated and cannot act (rule: active users)")
    return Actor(actor, role, name)


def require_permission(session: Session, actor: str, permission: Permission) -> Actor:
    """The acting user, if their role allows ``permission``; else one line naming the rule."""
    user = acting_user(session, actor)
    if not allows(user.role, permission):
        raise PermissionDeniedError(refusal(actor, user.role, permission))
    return user
