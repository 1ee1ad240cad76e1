"""The trigger's candidate list is kept per database, yet every change to a workflow — from
this process or another — is seen by the next status change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from tests.helpers.actors import ME
from tests.helpers.workflows import workflow

NOTIFY = [{"type": "notify", "users": ["alice"], "title": "{policy.code}"}]


def _started(eng: AppContext) -> list[str]:
    """Move POL-001 to in_review and back; the workflows that started, by name."""
    before = {e.id for e in eng.monitor.executions()}
    eng.policies.change_status(ME, "POL-001", "in_review")
    eng.policies.change_status(ME, "POL-001", "draft")
    return sorted(e.workflow for e in eng.monitor.executions() if e.id not in before)


def test_enable_disable_and_new_versions_are_seen_at_once(
    eng: AppContext, install: Callable[..., None]
) -> None:
    install(workflow("Alpha", NOTIFY), workflow("Beta", NOTIFY, enabled=False))
    assert _started(eng) == ["Alpha"]
    eng.workflows.set_enabled(ME, "Alpha", False)  # one off, another on: same count
    eng.workflows.set_enabled(ME, "Beta", True)
    assert _started(eng) == ["Beta"]
    moved = workflow("Beta", NOTIFY)
    moved["trigger"] = {"type": "on_status_change", "to_status": "approved"}
    install(moved)  # a new version that no longer triggers on in_review
    assert _started(eng) == []


def test_a_change_made_by_another_process_is_seen(
    eng: AppContext, install: Callable[..., None], data_dir: Path
) -> None:
    install(workflow("Alpha", NOTIFY))
    assert _started(eng) == ["Alpha"]
    other = open_app(load_settings(data_dir=data_dir))  # its own engine and connections
    try:
        other.workflows.set_enabled(ME, "Alpha", False)
    finally:
        other.close()
    assert _started(eng) == []


def test_required_eq_screens_candidates_and_keeps_their_order(
    eng: AppContext, install: Callable[..., None]
) -> None:
    """Candidates whose condition requires `field eq text` start only for a policy that has
    that text; the others are evaluated as usual; executions start in workflow order."""

    def when(name: str, conditions: dict[str, object]) -> dict[str, object]:
        return workflow(name, NOTIFY, conditions=conditions)

    eng.policies.add(ME, "POL-002", "Vendor management", owner="alice")
    install(
        when("A code 001", {"all": [{"field": "code", "op": "eq", "value": "POL-001"}]}),
        workflow("B any", NOTIFY),
        when("C code 002", {"field": "code", "op": "eq", "value": "POL-002"}),
        when("D title", {"field": "title", "op": "contains", "value": "Security"}),
        when("E owner", {"all": [{"field": "owner", "op": "eq", "value": "alice"}]}),
    )
    assert _started(eng) == ["A code 001", "B any", "D title", "E owner"]
    eng.policies.change_status(ME, "POL-002", "in_review")
    executions = sorted(eng.monitor.executions(), key=lambda e: e.id)
    started = [e.workflow for e in executions if e.entity == "POL-002"]
    assert started == ["B any", "C code 002", "E owner"]  # created in workflow order
