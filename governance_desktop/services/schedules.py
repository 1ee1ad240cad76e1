"""`on_schedule` workflows: each cron tick runs once, even across several worker processes and
hosts whose clocks disagree (docs/dates-and-times.md).

The workflow records the cron tick it last claimed (not the host's now), so a host runs a tick
only if it is due by its own clock and later than the recorded one: hosts sharing a server
database up to a day apart run each tick once, by the clock that reaches it first. Ticks
missed while the app was closed run once. A recorded tick further ahead than hosts can
disagree (a local SQLite file has one host: 5 minutes; a server database: a day) was written by
a wrong clock: the schedule runs now and re-bases on now, so a corrected clock jump never
stops it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from governance_desktop.domain.clock import FUTURE_TOLERANCE, MAX_HOST_SKEW, Clock, utc_now
from governance_desktop.domain.cron import CronSpec, parse_cron
from governance_desktop.domain.enums import PolicyStatus, TriggerType
from governance_desktop.domain.workflow.conditions import evaluate
from governance_desktop.domain.workflow.definition import OnScheduleTrigger
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.dispatch import JobDispatcher, QueuedJob, dispatch_after_commit
from governance_desktop.services.starts import WorkflowStarter, entity_facts
from governance_desktop.services.workflows import current_definition, version_definition
from governance_desktop.store.db import Database, sqlite_path
from governance_desktop.store.models import Policy, Workflow

log = logging.getLogger(__name__)
SCHEDULER_ACTOR = "scheduler"


class ScheduleService:
    def __init__(
        self,
        db: Database,
        starter: WorkflowStarter,
        dispatcher: JobDispatcher,
        clock: Clock = utc_now,
        host_skew: timedelta | None = None,
    ) -> None:
        self._db = db
        self._cache = DatabaseCache.of(db)
        self._starter = starter
        self._dispatcher = dispatcher
        self._clock = clock
        #: How far another writer's clock may be ahead of ours: none but ours writes a local
        #: SQLite file, so beyond the ordinary tolerance a future tick is a wrong clock.
        if host_skew is None:
            host_skew = FUTURE_TOLERANCE if sqlite_path(db.url) is not None else MAX_HOST_SKEW
        self._host_skew = host_skew

    def run_due(self, now: datetime | None = None) -> int:
        """Start every schedule whose next tick has come (by `now`, else the service's
        clock); returns executions created."""
        now = now or self._clock()
        with self._db.reading() as session:
            ids = list(
                session.scalars(
                    select(Workflow.id).where(
                        Workflow.trigger_type == TriggerType.ON_SCHEDULE, Workflow.enabled.is_(True)
                    )
                )
            )
        return sum(self._run_one(workflow_id, now) for workflow_id in ids)

    def _run_one(self, workflow_id: int, now: datetime) -> int:
        with self._db.transaction() as session:
            workflow = session.get(Workflow, workflow_id)
            if workflow is None or not workflow.enabled:
                return 0
            version = current_definition(session, workflow)
            defn = version_definition(session, self._cache, version.id)
            if not isinstance(defn.trigger, OnScheduleTrigger):
                return 0
            since = workflow.last_scheduled_at or version.created_at
            if since > now + self._host_skew:
                log.warning(
                    "schedule %s last ran at %s, more than %s after now (%s): the clock "
                    "was wrong; running now and counting from now",
                    workflow.name,
                    since.isoformat(),
                    self._host_skew,
                    now.isoformat(),
                )
                tick: datetime | None = now
            else:
                tick = last_tick(parse_cron(defn.trigger.cron), since, now)
            if tick is None:
                return 0
            # Compare-and-set on the record read above: of two workers or hosts checking at
            # once, exactly one claims the tick (or the re-base). The tick is recorded, not
            # now, so a host whose clock is behind sees that tick as done.
            claimed = session.execute(
                update(Workflow)
                .where(
                    Workflow.id == workflow.id,
                    Workflow.last_scheduled_at.is_(None)
                    if workflow.last_scheduled_at is None
                    else Workflow.last_scheduled_at == workflow.last_scheduled_at,
                )
                .values(last_scheduled_at=tick)
                .execution_options(synchronize_session=False)
            )
            if not getattr(claimed, "rowcount", 0):
                return 0
            data = {"scheduled_for": tick.isoformat()}
            jobs: list[QueuedJob] = []
            policies = session.scalars(
                select(Policy).where(Policy.status != PolicyStatus.RETIRED).order_by(Policy.id)
            )
            for policy in policies:
                facts = entity_facts(policy, {"status": policy.status, **data})
                if not evaluate(defn.conditions, facts):
                    continue
                job = self._starter.create_execution(
                    session,
                    workflow,
                    version,
                    defn,
                    policy,
                    TriggerType.ON_SCHEDULE,
                    {"status": policy.status, **data},
                    SCHEDULER_ACTOR,
                    None,
                ).job
                if job is not None:
                    jobs.append(job)
            log.info("schedule %s (tick %s) started %s executions", workflow.name, tick, len(jobs))
            dispatch_after_commit(session, jobs, self._dispatcher)
            return len(jobs)


def last_tick(spec: CronSpec, since: datetime, now: datetime) -> datetime | None:
    """The latest tick of `spec` after `since` and at or before `now`, or None: the one tick a
    check runs for all the ticks it missed. Bisects, so a long gap costs a few dozen steps."""
    low = spec.next_after(since)
    if low > now:
        return None
    high = now  # invariant: `low` is a tick <= high, and no tick lies in (high, now]
    while spec.next_after(low) <= high:
        middle = low + (high - low) / 2
        candidate = spec.next_after(middle)
        if candidate <= high:
            low = candidate
        else:
            high = middle
    return low
