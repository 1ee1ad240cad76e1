"""Crash chaos: kill -9 and SIGTERM the worker at random moments, kill a process in the middle
of status changes, and quit the GUI while jobs run. Nothing may be lost or done twice.

Every test prints one line of figures (see them with `pytest -s`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from governance_desktop.app import AppContext, attach_queue
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import AuditEvent, Job, Policy, Workflow, WorkflowExecution
from tests.helpers.identity import PASSWORD, credential, signer
from tests.helpers.processes import start_worker
from tests.reliability.chaos_support import (
    ME,
    Approver,
    check_every_effect_once,
    check_policies,
    drive,
    finish_everything,
    policy_code,
    running_jobs,
    seed,
    unfinished_jobs,
    wait_for_jobs,
    wait_for_unfinished,
    wait_until_started,
    worker_log,
)

# --- status changes killed mid-way -------------------------------------------------------

# A move to awaiting_approval asks the Standard approval (no workflow here asks for approval);
# "approved" is no move a person makes: the approver's answer meets the rule and approves the
# text, in the answer's transaction (docs/authority.md). Both are changes the kill may cut.
CHANGER = """
import random, sys
from pathlib import Path
from governance_desktop.app import attach_queue, open_app
from governance_desktop.config import load_settings
from governance_desktop.domain.enums import ApprovalStatus, PolicyStatus
from governance_desktop.domain.lifecycle import allowed_moves
data_dir, actor, approver, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
password, codes = sys.argv[5], sys.argv[6:]
ctx = open_app(load_settings(data_dir=Path(data_dir)))
runtime = attach_queue(ctx)  # like the CLI: enqueue after each commit
rng = random.Random(seed)
print("ready", flush=True)
while True:
    code = rng.choice(codes)
    moves = [s for s in allowed_moves(PolicyStatus(ctx.policies.get(code).status))
             if s is not PolicyStatus.RETIRED]
    target = rng.choice(moves)
    print("begin", code, target.value, flush=True)
    if target is PolicyStatus.APPROVED:
        pending = [a for a in ctx.approvals.list(approver=approver, status=ApprovalStatus.PENDING)
                   if a.policy == code]
        assert len(pending) == 1, (code, pending)
        ctx.approvals.approve(pending[0].id, approver, "chaos: approved",
                              signer=ctx.identity.signer(approver, password))
    else:
        signed = (ctx.identity.signer(actor, password)
                  if target in (PolicyStatus.PUBLISHED, PolicyStatus.RETIRED) else None)
        ctx.policies.change_status(actor, code, target, signer=signed)
    print("done", flush=True)
"""
#: Who answers the Standard approvals the changer's moves ask for.
STATUS_APPROVER = "bob"
STANDARD = "Standard approval"

STATUS_WORKFLOWS: list[dict[str, Any]] = [
    {
        "schema_version": 1,
        "name": "Every move",
        "trigger": {"type": "on_status_change"},
        "actions": [{"type": "notify", "users": ["alice"], "title": "{policy.code} moved"}],
    },
    {
        "schema_version": 1,
        "name": "Review started",
        "trigger": {"type": "on_status_change", "to_status": "in_review"},
        "actions": [{"type": "create_task", "title": "Review {policy.code}"}],
    },
    {
        "schema_version": 1,
        "name": "Security published",
        "trigger": {"type": "on_status_change", "to_status": "published"},
        "conditions": {"all": [{"field": "title", "op": "contains", "value": "Security"}]},
        "actions": [{"type": "create_task", "title": "Brief staff on {policy.code}"}],
    },
]


def seed_status_chaos(ctx: AppContext, policies: int) -> list[str]:
    """Users, `policies` drafts (every other one a Security policy), the three workflows."""
    ctx.users.add(ME, "alice", "Alice", "officer")
    ctx.users.add(ME, STATUS_APPROVER, "Bob", "approver")
    codes = [policy_code(n) for n in range(policies)]
    for n, code in enumerate(codes):
        kind = "Security" if n % 2 else "Privacy"
        ctx.policies.add(ME, code, f"{kind} policy {n}", owner="alice")
    ctx.workflows.import_definitions(
        ME,
        [DefinitionSource(f"{d['name']}.json", data=d) for d in STATUS_WORKFLOWS],
        signer=signer(ctx, ME),
    )
    credential(ctx, STATUS_APPROVER)  # the changer signs as bob and as ME with PASSWORD
    return codes


def run_changer(data_dir: Path, codes: list[str], seed: int, kill_after: float) -> tuple[int, bool]:
    """Run the changer, SIGKILL it `kill_after` s into its loop; returns (changes it saw
    committed, whether it was killed between its `begin` and `done` lines)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHANGER,
            str(data_dir),
            ME,
            STATUS_APPROVER,
            str(seed),
            PASSWORD,
            *codes,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first == b"ready\n", first + (proc.stderr.read() if proc.stderr else b"")
        time.sleep(kill_after)
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err.decode(errors="replace")[-2000:]
    lines = out.decode().splitlines()
    return lines.count("done"), bool(lines) and lines[-1].startswith("begin")


@dataclass
class StatusReport:
    changes: int = 0
    executions: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"status_changes={self.changes} executions={self.executions}"


def _expected_workflows(title: str, move: dict[str, Any]) -> list[str]:
    old, new = move["from"], move["to"]
    if "execution_id" in move:  # the approval's move: none of these workflows starts from one
        return []
    names = ["Every move"]
    if new == "in_review":
        names.append("Review started")
    if new == "published" and "Security" in title:
        names.append("Security published")
    started = [f"{name}:{old}>{new}" for name in names]
    if new == "awaiting_approval":  # the move's own request, after the workflows it started
        started.append(f"{STANDARD}:None>{new}")
    return started


def _expected_outcome(moves: list[dict[str, Any]], name: str, execution_id: int) -> str:
    """What became of `execution_id`, started by the move `moves[0]`. Nothing runs while
    the changer runs, so a later return to draft cancels it (docs/authority.md, "Ending work
    that no longer applies"); the burst completes the others. A Standard approval is
    completed by the answer that approved the policy, or still waits."""
    later = moves[1:]
    if name == STANDARD and later and later[0].get("execution_id") == execution_id:
        return "completed" if later[0]["to"] == "approved" else f"unexpected move {later[0]}"
    if any(m["to"] == "draft" for m in later):
        return "cancelled"
    return "awaiting_approval" if name == STANDARD else "completed"


def check_status_changes(ctx: AppContext, codes: list[str]) -> StatusReport:
    """Per policy: status = the last status-change event; the executions are exactly those
    the events call for, in order, each with one start job (a Standard approval, made by the
    move itself, none); each ended as the moves after it call for: cancelled by a later
    return to draft, else completed (a Standard approval: by the answer that approved)."""
    report = StatusReport()
    with ctx.db.reading() as session:
        events = session.execute(
            select(AuditEvent.entity_id, AuditEvent.details)
            .where(AuditEvent.action == "policy.status_changed")
            .order_by(AuditEvent.id)
        ).all()
        executions = session.execute(
            select(Policy.code, Workflow.name, WorkflowExecution)
            .join(Policy, Policy.id == WorkflowExecution.entity_id)
            .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
            .order_by(WorkflowExecution.id)
        ).all()
        start_jobs = Counter(
            session.scalars(select(Job.execution_id).where(Job.kind == "EXECUTE_WORKFLOW"))
        )
        policies = {p.code: p for p in session.scalars(select(Policy))}
    report.changes, report.executions = len(events), len(executions)
    for code in codes:
        policy = policies[code]
        mine = [d for c, d in events if c == code]
        want = [(w, i) for i, d in enumerate(mine) for w in _expected_workflows(policy.title, d)]
        ran = [(name, ex) for c, name, ex in executions if c == code]
        got = [
            f"{name}:{ex.input_data.get('old_status')}>{ex.input_data.get('status')}"
            for name, ex in ran
        ]
        if got != [w for w, _ in want]:
            report.problems.append(f"{code}: executions {got} but changes call for {want}")
            continue
        last = mine[-1]["to"] if mine else "draft"
        if policy.status != last:
            report.problems.append(f"{code} is {policy.status}, last change says {last}")
        for (name, ex), (_, at) in zip(ran, want, strict=True):
            jobs = 0 if name == STANDARD else 1
            outcome = _expected_outcome(mine[at:], name, ex.id)
            if (start_jobs[ex.id], ex.status) != (jobs, outcome):
                report.problems.append(
                    f"execution {ex.id} ({name}): {start_jobs[ex.id]} start jobs, {ex.status}; "
                    f"expected {jobs}, {outcome}"
                )
    return report


def _stop_at_random_moments(
    ctx: AppContext,
    data_dir: Path,
    policies: int,
    stops: int,
    stop: Callable[[subprocess.Popen[bytes]], None],
    start: Callable[[], subprocess.Popen[bytes]],
    rng: random.Random,
    *,
    graceful: bool = False,
    pace: float = 0.0,
) -> dict[str, Any]:
    """Drive `policies` changes while a process runs the work; `stop` it `stops` times at
    random moments (after a random number of finished jobs, or a random time after its
    start), restarting it after each stop but the last; then finish with `worker --burst`.
    A `graceful` stop waits until the process has started its consumer (and so installed
    its signal handlers): before that a SIGTERM ends Python by the default action."""
    runtime = attach_queue(ctx)  # this process only enqueues (and answers approvals)
    approver = Approver(ctx)
    driver = threading.Thread(target=drive, args=(ctx, policies, random.Random(rng.random()), pace))
    running_at_stop: list[int] = []
    unfinished_at_stop: list[int] = []
    aimed: list[bool] = []  # stops aimed at the middle of the work (the others: any moment)
    began = time.monotonic()
    proc = start()
    approver.start()
    driver.start()
    try:
        for n in range(stops):
            if graceful:
                wait_until_started(data_dir, proc.pid)
            aimed.append(rng.random() >= 0.25)
            if not aimed[-1]:  # any moment, also while it starts and reconciles
                threading.Event().wait(rng.uniform(0.0, 2.0))
            elif graceful:  # soon, the moment work is queued: batches drain it in ms
                wait_for_jobs(ctx, rng.randint(3, 30))
                for _ in range(5):  # on a loaded machine a batch can drain it before we look
                    wait_for_unfinished(ctx)
                    if unfinished_jobs(ctx) or not driver.is_alive():
                        break
            else:  # in the middle of the work
                wait_for_jobs(ctx, rng.randint(20, 140))
                threading.Event().wait(rng.uniform(0.0, 0.03))
            running_at_stop.append(running_jobs(ctx))
            unfinished_at_stop.append(unfinished_jobs(ctx))
            stop(proc)
            if n < stops - 1:
                proc = start()
        driver.join(timeout=180)
        assert not driver.is_alive(), "the driver did not finish its status changes"
        chaos_seconds = time.monotonic() - began
        bursts = finish_everything(ctx, data_dir, approver)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        approver.stop()
        runtime.close()
    assert approver.self_approval_refused, "the starter was allowed to approve its own change"
    return {
        "stops": len(running_at_stop),
        "running_at_stop": running_at_stop,
        "unfinished_at_stop": unfinished_at_stop,
        "aimed": aimed,
        "bursts": bursts,
        "seconds": f"{chaos_seconds:.0f}+{time.monotonic() - began - chaos_seconds:.0f}",
        "answered": approver.answered,
    }


def _assert_nothing_lost_or_doubled(
    ctx: AppContext, policies: int, label: str, run: dict[str, Any]
) -> None:
    figures = check_every_effect_once(ctx, policies)
    audit_ok = ctx.audit.verify().ok
    print(
        f"\n{label}: {figures.line()} stops={run['stops']} "
        f"running_at_stop={run['running_at_stop']} unfinished_at_stop={run['unfinished_at_stop']} "
        f"approvals_answered={run['answered']} burst_runs={run['bursts']} "
        f"seconds(chaos+burst)={run['seconds']} audit_ok={audit_ok}"
    )
    assert figures.problems == [], figures.problems[:20]
    assert (figures.lost, figures.duplicated) == (0, 0)
    assert figures.completed + figures.rejected == policies
    assert 0 < figures.rejected < policies  # both endings were exercised
    assert check_policies(ctx, policies) == []
    assert audit_ok


@pytest.mark.slow
def test_kill_9_chaos(ctx: AppContext, data_dir: Path) -> None:
    """500 six-step executions with approvals; the worker SIGKILLed 20 times at random."""
    policies, kills = 500, 20
    seed(ctx, policies)

    def kill(proc: subprocess.Popen[bytes]) -> None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    run = _stop_at_random_moments(
        ctx, data_dir, policies, kills, kill, lambda: start_worker(data_dir), random.Random(9)
    )
    _assert_nothing_lost_or_doubled(ctx, policies, "kill -9 chaos", run)
    assert any(run["running_at_stop"]), "no kill landed while a job was running"


@pytest.mark.slow
def test_sigterm_chaos(ctx: AppContext, data_dir: Path) -> None:
    """The same with SIGTERM: each stop is graceful (exit 0), and nothing is lost."""
    policies, stops = 150, 6
    seed(ctx, policies)

    def terminate(proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, worker_log(data_dir)

    run = _stop_at_random_moments(
        ctx,
        data_dir,
        policies,
        stops,
        terminate,
        lambda: start_worker(data_dir),
        random.Random(15),
        graceful=True,
        pace=0.15,  # changes keep coming across all the restarts, so stops meet queued work
    )
    _assert_nothing_lost_or_doubled(ctx, policies, "SIGTERM chaos", run)
    stopped = zip(run["unfinished_at_stop"], run["aimed"], strict=True)
    met = [left for left, aimed in stopped if aimed]
    busy = sum(1 for left in met if left)
    assert busy >= max(2, len(met) // 2), f"only {busy} of {len(met)} aimed stops met queued work"


def _gui(data_dir: Path) -> subprocess.Popen[bytes]:
    # The window's own worker is the subject (team mode starts none unless asked).
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GOVERNANCE_WINDOW_WORKER": "true"}
    with (data_dir / "logs" / "gui-stderr.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir), "gui"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


@pytest.mark.slow
def test_gui_quit_while_jobs_run(ctx: AppContext, data_dir: Path) -> None:
    """The window (embedded worker) quit by SIGTERM mid-work, twice: it exits 0 each time,
    and a `worker --burst` afterwards finishes everything with nothing lost or doubled."""
    policies, quits = 40, 2
    seed(ctx, policies)

    def quit_gui(proc: subprocess.Popen[bytes]) -> None:
        assert unfinished_jobs(ctx) > 0 or proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        log = (data_dir / "logs" / "gui-stderr.log").read_text(errors="replace")
        assert "Traceback" not in log, log[-2000:]

    run = _stop_at_random_moments(
        ctx,
        data_dir,
        policies,
        quits,
        quit_gui,
        lambda: _gui(data_dir),
        random.Random(4),
        graceful=True,
    )
    _assert_nothing_lost_or_doubled(ctx, policies, "GUI quit", run)


@pytest.mark.slow
def test_killed_status_changer(ctx: AppContext, data_dir: Path) -> None:
    """A process changing statuses in a loop is SIGKILLed 10 times: every change is there
    with all its executions and jobs, or not there at all."""
    codes = seed_status_chaos(ctx, policies=12)
    rng = random.Random(31)
    mid_change = changes = 0
    for n in range(10):
        done, inside = run_changer(data_dir, codes, seed=n, kill_after=rng.uniform(0.1, 0.8))
        changes += done
        mid_change += inside
    runtime = attach_queue(ctx)
    try:
        proc = start_worker(data_dir, "--burst")  # the executions run; lost messages are rebuilt
        assert proc.wait(timeout=240) == 0, worker_log(data_dir)
    finally:
        runtime.close()
    report = check_status_changes(ctx, codes)
    audit_ok = ctx.audit.verify().ok
    print(
        f"\nkilled status changer: kills=10 killed_mid_change={mid_change} "
        f"changes_seen_done={changes} {report.line()} audit_ok={audit_ok}"
    )
    assert report.problems == [], report.problems[:20]
    assert mid_change > 0, "no kill landed in the middle of a change"
    assert report.changes >= changes  # a change reported done is never lost
    assert audit_ok
