"""Lock soak helpers: the data set, a GUI-shaped writer and reader, timings, the worker process.

"GUI-shaped": the window calls services from `ui/background.py` — one writer thread for every
write, a small pool for reads. Here the same services are called the same way without Qt:
one writer thread (status moves, edits, approvals) and one reader polling the job monitor's
reads. Every call is timed; those times are the waits a person would see.

The writer follows the authority rules (docs/authority.md): a policy becomes approved only by
bob's answer to the workflow's approval step, text awaiting approval is never edited, and an
edit of an approved or published policy opens a draft revision.
"""

from __future__ import annotations

import math
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from governance_desktop.app import AppContext
from governance_desktop.domain.enums import ApprovalStatus, PolicyStatus
from governance_desktop.domain.errors import LifecycleError
from governance_desktop.services.job_pages import JobFilter
from governance_desktop.services.workflows import DefinitionSource
from tests.helpers.actors import ME
from tests.helpers.identity import credential, signer

PEOPLE = ("alice", "bob", "carol")
MANUAL = 240  # POL-… policies: only the writer moves them
AUTO = 60  # AUTO-… policies: a workflow moves them from in_review to awaiting_approval

S = PolicyStatus
#: The refusal a text edit of an AUTO-… policy may meet when the "Auto submit" workflow moved
#: it to awaiting approval between the writer's read and its write (a person would see it too).
RACED_EDIT = "(rule: document control)"
# Moves the writer makes for POL-… policies (never retired: the soak must keep going).
# awaiting_approval → approved is no move: bob's answer approves it (see Writer._manual).
NEXT: dict[PolicyStatus, list[PolicyStatus]] = {
    S.DRAFT: [S.IN_REVIEW],
    S.IN_REVIEW: [S.AWAITING_APPROVAL, S.AWAITING_APPROVAL, S.DRAFT],
    S.APPROVED: [S.PUBLISHED, S.PUBLISHED, S.DRAFT],
    S.PUBLISHED: [S.IN_REVIEW],
}


def _workflow(
    name: str, trigger: dict[str, Any], actions: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": name,
        "entity_type": "policy",
        "trigger": trigger,
        "actions": actions,
        **extra,
    }


WORKFLOWS = [
    _workflow(
        "Review kickoff",
        {"type": "on_status_change", "to_status": "in_review"},
        [
            {"type": "create_task", "title": "Review {policy.code}", "assignee": "alice"},
            {"type": "notify", "users": ["alice", "bob"], "title": "{policy.code} is in review"},
            {"type": "assign", "user": "carol"},
        ],
    ),
    _workflow(
        "Auto submit",
        {"type": "on_status_change", "to_status": "in_review"},
        [
            {"type": "notify", "users": ["carol"], "title": "{policy.code} submitted"},
            {"type": "set_status", "status": "awaiting_approval"},
        ],
        conditions={"all": [{"field": "code", "op": "contains", "value": "AUTO-"}]},
    ),
    _workflow(
        "Approval round",
        {"type": "on_status_change", "to_status": "awaiting_approval"},
        [
            {"type": "approval", "approvers": ["bob"], "rule": "any", "due_in_days": 3},
            {"type": "notify", "users": ["alice"], "title": "{policy.code} was approved"},
        ],
    ),
    _workflow(
        "Edit follow-up",
        {"type": "on_update", "fields": ["title", "body", "owner"]},
        [
            {"type": "notify", "users": ["bob"], "title": "{policy.code} was edited"},
            {"type": "create_task", "title": "Re-read {policy.code}"},
        ],
    ),
]


def build_data(ctx: AppContext) -> tuple[list[str], list[str]]:
    """Users, MANUAL + AUTO draft policies and the four workflows; returns the two code lists."""
    for name in PEOPLE:
        ctx.users.add(ME, name, name.title(), "approver")  # type: ignore[arg-type]
    manual = [f"POL-{n:03}" for n in range(MANUAL)]
    auto = [f"AUTO-{n:03}" for n in range(AUTO)]
    for n, code in enumerate(manual + auto):
        ctx.policies.add(ME, code, f"Policy {n}", owner=PEOPLE[n % 3], body="First text.")
    ctx.workflows.import_definitions(
        ME,
        [DefinitionSource(f"{d['name']}.json", data=d) for d in WORKFLOWS],
        signer=signer(ctx, ME),
    )
    credential(ctx, "bob")  # bob signs his approvals
    return manual, auto


@dataclass(frozen=True)
class Hold:
    wall: float  # seconds the write lock was held
    cpu: float  # of which the holding thread ran on a CPU
    thread: str
    first: str  # the transaction's first statement: which code it was


@dataclass(frozen=True)
class Call:
    kind: str  # "write" or "read"
    name: str
    seconds: float
    started: float  # perf_counter
    lock_wait: float  # in BEGIN IMMEDIATE, i.e. waiting for SQLite's write lock
    commit: float  # from COMMIT to the call's return (fsync, after-commit callbacks)


class LockProbe:
    """Times, per thread, BEGIN IMMEDIATE (the write-lock wait) and COMMIT onwards; and for
    every write transaction how long it held the lock (BEGIN done → COMMIT or ROLLBACK), how
    much of that its thread spent on a CPU, the thread, and the transaction's first statement.

    `target` is one engine, or the `Engine` class for every engine of the process."""

    def __init__(self, target: Engine | type[Engine]) -> None:
        self.target = target
        self.local = threading.local()
        self.holds: list[Hold] = []
        event.listen(target, "before_cursor_execute", self._before)
        event.listen(target, "after_cursor_execute", self._after)
        event.listen(target, "commit", self._commit)
        event.listen(target, "rollback", self._release)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            self.local.begin = time.perf_counter()
        elif getattr(self.local, "locked", None) is not None and not self.local.first:
            self.local.first = " ".join(statement.split())[:80]

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            self.local.locked, self.local.cpu = time.perf_counter(), time.thread_time()
            self.local.first = ""
            self.local.wait = getattr(self.local, "wait", 0.0) + (
                self.local.locked - self.local.begin
            )

    def _commit(self, conn: Any) -> None:
        self.local.commit_at = time.perf_counter()
        self._release(conn)

    def _release(self, _conn: Any) -> None:
        locked = getattr(self.local, "locked", None)
        if locked is not None:
            self.local.locked = None
            wall, cpu = time.perf_counter() - locked, time.thread_time() - self.local.cpu
            name = threading.current_thread().name
            self.holds.append(Hold(wall, cpu, name, self.local.first))

    def reset(self) -> None:
        self.local.wait, self.local.commit_at = 0.0, None

    def read(self, end: float) -> tuple[float, float]:
        commit_at = getattr(self.local, "commit_at", None)
        return getattr(self.local, "wait", 0.0), end - commit_at if commit_at else 0.0

    def close(self) -> None:
        for name, fn in (
            ("before_cursor_execute", self._before),
            ("after_cursor_execute", self._after),
            ("commit", self._commit),
            ("rollback", self._release),
        ):
            event.remove(self.target, name, fn)

    def summary(self, n: int = 3) -> str:
        """p99 and the `n` longest holds, one line."""
        walls = sorted(h.wall for h in self.holds)
        longest = "; ".join(
            f"{h.wall * 1000:.0f} ms ({h.cpu * 1000:.0f} ms on CPU, {h.thread}: {h.first})"
            for h in sorted(self.holds, key=lambda h: h.wall, reverse=True)[:n]
        )
        return (
            f"{len(walls)} transactions holding it {sum(walls):.0f} s in all, "
            f"p99 {percentile(walls, 99) * 1000:.0f} ms, longest {longest}"
        )


@dataclass
class Timings:
    """Every GUI-side call, every error one raised, and the refusals a race may cause."""

    probe: LockProbe
    calls: list[Call] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def call(self, kind: str, name: str, fn: Callable[[], Any], refusable: str = "") -> Any:
        """`fn()` timed; a LifecycleError naming `refusable` is a refusal, not an error."""
        self.probe.reset()
        started = time.perf_counter()
        try:
            return fn()
        except LifecycleError as exc:
            if not refusable or refusable not in str(exc):
                self.errors.append(f"{kind} {name}: {type(exc).__name__}: {exc}"[:500])
            else:
                self.refusals.append(f"{kind} {name}: {exc}"[:500])
            return None
        except Exception as exc:  # counted and asserted on; the soak goes on
            self.errors.append(f"{kind} {name}: {type(exc).__name__}: {exc}"[:500])
            return None
        finally:
            end = time.perf_counter()
            wait, commit = self.probe.read(end)
            self.calls.append(Call(kind, name, end - started, started, wait, commit))

    def waits(self, kind: str) -> list[float]:
        return sorted(c.seconds for c in self.calls if c.kind == kind)

    def count(self, kind: str, name: str) -> int:
        return sum(1 for c in self.calls if c.kind == kind and c.name == name)

    def slowest(self, n: int = 5) -> list[Call]:
        return sorted(self.calls, key=lambda c: c.seconds, reverse=True)[:n]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted `values` (0 for none)."""
    if not values:
        return 0.0
    return values[max(0, min(len(values), math.ceil(p / 100 * len(values))) - 1)]


class Writer(threading.Thread):
    """The GUI's single writer thread: status moves, edits and approvals, one at a time."""

    def __init__(
        self,
        ctx: AppContext,
        manual: list[str],
        auto: list[str],
        timings: Timings,
        stop: threading.Event,
        pause: float,
    ) -> None:
        super().__init__(name="soak-writer", daemon=True)
        self.ctx, self.manual, self.auto = ctx, manual, auto
        self.timings, self.stop, self.pause = timings, stop, pause
        self.status = {code: S.DRAFT for code in manual}  # only this thread moves them
        self.version = {code: 1 for code in manual}
        self.rng = random.Random(11)
        self.edits = 0

    def run(self) -> None:
        while not self.stop.is_set():
            waiting = [c for c, s in self.status.items() if s is S.AWAITING_APPROVAL]
            roll = self.rng.random()
            if roll < 0.25:
                self._auto(self.rng.choice(self.auto))
            elif roll < 0.4 and waiting:  # the approvals page: answer what waits
                self._manual(self.rng.choice(waiting))
            else:
                self._manual(self.rng.choice(self.manual))
            self.stop.wait(self.rng.uniform(0.5, 1.5) * self.pause)

    def _write(self, name: str, fn: Callable[[], Any], refusable: str = "") -> Any:
        return self.timings.call("write", name, fn, refusable)

    def _read(self, name: str, fn: Callable[[], Any]) -> Any:
        return self.timings.call("read", name, fn)

    def _move(self, code: str, target: PolicyStatus) -> Any:
        # publishing is signed: the password is checked before, not inside, the timed write
        signed = signer(self.ctx, ME) if target in (S.PUBLISHED, S.RETIRED) else None
        return self._write(
            "change_status",
            lambda: self.ctx.policies.change_status(ME, code, target, signer=signed),
        )

    def _edit(self, code: str, allow_text: bool = True, refusable: str = "") -> Any:
        """Edit the text (title, body, owner: a new version) or, if not `allow_text`, only
        the assignee (document control: text awaiting approval does not change)."""
        fields = ["title", "body", "owner"] if allow_text else ["assignee"]
        name = self.rng.choice(fields)
        self.edits += 1
        value: str = {
            "title": f"Policy {code} rev {self.edits}",
            "body": f"Text revision {self.edits}.",
            "owner": self.rng.choice(PEOPLE),
            "assignee": self.rng.choice(PEOPLE),
        }[name]
        return self._write(
            "update", lambda: self.ctx.policies.update(ME, code, **{name: value}), refusable
        )

    def _manual(self, code: str) -> None:
        status = self.status[code]
        if self.rng.random() < 0.3:  # an edit (never of the text while approval is pending)
            info = self._edit(code, allow_text=status is not S.AWAITING_APPROVAL)
            if info is not None:  # an approved or published text edited: a draft revision
                self.version[code] = info.version
                self.status[code] = PolicyStatus(info.status)
            return
        if status is S.AWAITING_APPROVAL:
            if self._approve(code):  # bob's answer meets the rule: the policy is approved
                self.status[code] = S.APPROVED
            return  # or the approval step has not run yet: come back later, like a person
        info = self._move(code, self.rng.choice(NEXT[status]))
        if info is not None:
            self.status[code] = PolicyStatus(info.status)

    def _approve(self, code: str) -> bool:
        """Bob answers the approval of `code`'s current version, as the approvals page does."""
        pending = self._read(
            "approvals.list",
            lambda: self.ctx.approvals.list(approver="bob", status=ApprovalStatus.PENDING),
        )
        mine = [
            a for a in pending or [] if a.policy == code and a.policy_version == self.version[code]
        ]
        if not mine:
            return False
        signed = signer(self.ctx, "bob")  # the password is checked before the timed write
        done = self._write(
            "approve", lambda: self.ctx.approvals.approve(mine[0].id, "bob", "ok", signer=signed)
        )
        return done is not None

    def _auto(self, code: str) -> None:
        info = self._read("policies.get", lambda: self.ctx.policies.get(code))
        if info is None:
            return
        if info.status == S.DRAFT:
            self._move(code, S.IN_REVIEW)
        elif info.status == S.AWAITING_APPROVAL:
            self._move(code, S.DRAFT)  # sent back; the next round starts from draft
        else:  # in_review: the workflow moves it; the person edits meanwhile (and may be
            self._edit(code, refusable=RACED_EDIT)  # refused if the workflow moved it first)


class MonitorReader(threading.Thread):
    """The job monitor's reads on its timers: changes by watermark, counts, pages, chart."""

    def __init__(self, ctx: AppContext, timings: Timings, stop: threading.Event) -> None:
        super().__init__(name="soak-reader", daemon=True)
        self.ctx, self.timings, self.stop = ctx, timings, stop
        self.pages = ctx.job_pages
        self.rng = random.Random(13)

    def _read(self, name: str, fn: Callable[[], Any]) -> Any:
        return self.timings.call("read", name, fn)

    def run(self) -> None:
        everything = JobFilter()
        snap = self._read("snapshot", lambda: self.pages.snapshot(everything))
        watermark = snap.watermark if snap else None
        tick = 0
        while not self.stop.wait(self.rng.uniform(0.1, 0.3)):
            tick += 1
            changes = self._read("changed_since", partial(self.pages.changed_since, watermark))
            if changes is not None:
                watermark = changes.watermark
                if not changes.complete:
                    snap = self._read("snapshot", lambda: self.pages.snapshot(everything))
                    watermark = snap.watermark if snap else watermark
            if tick % 6 == 0:
                self._read("counts", self.pages.counts)
            if tick % 15 == 0:
                self._scroll(everything)
            if tick % 25 == 0:
                since = datetime.now(UTC) - timedelta(seconds=120)
                self._read("finished_since", partial(self.pages.finished_since, since))
                flt = JobFilter(search=self.rng.choice(("Review", "POL-01", "AUTO")))
                self._read("search", partial(self.pages.snapshot, flt))
                self._read("executions", lambda: self.ctx.monitor.executions(limit=200))

    def _scroll(self, flt: JobFilter) -> None:
        snap = self._read("snapshot", lambda: self.pages.snapshot(flt))
        if snap is None or not snap.first_page:
            return
        after = snap.first_page[-1].id
        top = snap.top_id
        self._read("page", lambda: self.pages.page(flt, top, len(snap.first_page), 500, after))


def _probed_main(argv: list[str]) -> int:
    """`governance-desktop ARGV` with a LockProbe on every engine; summary to logs/."""
    from governance_desktop.cli import main

    probe = LockProbe(Engine)
    try:
        return main(argv)
    finally:
        data_dir = Path(argv[argv.index("--data-dir") + 1])
        with (data_dir / "logs" / "worker-locks.txt").open("a") as out:
            out.write(probe.summary() + "\n")


if __name__ == "__main__":
    raise SystemExit(_probed_main(sys.argv[1:]))
