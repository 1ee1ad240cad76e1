"""`executions cancel` and `executions skip-step`, and retiring a policy with open work, from
the command line alone (one-line answers, the rule named on a refusal)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

APPROVAL = {
    "schema_version": 1,
    "name": "Approve",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [
        {"type": "create_task", "title": "Review {policy.code}"},
        {"type": "approval", "approvers": ["bob"], "rule": "all"},
    ],
}
BAD_STEP = {
    "schema_version": 1,
    "name": "Bad step",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [
        {"type": "set_status", "status": "published"},
        {"type": "create_task", "title": "after"},
    ],
}


def _register(cli: Any, tmp_path: Path, definition: dict[str, Any]) -> int:
    """Users, one workflow, POL-1 moved into review by alice and run: the execution's id."""
    for name, role in (("alice", "officer"), ("dave", "officer"), ("bob", "approver")):
        assert cli("users", "add", name, "--role", role).code == 0
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    assert cli("workflows", "import", str(path)).code == 0
    assert cli("policies", "add", "POL-1", "--title", "One", "--owner", "alice").code == 0
    assert cli("policies", "set-status", "POL-1", "in_review", actor="alice").code == 0
    assert cli("worker", "--burst").code == 0
    [execution] = cli("executions", "list", "--json").json()
    return int(execution["id"])


def _one_line(result: Any) -> str:
    assert result.code == 1 and result.out == ""
    assert result.err.count("\n") == 1, result.err
    return str(result.err)


def _status(cli: Any, execution_id: int) -> str:
    return str(cli("executions", "show", str(execution_id), "--json").json()["status"])


def test_cancel_by_starter_refused_for_another_officer(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`executions cancel` needs a reason; another officer is refused (rule: role); the
    person who started it cancels it, its approval expires and its task is cancelled."""
    execution_id = _register(cli, tmp_path, APPROVAL)
    ident = str(execution_id)
    assert "reason" in _one_line(cli("executions", "cancel", ident, actor="alice"))
    refused = _one_line(cli("executions", "cancel", ident, "--reason", "x", actor="dave"))
    assert "(rule: role)" in refused
    ok = cli("executions", "cancel", ident, "--reason", "wrong policy", actor="alice")
    assert ok.code == 0, ok.err
    assert ok.out == (
        f"cancelled execution {execution_id}: 1 approval expired, 1 task and 0 jobs cancelled\n"
    )
    assert _status(cli, execution_id) == "cancelled"
    assert [t["status"] for t in cli("tasks", "list", "--json").json()] == ["cancelled"]


def test_retire_then_approve_is_refused_without_a_failed_job(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Retiring a policy expires its pending approval; approving it afterwards is refused
    with one line, and the worker finds no job to fail."""
    execution_id = _register(cli, tmp_path, APPROVAL)
    assert cli("policies", "set-status", "POL-1", "retired").code == 0
    assert _status(cli, execution_id) == "cancelled"
    [approval] = cli("approvals", "list", "--json").json()
    assert approval["status"] == "expired"
    refused = _one_line(cli("approvals", "approve", str(approval["id"]), actor="bob"))
    assert "expired" in refused
    assert cli("worker", "--burst").code == 0
    assert cli("jobs", "list", "--state", "failed", "--json").json() == []


def test_skip_step_by_admin_moves_on(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An officer may not skip a failed step (rule: role); an admin skips it with a reason
    and the execution completes."""
    execution_id = _register(cli, tmp_path, BAD_STEP)
    ident = str(execution_id)
    assert _status(cli, execution_id) == "failed"
    refused = _one_line(cli("executions", "skip-step", ident, "--reason", "x", actor="alice"))
    assert "(rule: role)" in refused
    ok = cli("executions", "skip-step", ident, "--reason", "moved by hand")
    assert ok.code == 0, ok.err
    assert ok.out == f"skipped step 1 of execution {execution_id}; step 2 queued\n"
    assert cli("worker", "--burst").code == 0
    assert _status(cli, execution_id) == "completed"
    assert cli("jobs", "list", "--state", "failed", "--json").json() == []
