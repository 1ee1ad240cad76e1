"""Workflow-run fixtures (loaded for every suite by tests/conftest.py): demo users, POL-001, a
fast retry policy and a workflow importer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from governance_desktop.app import AppContext
from governance_desktop.services.runner import RetryPolicy
from governance_desktop.services.workflows import DefinitionSource
from tests.helpers.actors import ME
from tests.helpers.identity import signer


@pytest.fixture
def eng(ctx: AppContext) -> AppContext:
    """Users alice (officer), bob and carol (approvers), and POL-001 owned by alice."""
    for name, role in (("alice", "officer"), ("bob", "approver"), ("carol", "approver")):
        ctx.users.add(ME, name, name.title(), role)  # type: ignore[arg-type]
    ctx.policies.add(ME, "POL-001", "Information Security Policy", owner="alice")
    ctx.runner.retry = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
    return ctx


@pytest.fixture
def install(eng: AppContext) -> Callable[..., None]:
    def run(*definitions: dict[str, Any]) -> None:
        sources = [DefinitionSource(f"{d['name']}.json", data=d) for d in definitions]
        eng.workflows.import_definitions(ME, sources, signer=signer(eng, ME))

    return run
