"""The engine from the command line alone: import, change, `worker --burst`, approve, finish."""

from __future__ import annotations

import json
from pathlib import Path

WORKFLOW = {
    "schema_version": 1,
    "name": "Review with approval",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [
        {"type": "create_task", "title": "Review {policy.code}", "assignee": "alice"},
        {"type": "notify", "users": ["carol"], "title": "{policy.code} is in review"},
        {"type": "approval", "approvers": ["bob", "carol"], "rule": "any"},
        {"type": "set_status", "status": "awaiting_approval"},
    ],
}


def test_cli_alone_runs_a_workflow_with_an_approval(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The issue's 'done when', step by step, through the real worker."""
    assert cli("demo").code == 0
    for name in ("Review kickoff", "Board approval"):  # keep the demo's own workflows out
        assert cli("workflows", "disable", name).code == 0
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(WORKFLOW), encoding="utf-8")
    assert cli("workflows", "import", str(path)).code == 0
    assert cli("policies", "set-status", "POL-003", "in_review", actor="alice").code == 0
    assert cli("worker", "--burst").code == 0

    runs = cli("executions", "list", "--json").json()
    [execution] = [e for e in runs if e["workflow"] == WORKFLOW["name"]]
    assert execution["status"] == "awaiting_approval"
    assert {
        "id",
        "workflow",
        "workflow_version",
        "entity_type",
        "entity_id",
        "status",
        "error",
    } <= set(execution)
    tasks = cli("tasks", "list", "--json").json()
    assert [(t["title"], t["assignee"]) for t in tasks] == [("Review POL-003", "alice")]
    [note] = cli("notifications", "list", "--json").json()
    assert (note["user"], note["execution_id"]) == ("carol", execution["id"])

    asked = cli("approvals", "list", "--mine", "--json", actor="bob").json()
    pending = [a for a in asked if a["execution_id"] == execution["id"]]
    assert [(a["approver"], a["status"]) for a in pending] == [("bob", "pending")]
    refused = cli("approvals", "approve", str(pending[0]["id"]), actor="alice")
    assert refused.code == 1 and "(rule: role)" in refused.err  # alice is an officer
    refused = cli("approvals", "approve", str(pending[0]["id"]), actor="dave")
    assert refused.code == 1 and "is for 'bob'" in refused.err
    assert cli("approvals", "reject", str(pending[0]["id"]), actor="bob").code == 2
    ok = cli("approvals", "approve", str(pending[0]["id"]), "--comment", "fine", actor="bob")
    assert ok.code == 0, ok.err
    assert cli("worker", "--burst").code == 0

    done = cli("executions", "show", str(execution["id"]), "--json").json()
    assert done["status"] == "completed" and len(done["steps"]) == 4
    assert cli("policies", "show", "POL-003", "--json").json()["status"] == "awaiting_approval"
    assert len(cli("tasks", "list", "--json").json()) == 1
    jobs = cli("jobs", "list", "--json").json()
    assert {j["state"] for j in jobs} == {"succeeded"} and len(jobs) == 5
    assert {"id", "kind", "state", "attempts", "execution_id", "error"} <= set(jobs[0])
    assert cli("audit", "verify").code == 0


def test_failed_job_retried_from_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An illegal set_status fails the execution; after the fix `jobs retry` finishes it."""
    assert cli("demo").code == 0
    for name in ("Review kickoff", "Board approval"):
        assert cli("workflows", "disable", name).code == 0
    bad = dict(
        WORKFLOW, name="Publish too early", actions=[{"type": "set_status", "status": "published"}]
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    assert cli("workflows", "import", str(path)).code == 0
    assert cli("policies", "set-status", "POL-003", "in_review").code == 0
    assert cli("worker", "--burst").code == 0
    runs = cli("executions", "list", "--json").json()
    [execution] = [e for e in runs if e["workflow"] == "Publish too early"]
    assert execution["status"] == "failed"
    assert "cannot move from in_review to published" in execution["error"]
    [failed] = cli("jobs", "list", "--state", "failed", "--json").json()
    # The fix: the text approved the real way (the Standard approval, answered by bob).
    assert cli("policies", "set-status", "POL-003", "awaiting_approval").code == 0
    asked = cli("approvals", "list", "--mine", "--json", actor="bob").json()
    [request] = [a for a in asked if a["policy"] == "POL-003" and a["status"] == "pending"]
    assert cli("approvals", "approve", str(request["id"]), actor="bob").code == 0
    assert cli("policies", "show", "POL-003", "--json").json()["status"] == "approved"
    assert cli("jobs", "retry", str(failed["id"])).code == 0
    assert cli("worker", "--burst").code == 0
    runs = cli("executions", "list", "--json").json()
    assert [e["status"] for e in runs if e["id"] == execution["id"]] == ["completed"]
    assert cli("policies", "show", "POL-003", "--json").json()["status"] == "published"
    again = cli("jobs", "retry", str(failed["id"]))
    assert again.code == 1 and "only failed jobs" in again.err
