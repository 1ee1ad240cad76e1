"""Every command × every role, through the real CLI: what docs/authority.md's matrix allows runs
(exit 0), what it does not is refused with one line naming the rule, and changes nothing.

Each role gets its own data folder with the same register: users of every role, a policy to
edit, one awaiting approval (Standard approval), one to reject, one published with a working
revision, a failed run, an open run of the acting officer's and a delegation of bea's.
Every user has PASSWORD (tests/helpers/identity.py): acting as another user and signing need
it, given on stdin with `--password-stdin`. The approver is bea, not bob: `demo` adds its own
approver bob with an initial password it chose, and signs as him.
`gui` and `worker` are not acts of a person (the worker runs workflows with the authority of
the workflows an admin published) and are not in the matrix.
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from governance_desktop.app import AppContext, open_app
from governance_desktop.cli import main
from governance_desktop.config import load_settings
from governance_desktop.domain.authority import Permission, allows
from governance_desktop.domain.enums import ApprovalStatus, JobState, Role
from governance_desktop.services.workflows import DefinitionSource
from tests.helpers.actors import ME
from tests.helpers.identity import PASSWORD, credential, signer
from tests.helpers.rawdb import raw_db
from tests.helpers.workflows import drain

ACTING = {Role.OFFICER: "olga", Role.APPROVER: "bea", Role.ADMIN: ME, Role.AUDITOR: "erin"}
P = Permission


@dataclass(frozen=True)
class Register:
    """The ids a command needs, as made by `_register`."""

    approve_id: int  # bea's pending row on P-APPROVE
    carol_approve_id: int  # carol's pending row on P-APPROVE (the admin answers it)
    reject_id: int  # bea's pending row on P-REJECT
    dave_reject_id: int  # dave's row on P-REJECT
    failed_job: int  # its run failed: `jobs retry` re-runs it
    failed_execution: int  # another failed run: `executions skip-step` goes past its step
    officer_execution: int  # olga's queued run
    delegation: int  # bea → carol
    export: Path


def _definition(name: str, actions: list[dict[str, object]]) -> DefinitionSource:
    data = {"schema_version": 1, "name": name, "trigger": {"type": "manual"}, "actions": actions}
    return DefinitionSource(f"{name}.json", text=json.dumps(data).encode())


def _register(ctx: AppContext, tmp: Path) -> Register:
    people = (
        ("olga", Role.OFFICER),
        ("bea", Role.APPROVER),
        ("carol", Role.APPROVER),
        ("dave", Role.APPROVER),
        ("erin", Role.AUDITOR),
        ("t-role", Role.OFFICER),
        ("t-gone", Role.OFFICER),
        ("t-late", Role.OFFICER),
    )
    for name, role in people:
        ctx.users.add(ME, name, name.title(), role)
    for code in ("P-EDIT", "P-APPROVE", "P-REJECT", "P-PUB"):
        ctx.policies.add("olga", code, f"{code} policy", body="Every officer shall comply.")
    for code in ("P-APPROVE", "P-REJECT", "P-PUB"):
        ctx.policies.change_status("olga", code, "in_review")
        ctx.policies.change_status("olga", code, "awaiting_approval")
    pending = ctx.approvals.list(status=ApprovalStatus.PENDING)

    def row(code: str, who: str) -> int:
        return next(a.id for a in pending if a.policy == code and a.approver == who)

    ctx.approvals.approve(row("P-PUB", "carol"), "carol", signer=signer(ctx, "carol"))
    ctx.policies.change_status("olga", "P-PUB", "published", signer=signer(ctx, "olga"))
    ctx.policies.update("olga", "P-PUB", body="Every officer and contractor shall comply.")
    ctx.workflows.import_definitions(
        ME,
        [
            _definition("Note", [{"type": "notify", "users": ["olga"], "title": "hello"}]),
            _definition("Assign", [{"type": "assign", "user": "t-late"}]),
        ],
        signer=signer(ctx, ME),
    )
    ctx.users.deactivate(ME, "t-late", "olga", signer=signer(ctx, ME))
    for name, _role in people:
        if name != "t-late":
            credential(ctx, name)
    for _ in range(2):
        ctx.starter.queue_workflow_execution("Assign", "P-EDIT", ME)
    drain(ctx)
    failed, other = sorted(ctx.monitor.jobs(state=JobState.FAILED), key=lambda j: j.id)
    ctx.starter.queue_workflow_execution("Note", "P-EDIT", "olga")
    officer_run = max(e.id for e in ctx.monitor.executions() if e.status == "queued")
    today = date.today()
    delegation = ctx.delegations.delegate("bea", "carol", today, today + timedelta(days=3))
    export = tmp / "trail.csv"
    ctx.audit.export_csv(export, ctx.protected, actor=ME)
    return Register(
        approve_id=row("P-APPROVE", "bea"),
        carol_approve_id=row("P-APPROVE", "carol"),
        reject_id=row("P-REJECT", "bea"),
        dave_reject_id=row("P-REJECT", "dave"),
        failed_job=failed.id,
        failed_execution=other.execution_id or 0,
        officer_execution=officer_run,
        delegation=delegation.id,
        export=export,
    )


Command = Callable[[Role, Register, Path], list[str]]


def _answer(verb: str) -> Command:
    def argv(role: Role, reg: Register, tmp: Path) -> list[str]:
        if role is Role.ADMIN:  # for another approver: needs a reason
            row = reg.carol_approve_id if verb == "approve" else reg.dave_reject_id
            return ["approvals", verb, str(row), "--comment", "checked", "--reason", "on leave"]
        row = reg.approve_id if verb == "approve" else reg.reject_id
        return ["approvals", verb, str(row), "--comment", "checked"]

    return argv


def _fixed(*args: str) -> Command:
    return lambda role, reg, tmp: list(args)


REVIEW = "in_review"
LATER = (date.today() + timedelta(days=5)).isoformat()

#: (command, the act it needs, its arguments for a role). Read-only commands first, then the
#: ones that change things, `restore` last (it replaces the whole database).
COMMANDS: list[tuple[str, Permission | None, Command]] = [
    ("check", P.READ, _fixed("check")),
    ("users list", P.READ, _fixed("users", "list")),
    ("policies list", P.READ, _fixed("policies", "list")),
    ("policies show", P.READ, _fixed("policies", "show", "P-PUB", "--json")),
    ("policies versions", P.READ, _fixed("policies", "versions", "P-PUB")),
    ("policies diff", P.READ, _fixed("policies", "diff", "P-PUB")),
    ("workflows list", P.READ, _fixed("workflows", "list")),
    ("workflows export", P.READ, _fixed("workflows", "export", "Note")),
    ("workflows schema", P.READ, _fixed("workflows", "schema")),
    ("approvals list", P.READ, _fixed("approvals", "list")),
    ("approvals show", P.READ, lambda r, reg, t: ["approvals", "show", str(reg.approve_id)]),
    ("approvals delegations", P.READ, _fixed("approvals", "delegations")),
    ("executions list", P.READ, _fixed("executions", "list")),
    (
        "executions show",
        P.READ,
        lambda r, reg, t: ["executions", "show", str(reg.failed_execution)],
    ),
    ("jobs list", P.READ, _fixed("jobs", "list")),
    ("tasks list", P.READ, _fixed("tasks", "list")),
    ("notifications list", P.READ, _fixed("notifications", "list")),
    ("audit verify", P.VERIFY_AUDIT, _fixed("audit", "verify")),
    (
        "audit verify-export",
        P.VERIFY_AUDIT,
        lambda r, reg, t: ["audit", "verify-export", str(reg.export)],
    ),
    ("audit export", P.EXPORT, lambda r, reg, t: ["audit", "export", str(t / f"{r}.csv")]),
    (
        "evidence export",
        P.EXPORT,
        lambda r, reg, t: ["evidence", "export", "P-PUB", "--output", str(t / f"{r}.pdf")],
    ),
    (
        "policies add",
        P.AUTHOR_POLICIES,
        lambda r, reg, t: ["policies", "add", f"NEW-{r}", "--title", "New"],
    ),
    ("policies edit", P.AUTHOR_POLICIES, _fixed("policies", "edit", "P-EDIT", "--title", "T2")),
    (
        "policies set-status",
        P.MOVE_POLICIES,
        _fixed("policies", "set-status", "P-EDIT", "in_review"),
    ),
    ("workflows run", P.RUN_WORKFLOWS, _fixed("workflows", "run", "Note", "--entity", "P-EDIT")),
    ("approvals approve", P.ANSWER_APPROVALS, _answer("approve")),
    ("approvals reject", P.ANSWER_APPROVALS, _answer("reject")),
    (
        "approvals delegate",
        P.DELEGATE_APPROVALS,
        _fixed("approvals", "delegate", "--to", "dave", "--from", LATER, "--until", LATER),
    ),
    (
        "approvals revoke-delegation",
        P.DELEGATE_APPROVALS,
        lambda r, reg, t: ["approvals", "revoke-delegation", str(reg.delegation)],
    ),
    ("approvals escalate", P.MANAGE_EXECUTIONS, _fixed("approvals", "escalate")),
    (
        "executions cancel",
        P.CANCEL_OWN_EXECUTIONS,
        lambda r, reg, t: ["executions", "cancel", str(reg.officer_execution), "--reason", "x"],
    ),
    (
        "executions skip-step",
        P.MANAGE_EXECUTIONS,
        lambda r, reg, t: ["executions", "skip-step", str(reg.failed_execution), "--reason", "x"],
    ),
    ("jobs retry", P.CONTROL_JOBS, lambda r, reg, t: ["jobs", "retry", str(reg.failed_job)]),
    ("users add", P.MANAGE_USERS, _fixed("users", "add", "newcomer", "--role", "officer")),
    ("users set-role", P.MANAGE_USERS, _fixed("users", "set-role", "t-role", "approver")),
    (
        "users deactivate",
        P.MANAGE_USERS,
        _fixed("users", "deactivate", "t-gone", "--reassign-to", "olga"),
    ),
    # one's own password (current, then new: PASSWORD again) is no act of the matrix
    ("users set-password (own)", None, lambda r, reg, t: ["users", "set-password", ACTING[r]]),
    ("users set-password (other)", P.MANAGE_USERS, _fixed("users", "set-password", "t-role")),
    ("users unlock", P.MANAGE_USERS, _fixed("users", "unlock", "t-role")),
    ("workflows disable", P.MANAGE_WORKFLOWS, _fixed("workflows", "disable", "Note")),
    ("workflows enable", P.MANAGE_WORKFLOWS, _fixed("workflows", "enable", "Note")),
    (
        "workflows import",
        P.MANAGE_WORKFLOWS,
        lambda r, reg, t: ["workflows", "import", str(t / "w.json")],
    ),
    ("backup", P.SETTINGS, lambda r, reg, t: ["backup", str(t / f"backup-{r}.db")]),
    ("demo", P.SETTINGS, _fixed("demo")),
    ("restore", P.RESTORE, lambda r, reg, t: ["restore", str(t / "backup-admin.db")]),
]

#: Acts the officer may do only to what is theirs: their own run is the one they cancel.
OWN_ONLY = {"executions cancel"}
#: `evidence export` writes its PDF with Qt: walked only where PySide6 is installed.
QT = importlib.util.find_spec("PySide6") is not None
NEEDS_QT = {"evidence export"}
#: Commands that copy the SQLite file (team mode uses pg_dump; tests/cli/test_restore_signed.py).
SQLITE_FILE_COMMANDS = {"backup", "restore"}


def test_every_act_the_matrix_names_has_a_command() -> None:
    """No act of docs/authority.md is left without a command in this walk (answering for a
    named approver is the admin's cell of approve/reject; completing one's own tasks and
    answering a delegated request are tested through the window and the services)."""
    walked = {permission for _name, permission, _argv in COMMANDS if permission is not None}
    not_here = {P.ANSWER_ON_BEHALF, P.ANSWER_OWN_TASKS}
    assert walked | not_here == set(Permission)


def _allowed(role: Role, permission: Permission | None) -> bool:
    """None: an act on oneself that every role may do."""
    return permission is None or allows(role, permission)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_every_command_as_every_role(
    role: Role,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    backend: str,
) -> None:
    """Allowed: exit 0. Refused: exit 1, one line `error: … (rule: role)`, nothing changed
    (the trail gains only the actor's sign-in)."""
    if QT and importlib.util.find_spec("pytestqt") is not None:
        # the test's QApplication first: the PDF renderer would make a bare QGuiApplication
        # that later GUI tests in this process cannot use
        request.getfixturevalue("qapp")
    walk = [c for c in COMMANDS if QT or c[0] not in NEEDS_QT]
    team = backend == "team"
    if team:  # a server database is backed up and restored with its own tools (pg_dump)
        walk = [c for c in walk if c[0] not in SQLITE_FILE_COMMANDS]
    data_dir = tmp_path / "data"
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        reg = _register(ctx, tmp_path)
    finally:
        ctx.close()
    (tmp_path / "w.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "name": "Imported",
                "trigger": {"type": "manual"},
                "actions": [{"type": "notify", "users": ["olga"], "title": "hi"}],
            }
        )
    )
    if role is not Role.ADMIN and not team:  # the admin's own backup is made by the admin's cell
        assert main(["--data-dir", str(data_dir), "backup", str(tmp_path / "backup-admin.db")]) == 0
    actor = ACTING[role]
    outcomes: dict[str, str] = {}
    for name, permission, argv in walk:
        capsys.readouterr()
        before = _trail_length(data_dir) if not _allowed(role, permission) else None
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{PASSWORD}\n"))
        try:
            options = ["--data-dir", str(data_dir), "--actor", actor, "--password-stdin"]
            code = main([*options, *argv(role, reg, tmp_path)])
        except SystemExit as exc:
            code = int(exc.code or 0)
        err = capsys.readouterr().err
        if _allowed(role, permission):
            outcomes[name] = "ok" if code == 0 else f"exit {code}: {err.strip()}"
        else:
            lines = err.strip().splitlines()
            refused = code == 1 and len(lines) == 1 and "(rule: role)" in lines[0]
            unchanged = _trail_length(data_dir) == before
            outcomes[name] = "refused" if refused and unchanged else f"exit {code}: {err.strip()}"
    expected = {
        name: "ok" if _allowed(role, permission) else "refused" for name, permission, _argv in walk
    }
    assert outcomes == expected


def _trail_length(data_dir: Path) -> int:
    """Events other than sign-ins (acting as someone else signs them in: audited)."""
    with raw_db(data_dir) as conn:
        query = "SELECT count(*) FROM audit_events WHERE action NOT LIKE 'auth.%'"
        return int(conn.execute(query).fetchone()[0])
