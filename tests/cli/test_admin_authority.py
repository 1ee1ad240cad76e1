"""Admin-only acts through the real commands: workflows, users, restore, backup and demo refuse
other roles in one line; an admin's changes are audited (workflow definition hashes, the
restore's replaced and restored head hashes)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from tests.helpers.actors import ME

WORKFLOW = {
    "schema_version": 1,
    "name": "Review",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [{"type": "approval", "approvers": ["bob", "carol"], "rule": "any"}],
}


def _one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 1, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    return lines[0]


def _hash(data: dict[str, object]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def people(cli) -> None:  # type: ignore[no-untyped-def]
    for name, role in (("alice", "officer"), ("bob", "approver"), ("carol", "approver")):
        assert cli("users", "add", name, "--role", role).code == 0


def _write(tmp_path: Path, data: dict[str, object], name: str = "review.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_officer_cannot_import_enable_or_disable_workflows(cli, people, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """import, enable and disable as an officer: one line (rule: role), nothing changed."""
    file = _write(tmp_path, WORKFLOW)
    assert "(rule: role)" in _one_line(cli("workflows", "import", file, actor="alice"))
    assert cli("workflows", "list", "--json").json() == []
    assert cli("workflows", "import", file).code == 0  # the admin
    for verb in ("disable", "enable"):
        line = _one_line(cli("workflows", verb, "Review", actor="alice"))
        assert "'alice' is officer; only admin may import, edit" in line and "(rule: role)" in line
    assert cli("workflows", "list", "--json").json()[0]["enabled"] is True


def _open(data_dir: Path) -> AppContext:
    return open_app(load_settings(data_dir=data_dir))


def test_admin_changes_are_audited_with_before_and_after_hashes(  # type: ignore[no-untyped-def]
    cli, people, tmp_path: Path, data_dir: Path
) -> None:
    """Import, replace and disable each leave an event with the definition hash before/after."""
    assert cli("workflows", "import", _write(tmp_path, WORKFLOW)).code == 0
    replaced = {**WORKFLOW, "description": "now with a description"}
    assert cli("workflows", "import", _write(tmp_path, replaced, "v2.json")).code == 0
    assert cli("workflows", "disable", "Review").code == 0
    ctx = _open(data_dir)
    try:
        stored = [v.definition for v in ctx.workflows.versions("Review")]
        trail = list(reversed(ctx.audit.events("workflow", "Review")))
    finally:
        ctx.close()
    assert [e.action for e in trail] == [
        "workflow.version_published",
        "workflow.version_published",
        "workflow.disabled",
    ]
    assert trail[0].details["before_hash"] is None
    assert trail[0].details["after_hash"] == _hash({**stored[0], "enabled": True})
    assert trail[1].details["before_hash"] == trail[0].details["after_hash"]
    assert trail[1].details["after_hash"] == _hash({**stored[1], "enabled": True})
    assert trail[2].details["before_hash"] == trail[1].details["after_hash"]
    assert trail[2].details["after_hash"] == _hash({**stored[1], "enabled": False})
    assert all(e.actor == ME for e in trail)


def test_workflow_naming_a_deactivated_user_is_refused(cli, people, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A new version may not name a deactivated user: one line naming the path."""
    assert cli("users", "deactivate", "carol", "--reassign-to", "bob").code == 0
    line = _one_line(cli("workflows", "import", _write(tmp_path, WORKFLOW)))
    assert "actions[0].approvers[1]" in line and "'carol' is deactivated" in line
    assert cli("workflows", "list", "--json").json() == []


def test_approvers_must_hold_a_role_that_answers_approvals(cli, people, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An officer named as an approver is refused at the approver's path (rule: role)."""
    data = {**WORKFLOW, "actions": [{"type": "approval", "approvers": ["bob", "alice"]}]}
    line = _one_line(cli("workflows", "import", _write(tmp_path, data)))
    assert "actions[0].approvers[1]" in line and "'alice' is officer" in line
    assert "(rule: role)" in line


def test_deactivated_user_cannot_act(cli, people, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """After deactivation the user's commands are refused in one line (rule: active users)."""
    assert cli("users", "set-role", "carol", "admin").code == 0
    r = cli("users", "deactivate", "carol", "--reassign-to", "bob")
    assert r.code == 0 and "deactivated carol" in r.out
    listed = {u["username"]: u for u in cli("users", "list", "--json").json()}
    assert listed["carol"]["active"] is False and listed["bob"]["active"] is True
    for command in (
        ("workflows", "import", _write(tmp_path, WORKFLOW)),
        ("users", "add", "zoe"),
        ("policies", "add", "POL-9", "--title", "Nine"),
    ):
        assert "(rule: active users)" in _one_line(cli(*command, actor="carol"))


def test_last_admin_cannot_be_demoted_or_deactivated(cli, people) -> None:  # type: ignore[no-untyped-def]
    """The only admin: set-role and deactivate say (rule: last admin); other roles may not."""
    assert "(rule: last admin)" in _one_line(cli("users", "set-role", ME, "officer"))
    line = _one_line(cli("users", "deactivate", ME, "--reassign-to", "bob"))
    assert "(rule: last admin)" in line
    assert "(rule: role)" in _one_line(cli("users", "set-role", "bob", "admin", actor="alice"))
    assert cli("users", "add", "erin", "--role", "auditor").code == 0
    roles = {u["username"]: u["role"] for u in cli("users", "list", "--json").json()}
    assert roles["erin"] == "auditor"


@pytest.mark.sqlite_only("backup and restore copy the SQLite file; a server database uses pg_dump")
def test_officer_restore_refused_admin_restore_leaves_the_event(  # type: ignore[no-untyped-def]
    cli, people, tmp_path: Path, data_dir: Path
) -> None:
    """An officer's restore changes nothing; an admin's appends data.restored naming the head
    hashes replaced and restored, and the trail still verifies."""
    copy = tmp_path / "before.db"
    assert cli("backup", str(copy)).code == 0
    restored_head = cli("audit", "verify", "--json").json()["head_hash"]
    assert cli("users", "add", "dave", "--role", "approver").code == 0
    line = _one_line(cli("restore", str(copy), actor="alice"))
    assert "'alice' is officer; only admin may restore a backup (rule: role)" in line
    replaced_head = cli("audit", "verify", "--json").json()["head_hash"]  # alice's sign-in too
    assert "dave" in {u["username"] for u in cli("users", "list", "--json").json()}
    r = cli("restore", str(copy))
    assert r.code == 0, r.err
    assert "dave" not in {u["username"] for u in cli("users", "list", "--json").json()}
    verified = cli("audit", "verify", "--json")
    assert verified.code == 0 and verified.json()["ok"] is True
    ctx = _open(data_dir)
    try:
        event = ctx.audit.events("data")[0]
    finally:
        ctx.close()
    assert (event.action, event.actor) == ("data.restored", ME)
    assert event.details["replaced_head"] == replaced_head
    assert event.details["restored_head"] == restored_head


def test_backup_and_demo_need_an_admin(cli, people, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """backup and demo as an officer: one line (rule: role), no file written."""
    target = tmp_path / "copy.db"
    assert "(rule: role)" in _one_line(cli("backup", str(target), actor="alice"))
    assert not target.exists()
    assert "(rule: role)" in _one_line(cli("demo", actor="alice"))
