"""The shipped example workflows parse, and the docs embed them verbatim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance_desktop.domain.workflow.definition import (
    ApprovalAction,
    definition_to_json,
    parse_definition_json,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "governance_desktop" / "resources" / "examples").glob("*.json"))


def test_there_are_four_examples() -> None:
    """Four example workflows ship with the app."""
    assert len(EXAMPLES) == 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_parses_and_round_trips(path: Path) -> None:
    """Each example validates and survives export and re-import unchanged."""
    defn = parse_definition_json(path.read_bytes())
    assert parse_definition_json(definition_to_json(defn)) == defn


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_embedded_in_docs(path: Path) -> None:
    """docs/workflow-format.md contains each example's exact JSON."""
    docs = (ROOT / "docs" / "workflow-format.md").read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").strip() in docs


def test_examples_use_demo_users_only() -> None:
    """The examples name only demo users, and only approvers (or admins) as approvers."""
    from governance_desktop.services.demo import DEMO_USERS

    approvers = {name for name, _full, role in DEMO_USERS if role in ("approver", "admin")}
    for path in EXAMPLES:
        text = json.dumps(json.loads(path.read_text(encoding="utf-8")))
        defn = parse_definition_json(text)
        for action in defn.actions:
            if isinstance(action, ApprovalAction):
                assert set(action.approvers) <= approvers
