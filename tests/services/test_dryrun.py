"""Dry run and per-field definition checks, without Qt."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

from governance_desktop.app import AppContext
from governance_desktop.domain.workflow.definition import parse_definition
from governance_desktop.services.definition_check import check_definition
from governance_desktop.services.dryrun import dry_run
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.services.users import os_username
from tests.helpers.identity import signer

EXAMPLES = Path(__file__).parents[2] / "governance_desktop" / "resources" / "examples"
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _example(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((EXAMPLES / name).read_text())


def _policy(status: str = "draft", title: str = "Information Security Policy") -> PolicyInfo:
    return PolicyInfo(
        "POL-001", title, status, "alice", None, "", 365, None, 3, "alice", NOW, "alice", NOW
    )


def test_every_problem_is_reported_with_its_path() -> None:
    """Several broken parts give one error each, at the right JSON path."""
    data = copy.deepcopy(_example("review-kickoff.json"))
    data["name"] = " "
    del data["actions"][1]["title"]
    data["actions"][2]["rule"] = {"at_least": 5}
    errors = {e.path: e.message for e in check_definition(data, None)}
    assert set(errors) == {"name", "actions[1].title", "actions[2].rule"}
    assert errors["actions[1].title"] == "field required"


def test_unknown_users_are_named_at_their_field() -> None:
    """A username not in the directory is an error at that list item."""
    data = _example("review-kickoff.json")
    errors = check_definition(data, {"bob"})
    assert [(e.path, e.message) for e in errors] == [
        ("actions[1].users[1]", "unknown user 'carol'"),
        ("actions[2].approvers[1]", "unknown user 'carol'"),
    ]
    assert check_definition(data, {"bob", "carol"}) == []


def test_condition_leaves_are_checked_one_by_one() -> None:
    """Two bad condition rows are both reported."""
    data = _example("annual-review-reminder.json")
    data["conditions"]["all"][0]["value"] = "nope"
    data["conditions"]["all"][1]["op"] = "like"
    paths = [e.path for e in check_definition(data, None)]
    assert paths == ["conditions.all[0].value", "conditions.all[1].op"]


def test_dry_run_explains_conditions_and_renders_actions() -> None:
    """Conditions pass or fail per leaf; titles are filled in; the status move is checked."""
    defn = parse_definition(_example("review-kickoff.json"))
    report = dry_run(defn, _policy("draft"), {"alice", "bob", "carol"}, dt.date(2025, 1, 1))
    assert report.conditions_pass and "draft to in_review" in report.assumption
    summaries = [a.summary for a in report.actions]
    assert (
        summaries[0]
        == "Task “Review POL-001: Information Security Policy” for alice, due 2025-01-11"
    )
    assert "any one of 2" in summaries[2]
    assert summaries[3] == "Move POL-001 from in_review to awaiting_approval"
    assert all(a.ok for a in report.actions)


def test_dry_run_reports_a_refused_move_and_failing_conditions() -> None:
    """A move the lifecycle refuses fails its step; a failing leaf fails the conditions."""
    data = _example("announce-published-security-policies.json")
    data["actions"].insert(0, {"type": "set_status", "status": "draft"})
    report = dry_run(parse_definition(data), _policy("draft", "Travel"), {"alice", "bob", "carol"})
    assert not report.conditions_pass
    assert [(c.description, c.passed) for c in report.conditions] == [
        ("all of 1 condition", False),
        ("title contains 'Security'", False),
    ]
    assert not report.actions[0].ok and "does not allow published → draft" in str(
        report.actions[0].problem
    )
    assert not report.actions[1].reached


def test_dry_run_service_reads_only(ctx: AppContext) -> None:
    """The service runs against a stored policy and writes no audit event."""
    ctx.load_demo(os_username(), signer(ctx, os_username()))
    before = len(ctx.audit.events(limit=100_000))
    defn = parse_definition(_example("board-approval.json"))
    report = ctx.dry_run.run(defn, "POL-001")
    assert report.policy == "POL-001" and report.actions[0].recipients == ("bob", "carol", "dave")
    assert len(ctx.audit.events(limit=100_000)) == before
