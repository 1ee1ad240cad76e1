"""The user directory. A new install makes the OS user its first admin.

Admins add users, change their roles and deactivate them (docs/authority.md): the last active
admin can be neither deactivated nor demoted, and a deactivated user's pending approvals, open
tasks and assigned policies move to a named active user in the same transaction."""

from __future__ import annotations

import getpass
import hashlib
import re
from typing import cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission, allows, roles_allowed
from governance_desktop.domain.enums import ApprovalStatus, Role, TaskStatus
from governance_desktop.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from governance_desktop.domain.identity import Meaning, RecordKind
from governance_desktop.domain.text import check_name, check_text, check_unique_name
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.dto import DeactivationReport, UserInfo
from governance_desktop.services.identity import Signer, issue_credential
from governance_desktop.services.signatures import require_signer, sign
from governance_desktop.store import generations
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import Delegation, Policy, Task, User, WorkflowApproval
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
    return UserInfo(
        row.username, row.display_name, row.role, row.created_at, row.active, row.deactivated_at
    )


def _check_not_last_admin(session: Session, row: User, what: str) -> None:
    """Refuse to take the admin role from the last active admin (rule: last admin)."""
    if row.role != Role.ADMIN or not row.active:
        return
    admins = session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
    )
    if (admins or 0) <= 1:
        raise PermissionDeniedError(
            f"'{row.username}' is the last active admin and cannot be {what}; "
            "make another user admin first (rule: last admin)"
        )


def require_user(session: Session, username: str, what: str = "user") -> User:
    """The user ``username``; as the ``actor`` of an act, only while active."""
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise NotFoundError(f"unknown {what} '{username}'")
    if what == "actor" and not row.active:
        raise PermissionDeniedError(
            f"'{username}' is deactivated and cannot act (rule: active users)"
        )
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

    def require(self, actor: str, permission: Permission) -> None:
        """Refuse unless ``actor`` is active and their role allows ``permission`` (for acts
        with no service of their own, e.g. a backup)."""
        with self._db.reading() as session:
            require_permission(session, actor, permission)

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

    @retry_conflicts
    def add(
        self,
        actor: str,
        username: str,
        display_name: str = "",
        role: Role = Role.OFFICER,
        *,
        initial_password: str | None = None,
    ) -> UserInfo:
        """Add a user; with ``initial_password`` (to be changed at first use) they get a
        credential and a signing key at once, else an admin sets one later."""
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
            if initial_password is not None:
                session.flush()
                issue_credential(session, self._audit, actor, row, initial_password)
            return _info(row)

    @retry_conflicts
    def set_role(self, actor: str, username: str, role: Role | str) -> UserInfo:
        """Give ``username`` another role (admins only; never the last admin's)."""
        try:
            new = Role(role)
        except ValueError:
            choices = ", ".join(r.value for r in Role)
            problem = f"unknown role {str(role)[:40]!r} (use {choices})"
            raise ValidationError(problem, "role") from None
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.MANAGE_USERS)
            row = require_user(session, username)
            if not row.active:
                raise PermissionDeniedError(
                    f"user '{username}' is deactivated; its role cannot change (rule: active users)"
                )
            old = row.role
            if old == new:
                return _info(row)
            if new != Role.ADMIN:
                _check_not_last_admin(session, row, f"made {new.value}")
            row.role = new
            generations.bump(session, generations.USERS)
            self._audit.record(
                session,
                actor,
                "user.role_changed",
                "user",
                username,
                {"old": old, "new": new.value},
            )
            return _info(row)

    @retry_conflicts
    def deactivate(
        self, actor: str, username: str, reassign_to: str, *, signer: Signer | None = None
    ) -> DeactivationReport:
        """Deactivate ``username``; their pending approvals, open tasks and assigned policies
        move to ``reassign_to`` (a row the other user already has in the same approval step is
        not duplicated: the deactivated user's row expires, a person counts once)."""
        if username == reassign_to:
            raise ValidationError(
                f"cannot reassign the work of '{username}' to '{username}' themselves",
                "--reassign-to",
            )
        signer = require_signer(signer, actor, f"deactivating '{username}'")
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.MANAGE_USERS)
            row = require_user(session, username)
            if not row.active:
                raise ConflictError(f"user '{username}' is already deactivated")
            other = require_user(session, reassign_to, "user to reassign to")
            if not other.active:
                raise PermissionDeniedError(
                    f"user '{reassign_to}' is deactivated and cannot take over work "
                    "(rule: active users)"
                )
            _check_not_last_admin(session, row, "deactivated")
            report = self._reassign(session, username, other)
            row.active = False
            row.deactivated_at = utcnow()
            # Their delegations, given or received, end with them.
            revoked = (
                session.connection()
                .execute(
                    update(Delegation)
                    .where(
                        or_(Delegation.delegator == username, Delegation.delegate == username),
                        Delegation.revoked_at.is_(None),
                    )
                    .values(revoked_at=row.deactivated_at)
                )
                .rowcount
            )
            generations.bump(session, generations.USERS)
            act = f"deactivate {username}; work to {reassign_to}"
            sign(
                session,
                self._audit,
                signer,
                RecordKind.USER,
                username,
                hashlib.sha256(act.encode()).hexdigest(),
                Meaning.DEACTIVATED,
                act,
            )
            self._audit.record(
                session,
                actor,
                "user.deactivated",
                "user",
                username,
                {
                    "reassigned_to": reassign_to,
                    "approvals_moved": report.approvals_moved,
                    "approvals_expired": report.approvals_expired,
                    "tasks_moved": report.tasks_moved,
                    "policies_moved": report.policies_moved,
                    "delegations_revoked": revoked,
                },
            )
            return report

    @staticmethod
    def _reassign(session: Session, username: str, other: User) -> DeactivationReport:
        pending = list(
            session.scalars(
                select(WorkflowApproval)
                .where(
                    WorkflowApproval.approver == username,
                    WorkflowApproval.status == ApprovalStatus.PENDING,
                )
                .order_by(WorkflowApproval.id)
            )
        )
        if pending and not allows(other.role, Permission.ANSWER_APPROVALS):
            allowed = " or ".join(r for r in roles_allowed(Permission.ANSWER_APPROVALS))
            raise PermissionDeniedError(
                f"'{username}' has {len(pending)} pending approval(s) and '{other.username}' is "
                f"{other.role}; only {allowed} may answer approvals (rule: role)"
            )
        taken = {
            (execution, step)
            for execution, step in session.execute(
                select(WorkflowApproval.execution_id, WorkflowApproval.step_index).where(
                    WorkflowApproval.approver == other.username
                )
            )
        }
        moved = expired = 0
        now = utcnow()
        for approval in pending:
            if (approval.execution_id, approval.step_index) in taken:
                approval.status = ApprovalStatus.EXPIRED
                approval.comment = (
                    f"'{username}' was deactivated; '{other.username}' already answers this step"
                )
                approval.responded_at = now
                expired += 1
            else:
                approval.approver = other.username
                moved += 1
        session.flush()
        conn = session.connection()
        tasks = conn.execute(
            update(Task)
            .where(Task.assignee == username, Task.status == TaskStatus.OPEN)
            .values(assignee=other.username)
        ).rowcount
        policies = conn.execute(
            update(Policy).where(Policy.assignee == username).values(assignee=other.username)
        ).rowcount
        return DeactivationReport(username, other.username, moved, expired, tasks, policies)

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
