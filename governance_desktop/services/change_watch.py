"""What other processes changed: a cheap cross-process watermark the window polls, and the
`Changes` flags of what moved since the last one.

Every change a person makes writes an audit event in its own transaction, so the audit
trail's newest id moves with every person's change; its new events' actions name what
changed (`flags_of`). Workflow steps also write tasks and notifications without an event, and
jobs move without one: their newest id (and the jobs' newest `updated_at`, indexed) complete
the watermark. Each part is a max over a primary key or an index: a few B-tree steps,
whatever the size of the trail (docs/benchmarks.md, "change watermark").

Audit ids follow commit order: every event is appended under the audit lock, after the
chain's head is read (services/audit.py), so nothing commits below a watermark already seen.
Task and notification ids and job times need not: on PostgreSQL step runners commit side by
side, so a row can commit just below a watermark already seen. There, after tasks,
notifications or jobs move, they are reported moved for `SETTLE_SECONDS` more, so the pages
read again once the slower runner has committed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select

from governance_desktop.services.changes import Changes
from governance_desktop.store.db import Database
from governance_desktop.store.models import AuditEvent, Job, Notification, Task

#: What an audit event's action (the part before the dot) says changed, besides the trail
#: itself. Actions not named here (sign-ins, signatures, signing keys) change only the trail.
ACTION_FLAGS: dict[str, Changes] = {
    "user": Changes.USERS,
    "policy": Changes.POLICIES,
    "approval": Changes.APPROVALS,
    "delegation": Changes.APPROVALS,
    "task": Changes.TASKS,
    "workflow": Changes.WORKFLOWS,
    "job": Changes.JOBS,
    # cancelling, skipping or rejecting a run ends its tasks and approvals, may move a policy
    "execution": Changes.JOBS | Changes.TASKS | Changes.APPROVALS | Changes.POLICIES,
    "data": Changes.ALL,  # a restore
}
#: Above this many new events a poll does not ask what they were: everything reloads.
SCAN_LIMIT = 10_000
#: How long rows without an event are reported moved after they last moved, where runners
#: commit side by side (PostgreSQL): longer than a step runner's transaction stays open.
SETTLE_SECONDS = 5.0


def flags_of(action: str) -> Changes:
    """What an audit event with `action` (e.g. ``user.created``) changed."""
    return Changes.AUDIT | ACTION_FLAGS.get(action.partition(".")[0], Changes.NONE)


@dataclass(frozen=True)
class Watermark:
    """The newest audit event, task and notification ids and job change seen; `settling`:
    what is still reported moved until `settle_until` (time.monotonic(); not compared)."""

    audit_id: int = 0
    task_id: int = 0
    notification_id: int = 0
    job_updated: datetime | None = None
    settling: Changes = field(default=Changes.NONE, compare=False)
    settle_until: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class ChangeScan:
    """What moved between two watermarks. `by_event` maps each flag to the newest audit
    event id that changed it (so a caller can tell what it announced itself); `unattributed`
    are flags moved by rows without an event (tasks, notifications, jobs)."""

    mark: Watermark
    by_event: dict[Changes, int] = field(default_factory=dict)
    unattributed: Changes = Changes.NONE

    @property
    def changes(self) -> Changes:
        found = self.unattributed
        for flag in self.by_event:
            found |= flag
        return found


_MARK = select(
    select(func.max(AuditEvent.id)).scalar_subquery(),
    select(func.max(Task.id)).scalar_subquery(),
    select(func.max(Notification.id)).scalar_subquery(),
    select(func.max(Job.updated_at)).scalar_subquery(),
)


class ChangeWatch:
    """`mark()` once, then `since(mark)` on a timer; `audit_head()` after one's own write."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # Where rows can commit below a watermark seen (module docstring).
        self._settles = db.engine.dialect.name == "postgresql"

    def mark(self) -> Watermark:
        with self._db.reading() as session:
            row = session.execute(_MARK).one()
        return Watermark(row[0] or 0, row[1] or 0, row[2] or 0, row[3])

    def audit_head(self) -> int:
        """The newest audit event id (0 for an empty trail)."""
        with self._db.reading() as session:
            return int(session.scalar(select(func.max(AuditEvent.id))) or 0)

    def since(self, before: Watermark) -> ChangeScan:
        """The watermark now and what changed after `before` (nothing: an empty scan)."""
        with self._db.reading() as session:
            row = session.execute(_MARK).one()
            now = Watermark(row[0] or 0, row[1] or 0, row[2] or 0, row[3])
            by_event: dict[Changes, int] = {}
            if now.audit_id > before.audit_id:
                if now.audit_id - before.audit_id > SCAN_LIMIT:
                    by_event = {flag: now.audit_id for flag in Changes.ALL}
                else:
                    query = (
                        select(AuditEvent.action, func.max(AuditEvent.id))
                        .where(AuditEvent.id > before.audit_id, AuditEvent.id <= now.audit_id)
                        .group_by(AuditEvent.action)
                    )
                    for action, newest in session.execute(query):
                        for flag in flags_of(action):
                            by_event[flag] = max(by_event.get(flag, 0), int(newest))
        unattributed = Changes.NONE
        if now.task_id != before.task_id:
            unattributed |= Changes.TASKS
        if now.notification_id != before.notification_id:
            unattributed |= Changes.NOTIFICATIONS
        if now.job_updated != before.job_updated:
            unattributed |= Changes.JOBS
        if self._settles:
            clock = time.monotonic()
            if unattributed:
                now = replace(now, settling=unattributed, settle_until=clock + SETTLE_SECONDS)
            elif before.settle_until > clock:
                unattributed = before.settling
                now = replace(now, settling=before.settling, settle_until=before.settle_until)
        return ChangeScan(now, by_event, unattributed)
