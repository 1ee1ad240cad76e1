"""The trigger's candidate list is kept per database, yet every change to a workflow — from
this process or another — is seen by the next status change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine_helpers import ME, workflow

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings

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
