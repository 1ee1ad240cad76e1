"""Team-mode soak: three `worker` processes and two workstations on one PostgreSQL + Redis,
workers killed with SIGKILL by PID at random moments; then nothing lost, nothing twice, the
audit chain intact and no error shown to a person.

    . /tmp/ts/env   # tools/team-servers start /tmp/ts
    .venv/bin/python -m bench.team_soak [--seconds 300] [--kills 10] [--drain-timeout 420]

What runs (all real processes, nothing mocked):

- a fresh database ``gd_soak_<pid>`` on the server named by GOVERNANCE_TEST_POSTGRES (an admin
  URL), migrated to head, and a flushed Redis database (``--redis-db``) on
  GOVERNANCE_TEST_REDIS; or, with ``--database-url``/``--queue-url`` (or the
  GOVERNANCE_DATABASE_URL/GOVERNANCE_QUEUE_URL a test sets), those, as they are (empty,
  migrated);
- the chaos data set of tests/reliability/chaos_support.py: alice (officer, owner), bob and
  carol (approvers), ``--policies`` drafts and two six-step workflows on draft → in_review
  (task, notification to two people, assignment, set_status awaiting_approval, approval by
  bob and carol with rule ``all`` or ``any``, a notification when approved);
- ``--workers`` processes of ``python -m governance_desktop worker`` (never ``--burst``);
- ``--workstations`` processes of ``python -m bench.team_soak workstation``: each loops over
  the CLI's own ``main()`` as a person types it: ``approvals list``, ``approvals approve`` /
  ``reject`` as its approver (workstation 0 is bob, 1 is carol) with ``--actor`` and
  ``--password-stdin``, ``policies list`` and ``policies set-status`` (draft → in_review,
  approved → published, signed; published → in_review) on its share of the policies. Each
  command's stderr goes to the workstation's stderr file, as a person would see it; each
  move and answer is written to its journal;
- ``--kills`` times at random moments a random worker is killed with SIGKILL by its PID and
  started again at once.

Then the workstations stop, the harness answers what is still pending (through the same
CLI path, as bob and carol) until no job is unfinished and no approval pending (at most
``--drain-timeout`` seconds: a dead worker's leased jobs come back when its lease is found
dead), the workers get SIGTERM, and the checks run:

- lost: fewer executions than the workstations' successful moves to in_review, an execution
  not final, a job not succeeded, a step effect missing;
- duplicated: more executions than moves, any step row, job, task, notification, approval
  request or audit effect of one step present more than once;
- ``audit verify`` exits 0;
- errors shown to a person: any stderr line of a workstation (or of the drain's answers)
  other than the refusals listed in LEGITIMATE.

Lease recovery: for each kill, the jobs leased by the killed PID and still `running` at the
kill, and the seconds until none of them is still `running` under that owner.

Exit status 0 only when every check passes. The per-execution checks follow
``check_every_effect_once`` in tests/reliability/chaos_support.py (there every policy runs
once; here a policy cycles, so the checks are per execution, and the assignment, a no-op
after the first cycle, may be audited at most once).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GOVERNANCE_SETTINGS_FILE", os.devnull)

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ENV = "GOVERNANCE_TEST_POSTGRES"
REDIS_ENV = "GOVERNANCE_TEST_REDIS"
#: Refusals a person may legitimately meet here (the other approver's answer closed the
#: request first, or met the rule): one line each, no other error line is allowed.
LEGITIMATE = (
    re.compile(r"^error: approval \d+ is already (approved|rejected|cancelled|closed|expired)"),
    re.compile(r"^error: approval \d+ is no longer open \(execution \d+ is \w+\)"),
)
REJECT_COMMENT = "not ready: chaos says no"
FINAL = ("succeeded", "failed", "cancelled")


def _team_env(database_url: str, queue_url: str) -> dict[str, str]:
    return {
        "GOVERNANCE_DATABASE_URL": database_url,
        "GOVERNANCE_QUEUE_URL": queue_url,
        "GOVERNANCE_SETTINGS_FILE": os.devnull,
        "GOVERNANCE_BACKUP_INTERVAL_HOURS": "0",
    }


# --- the CLI, as a person runs it --------------------------------------------------------------


def cli(argv: list[str], password: str | None = None) -> tuple[int, str, str]:
    """Run the CLI's ``main(argv)`` in this process: exit code, stdout, stderr. A password is
    given on stdin (``--password-stdin``), one line per time the command asks."""
    from governance_desktop.cli.entry import main

    out, err = io.StringIO(), io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.StringIO(f"{password}\n" * 3 if password is not None else "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = stdin
    return code, out.getvalue(), err.getvalue()


class Person:
    """One workstation's user: runs CLI commands, shows their stderr, keeps a journal."""

    def __init__(self, data_dir: Path, journal: Path | None) -> None:
        self.data_dir = data_dir
        self.journal = journal.open("a", encoding="utf-8") if journal else None
        self.errors: list[str] = []

    def run(self, argv: list[str], password: str | None = None) -> tuple[int, str]:
        code, out, err = cli(["--data-dir", str(self.data_dir), *argv], password)
        if err:
            sys.stderr.write(err)  # what the person sees
            sys.stderr.flush()
            self.errors.extend(line for line in err.splitlines() if line.strip())
        return code, out

    def note(self, **entry: Any) -> None:
        if self.journal is not None:
            self.journal.write(json.dumps({"t": time.time(), **entry}) + "\n")
            self.journal.flush()

    def answer_pending(self, approvers: tuple[str, ...]) -> int:
        """Answer every pending approval of ``approvers`` (approve, or reject as
        chaos_support.rejects decides for its execution); returns how many were answered."""
        from tests.helpers.identity import PASSWORD
        from tests.reliability.chaos_support import rejects

        code, out = self.run(["approvals", "list", "--status", "pending", "--json"])
        if code != 0:
            return 0
        done = 0
        for row in json.loads(out or "[]"):
            if row["approver"] not in approvers:
                continue
            head = ["--actor", row["approver"], "--password-stdin", "approvals"]
            if rejects(row["execution_id"]):
                argv = [*head, "reject", str(row["id"]), "--comment", REJECT_COMMENT]
            else:
                argv = [*head, "approve", str(row["id"])]
            code, _ = self.run(argv, PASSWORD)
            self.note(answer=row["id"], execution=row["execution_id"], code=code)
            done += code == 0
        return done


# --- a workstation process ---------------------------------------------------------------------

MOVES = {"draft": "in_review", "approved": "published", "published": "in_review"}


def workstation(args: argparse.Namespace) -> int:
    """Loop until SIGTERM (or the stop file): answer this workstation's approvals, move a
    few of its policies one step on. Moves to in_review are journaled: each starts one run."""
    from tests.helpers.identity import PASSWORD
    from tests.reliability.chaos_support import APPROVERS, policy_code

    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    rng = random.Random(f"{args.seed}-{args.index}")
    person = Person(Path(args.data_dir), Path(args.journal))
    approver = APPROVERS[args.index % len(APPROVERS)]
    mine = {policy_code(n) for n in range(args.policies) if n % args.count == args.index}
    while not stopping:
        person.answer_pending((approver,))
        if stopping:
            break
        code, out = person.run(["policies", "list", "--json"])
        if code == 0:
            rows = [r for r in json.loads(out or "[]") if r["code"] in mine]
            movable = [r for r in rows if r["status"] in MOVES]
            for row in rng.sample(movable, min(len(movable), args.moves)):
                if stopping:
                    break
                target = MOVES[row["status"]]
                password = PASSWORD if target == "published" else None
                extra = ["--password-stdin"] if password else []
                code, _ = person.run(
                    [*extra, "policies", "set-status", row["code"], target], password
                )
                person.note(move=row["code"], to=target, code=code)
        time.sleep(rng.uniform(0.05, args.pause))
    return 0


# --- the harness -------------------------------------------------------------------------------


@dataclass
class Kill:
    at: float  # seconds into the run
    pid: int
    leased: list[int]  # jobs marked `running` under the killed PID's lease at the kill
    in_flight: list[int]  # jobs not final at the kill (queued, running, retrying)
    recovered_after: float | None = None  # seconds until all of them were final


@dataclass
class Report:
    seconds: float = 0.0
    kills: list[Kill] = field(default_factory=list)
    moves_to_review: int = 0
    answers: int = 0
    executions: int = 0
    completed: int = 0
    rejected: int = 0
    jobs: int = 0
    lost: int = 0
    duplicated: int = 0
    drain_seconds: float = 0.0
    drained: bool = False
    audit_ok: bool = False
    audit_line: str = ""
    user_errors: list[str] = field(default_factory=list)
    refusals: int = 0
    worker_exits: list[int | None] = field(default_factory=list)
    worker_log_errors: int = 0  # ERROR lines in the workers' logs (for reading, not a check)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and self.lost == 0
            and self.duplicated == 0
            and self.audit_ok
            and not self.user_errors
            and self.drained
        )

    def summary(self) -> str:
        recovered = [
            k.recovered_after for k in self.kills if k.in_flight and k.recovered_after is not None
        ]
        leased = sum(len(k.leased) for k in self.kills)
        in_flight = sum(len(k.in_flight) for k in self.kills)
        unrecovered = sum(1 for k in self.kills if k.recovered_after is None)
        lease = (
            f"all final after max {max(recovered):.1f} s, median "
            f"{statistics.median(recovered):.1f} s"
            if recovered
            else "no kill"
        )
        lines = [
            f"team soak: {self.seconds:.0f} s, {len(self.kills)} kill -9 of workers "
            f"(PIDs {', '.join(str(k.pid) for k in self.kills)})",
            f"  workstations: {self.moves_to_review} moves to in_review, {self.answers} answers, "
            f"{self.refusals} legitimate refusals shown",
            f"  executions={self.executions} completed={self.completed} "
            f"rejected={self.rejected} jobs={self.jobs} lost={self.lost} "
            f"duplicated={self.duplicated}",
            f"  lease recovery: {in_flight} jobs in flight at the kills ({leased} marked "
            f"running by the killed PID); {lease}"
            + (f"; {unrecovered} kill(s) not recovered" if unrecovered else ""),
            f"  drain: {'done' if self.drained else 'NOT done'} in {self.drain_seconds:.1f} s; "
            f"workers' exit codes {self.worker_exits}; {self.worker_log_errors} ERROR lines "
            "in their logs (see the folder below)",
            f"  audit verify: {'ok' if self.audit_ok else 'FAILED'} ({self.audit_line})",
            f"  errors shown to a user: {len(self.user_errors)}",
        ]
        lines += [f"    {line}" for line in self.user_errors[:10]]
        lines += [f"  problem: {p}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  … {len(self.problems) - 20} more problems")
        lines.append(f"RESULT: {'PASS' if self.ok else 'FAIL'}")
        return "\n".join(lines)


@contextlib.contextmanager
def fresh_servers(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """The database and queue URLs the soak runs on; a database it made is dropped after
    (unless --keep)."""
    if args.database_url and args.queue_url:
        yield args.database_url, args.queue_url
        return
    admin_url, redis_url = os.environ.get(POSTGRES_ENV), os.environ.get(REDIS_ENV)
    if not admin_url or not redis_url:
        raise SystemExit(
            f"team_soak: set {POSTGRES_ENV} and {REDIS_ENV} (tools/team-servers start DIR; "
            ". DIR/env), or pass --database-url and --queue-url"
        )
    import redis
    from sqlalchemy import create_engine, text

    from governance_desktop.store.db import Database
    from governance_desktop.store.migrate import upgrade_to_head

    name = f"gd_soak_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    database_url = f"{admin_url.rpartition('/')[0]}/{name}"
    queue_url = f"{redis_url.rstrip('/')}/{args.redis_db}"
    client = redis.Redis.from_url(queue_url)
    client.flushdb()
    client.close()
    db = Database(database_url)
    try:
        with tempfile.TemporaryDirectory() as folder:
            upgrade_to_head(db, Path(folder))
    finally:
        db.dispose()
    try:
        yield database_url, queue_url
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


class Workers:
    """The worker processes, each with a data folder of its own (as on separate servers)."""

    def __init__(self, base: Path, env: dict[str, str], count: int, threads: int) -> None:
        self.base, self.env, self.threads = base, env, threads
        self.procs: list[subprocess.Popen[bytes]] = []
        self.folders: dict[int, Path] = {}  # by PID
        self.started = 0
        for _ in range(count):
            self.procs.append(self._start())

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        folder = self.base / f"worker-{self.started}"
        (folder / "logs").mkdir(parents=True, exist_ok=True)
        with (folder / "logs" / "worker-stderr.log").open("ab") as log:
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "governance_desktop", "--data-dir", str(folder)),
                    *("worker", "--workers", str(self.threads)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=self.env,
                cwd=ROOT,
            )
        self.folders[proc.pid] = folder
        return proc

    def wait_started(self, index: int, timeout: float = 60.0) -> bool:
        """Whether worker ``index``'s Huey consumer has logged its start (within
        ``timeout``): a kill is of a working consumer, not of a process still importing."""
        proc = self.procs[index]
        log = self.folders[proc.pid] / "logs" / "governance.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and f"PID {proc.pid} at" in log.read_text(errors="replace"):
                return True
            time.sleep(0.05)
        return False

    def kill(self, index: int) -> None:
        """SIGKILL worker ``index`` by its PID and start another in its place."""
        proc = self.procs[index]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        self.procs[index] = self._start()

    def stop(self, timeout: float = 60.0) -> list[int | None]:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(timeout=timeout))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                codes.append(None)
        return codes

    def stderr(self) -> str:
        return "".join(
            p.read_text(errors="replace") for p in sorted(self.base.glob("worker-*/logs/*.log"))
        )


def _leased_by(ctx: Any, pid: int) -> list[int]:
    from sqlalchemy import select

    from governance_desktop.store.models import Job

    with ctx.db.reading() as session:
        return list(
            session.scalars(
                select(Job.id).where(Job.state == "running", Job.lease_owner.like(f"%:{pid}:%"))
            )
        )


def _in_flight(ctx: Any) -> list[int]:
    from sqlalchemy import select

    from governance_desktop.store.models import Job

    with ctx.db.reading() as session:
        return list(session.scalars(select(Job.id).where(Job.state.not_in(FINAL))))


def _still_in_flight(ctx: Any, kill: Kill) -> bool:
    from sqlalchemy import func, select

    from governance_desktop.store.models import Job

    with ctx.db.reading() as session:
        left = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.id.in_(kill.in_flight), Job.state.not_in(FINAL))
        )
    return bool(left)


def _unfinished(ctx: Any) -> tuple[int, int]:
    """Jobs not final, approvals pending."""
    from sqlalchemy import func, select

    from governance_desktop.store.models import Job, WorkflowApproval

    with ctx.db.reading() as session:
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.state.not_in(FINAL)))
        pending = session.scalar(
            select(func.count())
            .select_from(WorkflowApproval)
            .where(WorkflowApproval.status == "pending")
        )
    return int(jobs or 0), int(pending or 0)


def check_each_execution(ctx: Any, expected: int, report: Report) -> None:
    """Per execution, as chaos_support.check_every_effect_once: final as decided, each
    step's row, job, task, notifications, approval requests and audit effects exactly once."""
    from tests.reliability.chaos_support import (
        APPROVAL_STEP,
        APPROVED_STEP,
        read_effects,
        rejects,
    )

    with ctx.db.reading() as session:
        found = read_effects(session)
    executions, notes, tasks = found.executions, found.notes, found.tasks
    job_states, by_execution = found.job_states, found.audited
    problems = report.problems
    report.executions = len(executions)
    report.jobs = sum(job_states.values())
    if len(executions) < expected:
        report.lost += expected - len(executions)
        problems.append(f"{len(executions)} executions for {expected} moves to in_review")
    elif len(executions) > expected:
        report.duplicated += len(executions) - expected
        problems.append(f"{len(executions)} executions for {expected} moves to in_review")
    for ex in executions.values():
        rejected = rejects(ex.id)
        want_status = "rejected" if rejected else "completed"
        if ex.status != want_status:
            problems.append(f"execution {ex.id} is {ex.status}, expected {want_status}")
            report.lost += 1
            continue
        for label, (counter, keys, each) in found.expected_rows(ex.id, rejected).items():
            for key in keys:
                if counter[key] != each:
                    problems.append(f"{label} {key}: {counter[key]}, expected {each}")
                    report.duplicated += counter[key] > each
                    report.lost += counter[key] < each
        effects = {
            "approval.requested": (1, 1),
            # to awaiting_approval, then approved by the rule met (or back to draft)
            "policy.status_changed": (2, 2),
            "execution.rejected": (int(rejected), int(rejected)),
            # the assignment: audited when it changes something (the first cycle only)
            "policy.updated": (0, 1),
        }
        for action, (low, high) in effects.items():
            got = by_execution[(action, ex.id)]
            if not low <= got <= high:
                problems.append(f"{action} by execution {ex.id}: {got}, expected {low}–{high}")
                report.duplicated += got > high
                report.lost += got < low
    wanted_notes = {
        ex.id: {1, APPROVAL_STEP if rejects(ex.id) else APPROVED_STEP} for ex in executions.values()
    }
    strays = [k for k in notes if k[0] not in wanted_notes or k[1] not in wanted_notes[k[0]]]
    strays += [k for k in tasks if k[0] not in executions]
    if strays:
        report.duplicated += len(strays)
        problems.append(f"effects of no step that makes them: {strays[:5]}")
    if set(job_states) - {"succeeded"}:
        problems.append(f"job states {dict(job_states)}")
        report.lost += sum(n for s, n in job_states.items() if s != "succeeded")
    report.completed = sum(e.status == "completed" for e in executions.values())
    report.rejected = sum(e.status == "rejected" for e in executions.values())


def _journal(paths: list[Path]) -> list[dict[str, Any]]:
    entries = []
    for path in paths:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entries.append(json.loads(line))
    return entries


def _classify(lines: list[str], report: Report) -> None:
    for line in lines:
        if any(p.match(line) for p in LEGITIMATE):
            report.refusals += 1
        else:
            report.user_errors.append(line)


def soak(args: argparse.Namespace) -> Report:
    from governance_desktop.app import open_app
    from governance_desktop.config import load_settings
    from tests.reliability.chaos_support import APPROVERS, seed

    report = Report()
    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="gd-team-soak-")) if args.dir is None else args.dir
    base.mkdir(parents=True, exist_ok=True)
    with fresh_servers(args) as (database_url, queue_url):
        env = {**os.environ, **_team_env(database_url, queue_url)}
        os.environ.update(_team_env(database_url, queue_url))
        harness_dir = base / "harness"
        ctx = open_app(load_settings(data_dir=harness_dir))
        workers: Workers | None = None
        stations: list[subprocess.Popen[bytes]] = []
        try:
            seed(ctx, args.policies)
            workers = Workers(base, env, args.workers, args.threads)
            journals = [base / f"workstation-{i}.journal" for i in range(args.workstations)]
            for i in range(args.workstations):
                folder = base / f"workstation-{i}"
                (folder / "logs").mkdir(parents=True, exist_ok=True)
                with (base / f"workstation-{i}.stderr").open("ab") as err:
                    stations.append(
                        subprocess.Popen(
                            [
                                *(sys.executable, "-m", "bench.team_soak", "workstation"),
                                *("--index", str(i), "--count", str(args.workstations)),
                                *("--policies", str(args.policies), "--data-dir", str(folder)),
                                *("--journal", str(journals[i]), "--seed", str(args.seed)),
                                *("--moves", str(args.moves), "--pause", str(args.pause)),
                            ],
                            stdout=subprocess.DEVNULL,
                            stderr=err,
                            env=env,
                            cwd=ROOT,
                        )
                    )
            start = time.monotonic()
            moments = sorted(rng.uniform(0.1, 0.9) * args.seconds for _ in range(args.kills))
            pending: list[Kill] = []
            while (now := time.monotonic() - start) < args.seconds:
                if moments and now >= moments[0]:
                    moments.pop(0)
                    index = rng.randrange(len(workers.procs))
                    if not workers.wait_started(index):
                        report.problems.append(f"worker {workers.procs[index].pid} never started")
                    # mid-work, not while idle: wait (a little) for jobs in flight
                    busy_until = time.monotonic() + 10
                    while not _in_flight(ctx) and time.monotonic() < busy_until:
                        time.sleep(0.02)
                    victim = workers.procs[index].pid
                    leased, in_flight = _leased_by(ctx, victim), _in_flight(ctx)
                    workers.kill(index)
                    now = time.monotonic() - start
                    kill = Kill(at=now, pid=victim, leased=leased, in_flight=in_flight)
                    report.kills.append(kill)
                    pending.append(kill)
                    print(
                        f"  {now:6.1f} s: kill -9 {victim} ({len(in_flight)} jobs in flight, "
                        f"{len(leased)} marked running by it)",
                        flush=True,
                    )
                pending = _track_leases(ctx, pending, start)
                for proc in stations:
                    if proc.poll() is not None:
                        report.problems.append(f"workstation {proc.pid} ended: {proc.returncode}")
                if any(proc.poll() is not None for proc in stations):
                    break
                time.sleep(0.25)
            report.seconds = time.monotonic() - start
            for proc in stations:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in stations:
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    report.problems.append(f"workstation {proc.pid} did not stop on SIGTERM")
            # drain: answer what is pending (as the approvers, the CLI way) until all is done
            drain_start = time.monotonic()
            finisher = Person(harness_dir, base / "drain.journal")
            with contextlib.redirect_stderr(io.StringIO()):
                while time.monotonic() - drain_start < args.drain_timeout:
                    pending = _track_leases(ctx, pending, start)
                    jobs_left, approvals_left = _unfinished(ctx)
                    if not jobs_left and not approvals_left:
                        report.drained = True
                        break
                    if approvals_left:
                        finisher.answer_pending(APPROVERS)
                    time.sleep(0.5)
            report.drain_seconds = time.monotonic() - drain_start
            pending = _track_leases(ctx, pending, start)
            report.worker_exits = workers.stop()
            report.worker_log_errors = sum(
                line.count(" ERROR ")
                for log in base.glob("worker-*/logs/governance.log*")
                for line in log.read_text(errors="replace").splitlines()
            )
            workers = None
            entries = _journal([*journals, base / "drain.journal"])
            report.moves_to_review = sum(
                1 for e in entries if e.get("to") == "in_review" and e["code"] == 0
            )
            report.answers = sum(1 for e in entries if "answer" in e and e["code"] == 0)
            lines: list[str] = list(finisher.errors)
            for i in range(args.workstations):
                text = (base / f"workstation-{i}.stderr").read_text(errors="replace")
                lines += [line for line in text.splitlines() if line.strip()]
            _classify(lines, report)
            check_each_execution(ctx, report.moves_to_review, report)
            code, out, err = cli(["--data-dir", str(harness_dir), "audit", "verify"])
            report.audit_ok = code == 0
            report.audit_line = (out.strip().splitlines() or err.strip().splitlines() or [""])[-1][
                :200
            ]
            if any(code != 0 for code in report.worker_exits):
                report.problems.append(f"worker exit codes {report.worker_exits}")
        finally:
            for proc in stations:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if workers is not None:
                for proc in workers.procs:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
            ctx.close()
    print(f"  logs and journals in {base}", flush=True)
    return report


def _track_leases(ctx: Any, pending: list[Kill], start: float) -> list[Kill]:
    """The kills whose in-flight jobs are not all final yet; the others get their time."""
    left = []
    for kill in pending:
        if kill.in_flight and _still_in_flight(ctx, kill):
            left.append(kill)
        else:
            kill.recovered_after = time.monotonic() - start - kill.at
    return left


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.team_soak", description=__doc__.split("\n")[0]
    )
    sub = p.add_subparsers(dest="mode")
    p.add_argument("--seconds", type=float, default=300.0, help="run phase (default 300)")
    p.add_argument("--kills", type=int, default=10, help="kill -9 of a worker (default 10)")
    p.add_argument("--workers", type=int, default=3, help="worker processes (default 3)")
    p.add_argument("--threads", type=int, default=2, help="threads per worker (default 2)")
    p.add_argument("--workstations", type=int, default=2, help="workstation processes")
    p.add_argument("--policies", type=int, default=40, help="policies (default 40)")
    p.add_argument("--moves", type=int, default=2, help="moves per workstation loop")
    p.add_argument("--pause", type=float, default=0.5, help="max pause between loops, s")
    p.add_argument(
        "--drain-timeout",
        type=float,
        default=420.0,
        help="how long the drain may take, s (a dead worker's lease: 300 s before issue 18)",
    )
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--redis-db", type=int, default=63, help="Redis database to flush and use")
    p.add_argument("--database-url", help="an empty migrated database (default: make one)")
    p.add_argument("--queue-url", help="its Redis queue URL")
    p.add_argument("--dir", type=Path, help="folder for data dirs, logs, journals")
    p.add_argument("--keep", action="store_true", help="keep the database made for the run")
    ws = sub.add_parser("workstation", help="(internal) one workstation's CLI loop")
    ws.add_argument("--index", type=int, required=True)
    ws.add_argument("--count", type=int, required=True)
    ws.add_argument("--policies", type=int, required=True)
    ws.add_argument("--data-dir", required=True)
    ws.add_argument("--journal", required=True)
    ws.add_argument("--seed", type=int, default=18)
    ws.add_argument("--moves", type=int, default=2)
    ws.add_argument("--pause", type=float, default=0.5)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.mode == "workstation":
        return workstation(args)
    report = soak(args)
    print(report.summary(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
