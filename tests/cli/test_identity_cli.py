"""Identity from the command line: acting as another user needs their password, signed acts
need the signer's, passwords are set, reset, locked out and unlocked, and never printed or
logged (issue 16). `raw` runs the CLI as a script without `--password-stdin` and without a
terminal; `cli` passes `--password-stdin` (tests/conftest.py)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from governance_desktop.app import AppContext, open_app
from governance_desktop.cli import main
from governance_desktop.config import load_settings
from governance_desktop.domain.enums import ApprovalStatus
from governance_desktop.services.workflows import DefinitionSource
from tests.conftest import CliResult
from tests.helpers.actors import ME
from tests.helpers.authority import walk_to
from tests.helpers.identity import INITIAL, PASSWORD, credential, signer
from tests.helpers.rawdb import database_bytes, raw_db
from tests.helpers.workflows import drain

#: Two of the three board members approve (the issue's "2 of 3").
BOARD = {
    "schema_version": 1,
    "name": "Board approval",
    "trigger": {"type": "on_status_change", "to_status": "awaiting_approval"},
    "actions": [
        {"type": "approval", "approvers": ["bob", "carol", "dave"], "rule": {"at_least": 2}},
        {"type": "set_status", "status": "approved"},
    ],
}
PEOPLE = (
    ("alice", "Alice Martin", "officer"),
    ("bob", "Bob Chen", "approver"),
    ("carol", "Carol Diaz", "approver"),
    ("dave", "Dave Okafor", "approver"),
)
NEW = "Fresh-Passw0rd!2"


def _open(data_dir: Path) -> AppContext:
    return open_app(load_settings(data_dir=data_dir))


@pytest.fixture
def board(data_dir: Path) -> dict[str, int]:
    """alice (officer), bob, carol, dave (approvers), each with PASSWORD; ME put POL-1 up for
    the board's approval; returns each board member's pending approval id."""
    ctx = _open(data_dir)
    try:
        for username, name, role in PEOPLE:
            ctx.users.add(ME, username, name, role, initial_password=INITIAL)
            credential(ctx, username)
        source = DefinitionSource("board.json", data=BOARD)
        ctx.workflows.import_definitions(ME, [source], signer=signer(ctx, ME))
        ctx.policies.add(ME, "POL-1", "Access control", body="Every account has an owner.")
        ctx.policies.change_status(ME, "POL-1", "in_review")
        ctx.policies.change_status(ME, "POL-1", "awaiting_approval")
        drain(ctx)
        pending = ctx.approvals.list(status=ApprovalStatus.PENDING)
        return {a.approver: a.id for a in pending if a.workflow == "Board approval"}
    finally:
        ctx.close()


@pytest.fixture
def raw(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """The CLI as a script runs it, stdin not a terminal: with ``stdin``, `--password-stdin`
    reads it; without, no password at all. (Unlike `cli`, it gives no user PASSWORD.)"""

    def run(*args: str, stdin: str | None = None) -> CliResult:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
        capsys.readouterr()
        given = [] if stdin is None else ["--password-stdin"]
        code = main(["--data-dir", str(data_dir), *given, *args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def _one_line(result: CliResult, rule: str) -> str:
    """The refusal: exit 1, one `error:` line naming ``rule``."""
    assert result.code == 1, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert f"(rule: {rule})" in lines[0], lines[0]
    return lines[0]


def _trail(data_dir: Path) -> int:
    with raw_db(data_dir) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])


def _events(data_dir: Path, action: str, who: str) -> int:
    with raw_db(data_dir) as conn:
        query = "SELECT count(*) FROM audit_events WHERE action = ? AND entity_id = ?"
        return int(conn.execute(query, (action, who)).fetchone()[0])


def _status(cli: Any, approval_id: int) -> str:
    return str(cli("approvals", "show", str(approval_id), "--json").json()["status"])


# --- acting as someone else ---------------------------------------------------------------


def test_acting_as_another_user_without_their_password_is_refused(  # type: ignore[no-untyped-def]
    board: dict[str, int], raw, cli, data_dir: Path
) -> None:
    """`--actor bob approvals approve N` with no password (no terminal, no --password-stdin):
    one line (rule: identity), exit 1, the trail and the approval unchanged."""
    before = _trail(data_dir)
    line = _one_line(raw("--actor", "bob", "approvals", "approve", str(board["bob"])), "identity")
    assert "bob" in line
    assert _trail(data_dir) == before
    assert _status(cli, board["bob"]) == "pending"


def test_a_wrong_password_is_refused_and_counted(  # type: ignore[no-untyped-def]
    board: dict[str, int], cli, data_dir: Path
) -> None:
    """A wrong password for `--actor bob`: refused (rule: identity), the failure audited and
    counted towards the lockout, the approval still pending."""
    result = cli("approvals", "approve", str(board["bob"]), actor="bob", stdin="not-his-1\n")
    assert "4 attempt(s) left" in _one_line(result, "identity")
    assert _events(data_dir, "auth.failed", "bob") == 1
    with raw_db(data_dir) as conn:
        query = "SELECT failed_attempts FROM users WHERE username = 'bob'"
        assert conn.execute(query).fetchone()[0] == 1
    assert _status(cli, board["bob"]) == "pending"


def test_one_account_cannot_meet_two_of_three_alone(  # type: ignore[no-untyped-def]
    board: dict[str, int], raw, cli, data_dir: Path
) -> None:
    """The issue's story: the OS account that moved the policy is refused its own approval,
    then cannot approve `--actor carol` and `--actor dave` without their passwords; carol and
    dave themselves can, and then the policy is approved."""
    own = cli("approvals", "approve", str(board["bob"]), "--reason", "board is away")
    assert "segregation of duties" in own.err and own.code == 1
    for member in ("carol", "dave"):
        _one_line(raw("--actor", member, "approvals", "approve", str(board[member])), "identity")
    assert {_status(cli, board[m]) for m in ("bob", "carol", "dave")} == {"pending"}
    assert cli("policies", "show", "POL-1", "--json").json()["status"] == "awaiting_approval"
    for member in ("carol", "dave"):  # the people themselves, with their passwords
        answer = cli("approvals", "approve", str(board[member]), actor=member)
        assert answer.code == 0, answer.err
    assert cli("worker", "--burst").code == 0
    assert cli("policies", "show", "POL-1", "--json").json()["status"] == "approved"


def test_the_os_user_reads_and_edits_without_a_password(raw, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Acting as the OS account's own user: reading and ordinary edits need no password."""
    for args in (
        ("policies", "add", "POL-7", "--title", "Travel"),
        ("policies", "edit", "POL-7", "--title", "Travel and expenses"),
        ("policies", "set-status", "POL-7", "in_review"),
        ("policies", "list"),
        ("approvals", "list"),
        ("users", "list"),
        ("audit", "verify"),
    ):
        result = raw(*args)
        assert result.code == 0, (args, result.err)


def test_signed_acts_need_a_password_even_for_the_os_user(  # type: ignore[no-untyped-def]
    board: dict[str, int], raw, data_dir: Path, tmp_path: Path
) -> None:
    """approve, reject, publish, retire, deactivate, workflows import and demo as the OS
    user without a password: each refused in one line (rule: identity), nothing changed."""
    ctx = _open(data_dir)
    try:
        ctx.policies.add(ME, "POL-2", "Retention", body="Keep what the law says.")
        walk_to(ctx, "POL-2", "approved")
        ctx.policies.add(ME, "POL-3", "Clean desk", body="Nothing left on desks.")
        walk_to(ctx, "POL-3", "published")
    finally:
        ctx.close()
    wf = tmp_path / "wf.json"
    wf.write_text(json.dumps({**BOARD, "name": "Another board"}), encoding="utf-8")
    before = _trail(data_dir)
    on_behalf = ("--reason", "on leave")
    for args in (
        ("approvals", "approve", str(board["bob"]), *on_behalf),
        ("approvals", "reject", str(board["bob"]), "--comment", "no", *on_behalf),
        ("policies", "set-status", "POL-2", "published"),
        ("policies", "set-status", "POL-3", "retired"),
        ("users", "deactivate", "alice", "--reassign-to", "bob"),
        ("workflows", "import", str(wf)),
        ("demo",),
    ):
        _one_line(raw(*args), "identity")
    assert _trail(data_dir) == before


def test_one_password_line_serves_acting_as_and_signing(  # type: ignore[no-untyped-def]
    board: dict[str, int], cli
) -> None:
    """`--actor carol --password-stdin approvals approve` with ONE line: carol is signed in
    and signs; the approval carries her signature."""
    result = cli("approvals", "approve", str(board["carol"]), actor="carol", stdin=PASSWORD + "\n")
    assert result.code == 0, result.err
    signature = cli("approvals", "show", str(board["carol"]), "--json").json()["signature"]
    assert signature["signer"] == "carol" and signature["meaning"] == "Approved"


# --- passwords: set, reset, lockout, unlock ------------------------------------------------


def _initial(result: CliResult, username: str) -> str:
    found = re.findall(rf"initial password for {username}: (\S+)", result.out)
    assert len(found) == 1, result.out  # printed once
    return str(found[0])


def test_users_add_prints_an_initial_password_to_change_at_first_use(raw) -> None:  # type: ignore[no-untyped-def]
    """`users add` prints the initial password once; zoe cannot act with it until she sets
    her own (current, then new, on stdin); then she acts with the new one."""
    added = raw("users", "add", "zoe", "--role", "approver")
    assert added.code == 0, added.err
    initial = _initial(added, "zoe")
    assert initial not in raw("users", "list").out
    zoe = ("--actor", "zoe")
    assert "must change" in _one_line(raw(*zoe, "approvals", "list", stdin=initial), "identity")
    changed = raw(*zoe, "users", "set-password", "zoe", stdin=f"{initial}\n{NEW}\n")
    assert changed.code == 0 and "password changed for zoe" in changed.out, changed.err
    assert raw(*zoe, "approvals", "list", stdin=NEW).code == 0
    _one_line(raw(*zoe, "approvals", "list", stdin=initial), "identity")


def test_an_admin_gives_another_user_a_new_initial_password_and_key(  # type: ignore[no-untyped-def]
    board: dict[str, int], raw, data_dir: Path
) -> None:
    """`users set-password bob` by an admin prints a new initial password once; bob's old one
    no longer works, the new one must be changed first; his old key is retired, a new one
    registered."""
    reset = raw("users", "set-password", "bob", stdin=PASSWORD)  # the admin signs the reset
    assert reset.code == 0, reset.err
    initial = _initial(reset, "bob")
    bob = ("--actor", "bob")
    _one_line(raw(*bob, "approvals", "list", stdin=PASSWORD), "identity")
    _one_line(raw(*bob, "approvals", "list", stdin=initial), "identity")
    assert raw(*bob, "users", "set-password", "bob", stdin=f"{initial}\n{NEW}\n").code == 0
    assert raw(*bob, "approvals", "approve", str(board["bob"]), stdin=NEW).code == 0
    with raw_db(data_dir) as conn:
        keys = conn.execute(
            "SELECT retired_at IS NULL FROM signing_keys WHERE username = 'bob' ORDER BY id"
        ).fetchall()
    assert [bool(k[0]) for k in keys] == [False, True]


def test_only_an_admin_resets_or_unlocks_another_user(  # type: ignore[no-untyped-def]
    board: dict[str, int], cli
) -> None:
    """bob (approver) may not reset carol's password nor unlock her: (rule: role)."""
    _one_line(cli("users", "set-password", "carol", actor="bob"), "role")
    _one_line(cli("users", "unlock", "carol", actor="bob"), "role")
    assert cli("users", "unlock", "carol").out.strip() == "unlocked carol"


def test_five_failures_lock_the_account_and_an_admin_unlocks_it(  # type: ignore[no-untyped-def]
    board: dict[str, int], cli, data_dir: Path
) -> None:
    """Five wrong passwords lock bob; the sixth try is refused even with the right password
    (rule: lockout), audited; an admin's unlock lets him in again."""
    for attempt in range(1, 6):
        result = cli("approvals", "list", actor="bob", stdin=f"wrong-{attempt}\n")
        _one_line(result, "lockout" if attempt == 5 else "identity")
    right = cli("approvals", "approve", str(board["bob"]), actor="bob", stdin=PASSWORD + "\n")
    assert "locked until" in _one_line(right, "lockout")
    assert _status(cli, board["bob"]) == "pending"
    assert _events(data_dir, "auth.locked", "bob") == 1
    assert _events(data_dir, "auth.refused_locked", "bob") == 1
    assert cli("users", "unlock", "bob").code == 0
    assert cli("approvals", "approve", str(board["bob"]), actor="bob").code == 0


def test_passwords_are_never_printed_by_check_nor_logged(tmp_path: Path) -> None:
    """A session of sign-ins in real processes (an initial password changed, a wrong one, a
    right one): neither `check` nor anything in the logs folder or the database holds the
    passwords in clear."""
    data_dir = tmp_path / "data"

    def gd(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    added = gd("users", "add", "zoe", "--role", "approver")
    assert added.returncode == 0, added.stderr
    initial = re.findall(r"initial password for zoe: (\S+)", added.stdout)[0]
    zoe = ("--actor", "zoe", "--password-stdin")
    assert gd(*zoe, "users", "set-password", "zoe", stdin=f"{initial}\n{NEW}\n").returncode == 0
    wrong = "Wrong-Passw0rd!9"
    assert gd(*zoe, "policies", "list", stdin=wrong + "\n").returncode == 1
    assert gd(*zoe, "approvals", "list", stdin=NEW + "\n").returncode == 0
    for check in (gd("check"), gd("check", "--json")):
        assert check.returncode == 0, check.stderr
        assert not {initial, NEW, wrong} & set(re.findall(r"\S+", check.stdout + check.stderr))
    logs = [p for p in (data_dir / "logs").rglob("*") if p.is_file()]
    assert logs, "the processes wrote no log"
    stored = {str(p): p.read_bytes() for p in logs} | {"the database": database_bytes(data_dir)}
    for where, data in stored.items():
        for secret in (initial, NEW, wrong):
            assert secret.encode() not in data, (where, secret)


# --- manifestation ---------------------------------------------------------------------------


def test_approvals_list_and_show_print_the_signature_manifestation(  # type: ignore[no-untyped-def]
    board: dict[str, int], cli
) -> None:
    """After carol signs: `approvals list` has a SIGNED column with "Approved by Carol Diaz
    on … UTC", `approvals show` prints it, `--json` carries the signature with it."""
    assert cli("approvals", "approve", str(board["carol"]), actor="carol").code == 0
    listed = cli("approvals", "list").out.splitlines()
    assert "SIGNED" in listed[0].split()
    [line] = [row for row in listed[1:] if row.split()[0] == str(board["carol"])]
    manifestation = re.search(r"Approved by Carol Diaz on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", line)
    assert manifestation, line
    shown = cli("approvals", "show", str(board["carol"])).out
    assert re.search(rf"^signed\s+{re.escape(manifestation.group())}$", shown, re.M), shown
    signature = cli("approvals", "show", str(board["carol"]), "--json").json()["signature"]
    assert signature["manifestation"] == manifestation.group()
    assert signature["printed_name"] == "Carol Diaz" and signature["signer"] == "carol"
    [row] = [r for r in cli("approvals", "list", "--json").json() if r["id"] == board["carol"]]
    assert row["signature"]["manifestation"] == manifestation.group()
