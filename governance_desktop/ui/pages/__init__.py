"""The pages in navigation order. Each page is a QWidget built as ``Page(ui: UiContext)``;
its factory imports its module only when the window first needs the page (a cold start
imports the first page alone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from governance_desktop.ui.context import UiContext


class PageEntry(NamedTuple):
    name: str  # objectName and accessible name of the page
    title: str
    shortcut: str
    build: Callable[[UiContext], QWidget]


def _policies(ui: UiContext) -> QWidget:
    from governance_desktop.ui.pages.policies.page import PoliciesPage

    return PoliciesPage(ui)


def _workflows(ui: UiContext) -> QWidget:
    from governance_desktop.ui.pages.workflows.page import WorkflowsPage

    return WorkflowsPage(ui)


def _approvals(ui: UiContext) -> QWidget:
    from governance_desktop.ui.pages.approvals.page import ApprovalsPage

    return ApprovalsPage(ui)


def _tasks(ui: UiContext) -> QWidget:
    from governance_desktop.ui.pages.tasks.page import TasksPage

    return TasksPage(ui)


def _jobs(ui: UiContext) -> QWidget:
    from governance_desktop.ui.pages.jobs.page import JobMonitorPage

    return JobMonitorPage(ui)


def _executions(ui: UiContext) -> QWidget:
    from governance_desktop.ui.pages.executions.page import ExecutionsPage

    return ExecutionsPage(ui)


def _audit(ui: UiContext) -> QWidget:
    from governance_desktop.ui.pages.audit.page import AuditPage

    return AuditPage(ui)


def _users(ui: UiContext) -> QWidget:
    from governance_desktop.ui.pages.users.page import UsersPage

    return UsersPage(ui)


PAGES: tuple[PageEntry, ...] = (
    PageEntry("policiesPage", "Policies", "Ctrl+1", _policies),
    PageEntry("workflowsPage", "Workflows", "Ctrl+2", _workflows),
    PageEntry("approvalsPage", "Approvals", "Ctrl+3", _approvals),
    PageEntry("tasksPage", "Tasks", "Ctrl+4", _tasks),
    PageEntry("jobMonitorPage", "Job monitor", "Ctrl+5", _jobs),
    PageEntry("executionsPage", "Runs", "Ctrl+6", _executions),
    PageEntry("auditPage", "Audit", "Ctrl+7", _audit),
    PageEntry("usersPage", "Users", "Ctrl+8", _users),
)
