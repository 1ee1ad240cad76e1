"""Task names on the wire: stable across releases, independent of module layout."""

from __future__ import annotations

from governance_desktop.domain.enums import JobKind

EXECUTE_WORKFLOW = JobKind.EXECUTE_WORKFLOW.value
EXECUTE_WORKFLOW_ACTION = JobKind.EXECUTE_WORKFLOW_ACTION.value
RUN_SCHEDULES = "RUN_SCHEDULES"
RECONCILE = "RECONCILE"

#: Huey registers a task as ``<func.__module__>.<name>``; ours all use this module name.
TASK_NAMESPACE = "governance"

#: Every task name a message may carry; anything else is rejected before it runs.
TASK_NAMES: frozenset[str] = frozenset(
    {EXECUTE_WORKFLOW, EXECUTE_WORKFLOW_ACTION, RUN_SCHEDULES, RECONCILE}
)


def registry_name(task_name: str) -> str:
    """The string Huey's registry uses for one of our task names."""
    return f"{TASK_NAMESPACE}.{task_name}"
