"""The trigger's candidate list is kept per database, yet every change to a workflow — from
this process or another — is seen by the next status change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from governance_desktop.domain.enums import TriggerType
from governance_desktop.services.cache import DatabaseCache
from governance_desktop.services.candidates import find_candidates
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store import generations
from governance_desktop.store.models import Workflow, WorkflowVersion
from governance_desktop.store.types import utcnow
from tests.helpers.actors import ME
from tests.helpers.identity import signer
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


def test_an_import_by_another_database_is_seen_by_the_next_check(
    eng: AppContext, install: Callable[..., None], data_dir: Path
) -> None:
    """Two imports in a row from another Database on the same file (its own cache) each
    move the generation; the first Database's next trigger check sees both workflows."""
    install(workflow("Alpha", NOTIFY))
    assert _started(eng) == ["Alpha"]
    other = open_app(load_settings(data_dir=data_dir))
    try:
        for name in ("Beta", "Gamma"):
            source = DefinitionSource(f"{name}.json", data=workflow(name, NOTIFY))
            other.workflows.import_definitions(ME, [source], signer=signer(other, ME))
    finally:
        other.close()
    assert _started(eng) == ["Alpha", "Beta", "Gamma"]


def test_candidates_read_after_an_uncommitted_workflow_write_are_not_kept(
    eng: AppContext, install: Callable[..., None], data_dir: Path
) -> None:
    """A transaction that wrote a workflow sees it among the candidates, but that list is not
    kept: rolled back, its generation number is used again by the next committed write."""
    install(workflow("Alpha", NOTIFY))
    assert _started(eng) == ["Alpha"]
    status_change = (TriggerType.ON_STATUS_CHANGE, {"status": "in_review"})
    with pytest.raises(RuntimeError), eng.db.transaction() as session:
        now = utcnow()
        ghost = Workflow(
            id=100,  # not an id the next workflow gets, so keeping it could not pass unseen
            name="Ghost",
            entity_type="policy",
            trigger_type=TriggerType.ON_STATUS_CHANGE,
            trigger_to_status="in_review",
            enabled=True,
            current_version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(ghost)
        session.flush()
        definition = workflow("Ghost", NOTIFY)
        version = WorkflowVersion(
            id=100,
            workflow_id=ghost.id,
            version=1,
            definition=definition,
            created_by=ME,
            created_at=now,
        )
        session.add(version)
        generations.bump(session, generations.WORKFLOWS)
        found = find_candidates(session, DatabaseCache.of(eng.db), "policy", *status_change)
        assert [name for _, name, _ in found.rows] == ["Alpha", "Ghost"]
        raise RuntimeError("roll back")
    other = open_app(load_settings(data_dir=data_dir))
    try:
        source = DefinitionSource("Beta.json", data=workflow("Beta", NOTIFY))
        other.workflows.import_definitions(
            ME, [source], signer=signer(other, ME)
        )  # the same generation number
    finally:
        other.close()
    assert _started(eng) == ["Alpha", "Beta"]


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
