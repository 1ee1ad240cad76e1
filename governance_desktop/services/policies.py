"""The policy register: add, edit and move policies through their lifecycle."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import null, or_, select
from sqlalchemy.orm import Session

from governance_desktop.domain.authority import Permission
from governance_desktop.domain.clock import due_date
from governance_desktop.domain.document import VERSIONED_FIELDS
from governance_desktop.domain.enums import EntityType, PolicyStatus, TriggerType
from governance_desktop.domain.errors import (
    ConflictError,
    LifecycleError,
    NotFoundError,
    ValidationError,
)
from governance_desktop.domain.identity import Meaning, RecordKind
from governance_desktop.domain.lifecycle import check_move
from governance_desktop.domain.text import (
    BODY_MAX,
    COMMENT_MAX,
    TITLE_MAX,
    check_name,
    check_text,
    check_unique_name,
)
from governance_desktop.services.audit import AuditService
from governance_desktop.services.authority import require_permission
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.document import check_guard, mark_published, record_version
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.services.ending import end_open_work
from governance_desktop.services.events import EntityEvent, EventSink
from governance_desktop.services.identity import Signer
from governance_desktop.services.policy_rows import PolicyRow, require_policy_row, write_policy
from governance_desktop.services.search import contains, search_text
from governance_desktop.services.signatures import require_signer, sign
from governance_desktop.services.users import known_user
from governance_desktop.store.conflicts import retry_conflicts
from governance_desktop.store.db import Database
from governance_desktop.store.models import Policy, PolicyVersion
from governance_desktop.store.types import utcnow

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
EDITABLE = ("title", "body", "owner", "assignee", "review_interval_days")
#: Moves that end the policy's open executions (services/ending.py), and how a reason says so.
_ENDS_WORK = {PolicyStatus.RETIRED: "retired", PolicyStatus.DRAFT: "returned to draft"}


def policy_info(row: Policy) -> PolicyInfo:
    return PolicyInfo(
        code=row.code,
        title=row.title,
        status=row.status,
        owner=row.owner,
        assignee=row.assignee,
        body=row.body,
        review_interval_days=row.review_interval_days,
        next_review_date=row.next_review_date,
        version=row.version,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        effective_version=row.effective_version,
    )


def policy_facts(row: Policy | PolicyInfo) -> dict[str, Any]:
    """The fields conditions and placeholders may read (see domain.definition)."""
    return {
        "code": row.code,
        "title": row.title,
        "body": row.body,
        "status": row.status,
        "owner": row.owner,
        "assignee": row.assignee,
        "review_interval_days": row.review_interval_days,
        "next_review_date": row.next_review_date,
        "version": row.version,
        "created_by": row.created_by,
        "updated_by": row.updated_by,
    }


#: What a list shows: every column but the body (a register's bodies can total gigabytes).
LISTED = (
    Policy.code,
    Policy.title,
    Policy.status,
    Policy.owner,
    Policy.assignee,
    Policy.review_interval_days,
    Policy.next_review_date,
    Policy.version,
    Policy.created_by,
    Policy.created_at,
    Policy.updated_by,
    Policy.updated_at,
    Policy.effective_version,
)


def listed_info(row: Sequence[Any]) -> PolicyInfo:
    """A list row: the ``LISTED`` columns, then the body or None."""
    fields = {column.key: value for column, value in zip(LISTED, row, strict=False)}
    return PolicyInfo(**fields, body=row[-1])


def require_policy(session: Session, code: str) -> Policy:
    row = session.scalar(select(Policy).where(Policy.code == code))
    if row is None:
        raise NotFoundError(f"unknown policy '{code}'")
    return row


def _check_title(title: str) -> str:
    title = check_text(title.strip(), "title", TITLE_MAX)
    if not title:
        raise ValidationError("must not be empty", "title")
    return title


def _check_user_field(value: str | None, field: str) -> None:
    if value:
        check_text(value, field, 64)  # a NUL would reach the query (PostgreSQL refuses it)


def _check_interval(days: int) -> int:
    if not 1 <= days <= 3650:
        raise ValidationError(f"{days} is not between 1 and 3650 days", "review_interval_days")
    return days


#: A person's moves that are signed acts, and what the signature means.
_SIGNED = {
    PolicyStatus.PUBLISHED.value: Meaning.PUBLISHED,
    PolicyStatus.RETIRED.value: Meaning.RETIRED,
}


class PolicyService:
    """Every change writes its audit event and fires its workflow triggers in one transaction."""

    def __init__(self, db: Database, audit: AuditService) -> None:
        self._db = db
        self.cache = DatabaseCache.of(db)  # ActionEffects checks users with it too
        self._audit = audit
        self.sinks: list[EventSink] = []

    def _emit(
        self,
        session: Session,
        row: Policy | PolicyRow,
        trigger: TriggerType,
        actor: str,
        data: dict[str, Any],
        parent_execution_id: int | None = None,
    ) -> None:
        session.flush()
        event = EntityEvent(EntityType.POLICY, row.id, trigger, actor, data, parent_execution_id)
        for sink in self.sinks:
            sink(session, event)

    @retry_conflicts
    def add(
        self,
        actor: str,
        code: str,
        title: str,
        *,
        body: str = "",
        owner: str | None = None,
        review_interval_days: int = 365,
    ) -> PolicyInfo:
        code = check_name(code, "code", 32)
        if not CODE_RE.match(code):
            raise ValidationError(
                f"invalid code {code[:40]!r} (1-32 letters, digits, . _ -; e.g. POL-001)", "code"
            )
        title = _check_title(title)
        check_text(body, "body", BODY_MAX)
        _check_user_field(owner, "owner")
        _check_interval(review_interval_days)
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.AUTHOR_POLICIES)
            owner = owner or actor
            known_user(session, self.cache, owner, "owner")
            if session.scalar(select(Policy.id).where(Policy.code == code)):
                raise ConflictError(f"policy '{code}' already exists")
            check_unique_name("policy code", code, list(session.scalars(select(Policy.code))))
            now = utcnow()
            row = Policy(
                code=code,
                title=title,
                body=body,
                status=PolicyStatus.DRAFT,
                owner=owner,
                assignee=None,
                review_interval_days=review_interval_days,
                next_review_date=None,
                version=1,
                created_by=actor,
                created_at=now,
                updated_by=actor,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            digest = record_version(session, row.id, policy_info(row), actor)
            self._audit.record(
                session,
                actor,
                "policy.created",
                EntityType.POLICY,
                code,
                {"title": title, "owner": owner, "version": 1, "content_hash": digest},
            )
            self._emit(session, row, TriggerType.ON_CREATE, actor, {"status": row.status})
            return policy_info(row)

    @retry_conflicts
    def update(self, actor: str, code: str, **changes: Any) -> PolicyInfo:
        """Edit fields; new content (title, body, owner, review interval) saves a new version,
        and on an approved or published policy opens a draft revision (docs/authority.md)."""
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.AUTHOR_POLICIES)
            row = require_policy_row(session, code)
            return self.apply_update(session, row, changes, actor)

    def apply_update(
        self,
        session: Session,
        row: PolicyRow,
        changes: dict[str, Any],
        actor: str,
        parent_execution_id: int | None = None,
    ) -> PolicyInfo:
        """The edit itself, in the caller's transaction (people and workflows)."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValidationError("cannot be edited here", sorted(unknown)[0])
        if "title" in changes:
            changes["title"] = _check_title(changes["title"])
        if "body" in changes:
            check_text(changes["body"], "body", BODY_MAX)
        if "review_interval_days" in changes:
            _check_interval(changes["review_interval_days"])
        for name in ("owner", "assignee"):
            _check_user_field(changes.get(name), name)
            if changes.get(name):
                known_user(session, self.cache, changes[name], name)
        diff = {
            k: {"old": getattr(row.info, k), "new": v}
            for k, v in changes.items()
            if getattr(row.info, k) != v
        }
        if not diff:
            return row.info
        status = PolicyStatus(row.info.status)
        code = row.info.code
        if status is PolicyStatus.RETIRED:
            raise LifecycleError(f"{code} is retired and read-only (rule: document control)")
        new_content = any(key in VERSIONED_FIELDS for key in diff)
        if new_content and status is PolicyStatus.AWAITING_APPROVAL:
            raise LifecycleError(
                f"{code} is awaiting approval of version {row.info.version}; its text cannot "
                "change under the approvers: return it to draft first (rule: document control)"
            )
        values = {key: item["new"] for key, item in diff.items()}
        revision = new_content and status in (PolicyStatus.APPROVED, PolicyStatus.PUBLISHED)
        if new_content:
            values["version"] = row.info.version + 1
        values.update(updated_by=actor, updated_at=utcnow())
        write_policy(session, row, values)
        details: dict[str, Any] = {"changes": diff, "version": row.info.version}
        if new_content:
            details["content_hash"] = record_version(session, row.id, row.info, actor)
        if parent_execution_id is not None:
            details["execution_id"] = parent_execution_id
        self._audit.record(session, actor, "policy.updated", EntityType.POLICY, code, details)
        if revision:
            # The effective text stays in force; the new text walks the lifecycle from draft.
            self._move(
                session,
                row,
                PolicyStatus.DRAFT,
                actor,
                f"revision v{row.info.version} opened",
                parent_execution_id,
            )
        self._emit(
            session,
            row,
            TriggerType.ON_UPDATE,
            actor,
            {"status": row.info.status, "fields": sorted(diff)},
            parent_execution_id,
        )
        return row.info

    @retry_conflicts
    def change_status(
        self,
        actor: str,
        code: str,
        status: PolicyStatus | str,
        comment: str | None = None,
        *,
        signer: Signer | None = None,
    ) -> PolicyInfo:
        """A person's move; publishing and retiring are signed by ``signer`` (the actor)."""
        meaning = _SIGNED.get(str(status))
        if meaning is not None:
            signer = require_signer(signer, actor, f"moving {code} to {status}")
        with self._db.transaction() as session:
            require_permission(session, actor, Permission.MOVE_POLICIES)
            row = require_policy_row(session, code)
            info = self.apply_status(session, row, status, actor, comment)
            if meaning is not None and signer is not None:
                version = session.scalars(
                    select(PolicyVersion).where(
                        PolicyVersion.policy_id == row.id, PolicyVersion.number == info.version
                    )
                ).one()
                sign(
                    session,
                    self._audit,
                    signer,
                    RecordKind.POLICY_VERSION,
                    version.id,
                    version.content_hash,
                    meaning,
                    comment,
                )
            return info

    def apply_status(
        self,
        session: Session,
        row: PolicyRow,
        status: PolicyStatus | str,
        actor: str,
        comment: str | None = None,
        parent_execution_id: int | None = None,
    ) -> PolicyInfo:
        """The lifecycle move itself, in the caller's transaction (people and workflows)."""
        if comment:
            check_text(comment, "comment", COMMENT_MAX)
        try:
            new = PolicyStatus(status)
        except ValueError:
            allowed = ", ".join(s.value for s in PolicyStatus)
            raise ValidationError(
                f"{str(status)[:40]!r} is not a status (expected one of: {allowed})", "status"
            ) from None
        old = PolicyStatus(row.info.status)
        check_move(row.info.code, old, new)
        check_guard(session, row.id, row.info.code, row.info.version, new, parent_execution_id)
        return self._move(session, row, new, actor, comment, parent_execution_id)

    def _move(
        self,
        session: Session,
        row: PolicyRow,
        new: PolicyStatus,
        actor: str,
        comment: str | None,
        parent_execution_id: int | None,
    ) -> PolicyInfo:
        """Write a checked move, audit it and fire its triggers."""
        old = PolicyStatus(row.info.status)
        values: dict[str, Any] = {"status": new.value}
        if new is PolicyStatus.PUBLISHED:
            values["next_review_date"] = due_date(row.info.review_interval_days, utcnow())
            values["effective_version"] = row.info.version
            mark_published(session, row.id, row.info.version)
        elif new is PolicyStatus.RETIRED:
            values["next_review_date"] = None
            values["effective_version"] = None
        values.update(updated_by=actor, updated_at=utcnow())
        write_policy(session, row, values)
        details: dict[str, Any] = {"from": old.value, "to": new.value, "version": row.info.version}
        if comment:
            details["comment"] = comment
        if parent_execution_id is not None:
            details["execution_id"] = parent_execution_id
        self._audit.record(
            session, actor, "policy.status_changed", EntityType.POLICY, row.info.code, details
        )
        if new in _ENDS_WORK:  # before _emit: executions this move starts stay open
            reason = f"{row.info.code} was {_ENDS_WORK[new]} by {actor}"
            end_open_work(session, self._audit, row.id, reason, actor, parent_execution_id)
        self._emit(
            session,
            row,
            TriggerType.ON_STATUS_CHANGE,
            actor,
            {"status": new.value, "old_status": old.value},
            parent_execution_id,
        )
        return row.info

    def get(self, code: str) -> PolicyInfo:
        with self._db.reading() as session:
            return policy_info(require_policy(session, code))

    def list(
        self,
        status: PolicyStatus | None = None,
        search: str | None = None,
        limit: int | None = None,
        bodies: bool = False,
    ) -> list[PolicyInfo]:
        """Policies by code; ``body`` is None unless ``bodies`` (the window's editor wants them).

        ``search`` matches code, title or owner literally (``%`` and ``_`` are not wildcards).
        """
        query = select(*LISTED, Policy.body if bodies else null()).order_by(Policy.code)
        if status is not None:
            query = query.where(Policy.status == status)
        text = search_text(search or "")
        if text:
            query = query.where(
                or_(
                    contains(Policy.code, text),
                    contains(Policy.title, text),
                    contains(Policy.owner, text),
                )
            )
        if limit is not None:
            query = query.limit(limit)
        with self._db.reading() as session:
            return [listed_info(row) for row in session.execute(query)]
