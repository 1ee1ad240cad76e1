"""The Workflows page for a working day: an empty new workflow, user pickers that follow the
user list, the dry run's "would not run" and match count, its policy finder, and the
diagram's rejected path."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from governance_desktop.domain.enums import Role
from governance_desktop.domain.workflow.conditions import evaluate
from governance_desktop.domain.workflow.definition import parse_definition
from governance_desktop.services.changes import Changes
from governance_desktop.services.dryrun_scope import assumed
from governance_desktop.services.policies import policy_facts
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.workflows.page import WorkflowsPage
from tests.helpers.actors import ME
from tests.ui.test_workflows_page import _select, open_page

CLICK = Qt.MouseButton.LeftButton


@pytest.fixture
def page(qtbot, ui_ctx: UiContext) -> WorkflowsPage:  # type: ignore[no-untyped-def]
    return open_page(qtbot, ui_ctx)


#: A completion popup shown on the offscreen platform: it cannot raise a window or grab the
#: keyboard, and says so (a real screen does both silently).
POPUP = pytest.mark.qt_log_ignore("^This plugin does not support (raise|grabbing the keyboard)")


def _users_field(page: WorkflowsPage, step: int) -> QLineEdit:
    card = page.editor.findChild(object, f"actionCard{step}")
    return card.current_form().findChild(QLineEdit, "notifyUsers")


def _users_error(page: WorkflowsPage, step: int) -> QLabel:
    card = page.editor.findChild(object, f"actionCard{step}")
    return card.current_form().findChild(QLabel, "notifyUsersError")


def test_new_workflow_starts_empty(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """New gives a workflow with no steps at all (no hidden "Notify" of the editor)."""
    qtbot.mouseClick(page.findChild(QPushButton, "newWorkflowButton"), CLICK)
    assert page.editor.to_dict()["actions"] == []
    assert page.editor.steps.cards == []
    assert [n.data(0) for n in page.diagram.nodes()] == ["trigger", "conditions"]


@POPUP
def test_user_fields_complete_from_the_user_list(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Typing part of a name in a user field offers the matching users to pick."""
    _select(qtbot, page, "Review kickoff")
    field = _users_field(page, 1)
    completer = field.completer()
    assert completer is not None
    field.setFocus()
    field.clear()
    qtbot.keyClicks(field, "bob, ca")
    offered = [
        completer.completionModel().index(r, 0).data()
        for r in range(completer.completionModel().rowCount())
    ]
    assert offered == ["carol"]
    assert completer.pathFromIndex(completer.completionModel().index(0, 0)) == "bob, carol"


def test_user_list_follows_changes(page: WorkflowsPage, qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """A user added elsewhere: on the USERS change notice the editor knows and offers them."""
    _select(qtbot, page, "Review kickoff")
    field = _users_field(page, 1)
    field.setText("zed")
    error = _users_error(page, 1)
    assert "unknown user 'zed'" in error.text()
    ui_ctx.app.users.add(ME, "zed", "Zed", Role.APPROVER)
    ui_ctx.bridge.changed.emit(Changes.USERS)  # as another process's change arrives
    qtbot.waitUntil(lambda: not error.isVisible() and "zed" not in error.text(), timeout=5000)
    assert "zed" in page.editor.user_names.stringList()  # offered in every user field


def test_dry_run_marks_steps_that_would_not_run(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Conditions that fail mark every step "would not run"; the run counts the policies
    the conditions match now (the same count the evaluator gives policy by policy)."""
    _select(qtbot, page, "Announce published security policies")
    policies = page.ui.app.policies.list(bodies=True)
    failing = next(p for p in policies if "security" not in p.title.lower())
    page.dry_run.choose(failing.code)
    page.dry_run.report = None
    qtbot.mouseClick(page.findChild(QPushButton, "dryRunButton"), CLICK)
    qtbot.waitUntil(
        lambda: page.dry_run.report is not None and page.dry_run.matches is not None,
        timeout=5000,
    )
    model = page.dry_run.actions_model
    checks = [model.index(r, 2).data() for r in range(model.rowCount())]
    assert checks and all(c.startswith("— would not run") for c in checks)
    assert all("would not run" in model.index(r, 1).data() for r in range(model.rowCount()))
    defn = parse_definition(page.editor.to_dict())
    expected = sum(evaluate(defn.conditions, assumed(defn, policy_facts(p))) for p in policies)
    assert 0 < expected < len(policies)
    assert page.dry_run.matches.matched == expected
    assert page.dry_run.matches.total == len(policies)
    text = page.findChild(QLabel, "dryRunMatches").text()
    assert text == f"{expected} of {len(policies)} policies meet the conditions now."


@POPUP
def test_policy_picker_searches_as_you_type(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The dry run's policy field asks the register per keystroke (code or title, a few
    rows), and a picked line runs on that policy."""
    picker = page.findChild(QLineEdit, "dryRunPolicy")
    page.tabs.setCurrentWidget(page.dry_run)
    picker.setFocus()
    picker.clear()
    qtbot.keyClicks(picker, "secur")
    qtbot.waitUntil(lambda: len(page.dry_run.choices) > 0, timeout=5000)
    qtbot.waitUntil(
        lambda: all("secur" in c.title.lower() for c in page.dry_run.choices), timeout=5000
    )
    labels = page.dry_run.found.stringList()
    assert labels == [c.label for c in page.dry_run.choices] and len(labels) <= 20
    picker.clear()
    qtbot.keyClicks(picker, "pol-003")
    qtbot.waitUntil(lambda: [c.code for c in page.dry_run.choices] == ["POL-003"], timeout=5000)
    picker.setText(page.dry_run.choices[0].label)
    page.dry_run.report = None
    page.dry_run.run()
    qtbot.waitUntil(lambda: page.dry_run.report is not None, timeout=5000)
    assert page.dry_run.report.policy == "POL-003"


def test_diagram_shows_the_rejected_path(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Beside each approval step the diagram draws where a rejection goes: draft, or the
    workflow's on_reject status once it is set."""
    _select(qtbot, page, "Board approval")
    approvals = [
        i for i, a in enumerate(page.editor.to_dict()["actions"]) if a["type"] == "approval"
    ]
    assert approvals
    assert page.diagram.rejected_paths() == [(i, "draft") for i in approvals]
    combo = page.editor.on_reject
    combo.setCurrentIndex(combo.findData("in_review"))
    assert page.editor.to_dict()["on_reject"] == "in_review"
    assert page.diagram.rejected_paths() == [(i, "in_review") for i in approvals]


def test_messages_clear_when_they_no_longer_apply(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A page message about one workflow goes when another is chosen; the dry run's
    "fix the problems first" goes once the definition is valid again."""
    _select(qtbot, page, "Review kickoff")
    page.show_error("Not saved: Review kickoff was not signed.")
    _select(qtbot, page, "Board approval")
    assert page.message.text() == ""
    page.editor.name.clear()
    page.dry_run.run()
    error = page.dry_run.error
    assert error.isVisibleTo(page.dry_run) and "fix them in the editor" in error.text()
    page.editor.name.setText("Board approval")
    assert not error.isVisibleTo(page.dry_run)


def test_workflow_columns_informative_first_and_fitted(page: WorkflowsPage) -> None:
    """Name, trigger and enabled lead the list; each column but the description fits its
    widest cell."""
    model = page.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:3] == ["Name", "Trigger", "Enabled"] and headers[-1] == "Description"
    metrics = page.table.fontMetrics()
    for column in range(model.columnCount() - 1):
        widest = max(
            metrics.horizontalAdvance(str(model.index(r, column).data()))
            for r in range(model.rowCount())
        )
        assert page.table.columnWidth(column) >= widest
