"""The dry run's register-wide reads: the match count agrees with the evaluator policy by
policy, and the policy finder searches code and title literally, a few rows at a time."""

from __future__ import annotations

import json
from pathlib import Path

from governance_desktop.app import AppContext
from governance_desktop.domain.workflow.conditions import evaluate
from governance_desktop.domain.workflow.definition import parse_definition
from governance_desktop.services.dryrun_scope import assumed, condition_fields
from governance_desktop.services.policies import policy_facts
from governance_desktop.services.users import os_username
from tests.helpers.identity import signer

EXAMPLES = Path(__file__).parents[2] / "governance_desktop" / "resources" / "examples"


def test_match_count_agrees_with_the_evaluator(ctx: AppContext) -> None:
    """For every example, the count is the number of policies whose facts (as the dry run
    assumes them) pass the conditions; no conditions count every policy."""
    ctx.load_demo(os_username(), signer(ctx, os_username()))
    policies = ctx.policies.list(bodies=True)
    for path in sorted(EXAMPLES.glob("*.json")):
        defn = parse_definition(json.loads(path.read_text()))
        count = ctx.dry_run.match_count(defn)
        expected = sum(evaluate(defn.conditions, assumed(defn, policy_facts(p))) for p in policies)
        assert (count.matched, count.total) == (expected, len(policies)), path.name


def test_condition_fields_are_the_leaves_fields() -> None:
    """Only the columns the conditions read are fetched."""
    defn = parse_definition(json.loads((EXAMPLES / "annual-review-reminder.json").read_text()))
    assert condition_fields(defn.conditions) == {"status", "next_review_date"}


def test_finder_is_literal_and_limited(ctx: AppContext) -> None:
    """Code or title, any case, codes starting with the text first, at most the limit;
    ``%`` and ``_`` are plain characters."""
    ctx.load_demo(os_username(), signer(ctx, os_username()))
    found = ctx.dry_run.find("pol-00")
    assert found and all(c.code.startswith("POL-00") for c in found) and len(found) <= 20
    assert [c.code for c in ctx.dry_run.find("POL-003")] == ["POL-003"]
    assert ctx.dry_run.find("%") == [] and ctx.dry_run.find("_") == []
    titled = ctx.dry_run.find("security")
    assert titled and all("security" in c.title.lower() for c in titled)
    assert len(ctx.dry_run._scope.find("", limit=3)) == 3
