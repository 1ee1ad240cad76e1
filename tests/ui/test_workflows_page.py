"""The Workflows page on demo data: list, versions, toggle, save, import/export, dry run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from governance_desktop.domain.workflow.definition import parse_definition_json
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.workflows.models import (
    ActionPreviewsModel,
    ConditionChecksModel,
    WorkflowListModel,
    WorkflowVersionsModel,
)
from governance_desktop.ui.pages.workflows.page import WorkflowsPage
from tests.helpers.pages import make_page
from tests.ui.signing import sign_with_password

#: The demo's workflows: the four examples and the built-in "Standard approval" its policies'
#: moves to awaiting approval asked through (an admin sees it as a workflow).
DEMO_WORKFLOWS = 5


@pytest.fixture
def page(qtbot, ui_ctx: UiContext) -> WorkflowsPage:  # type: ignore[no-untyped-def]
    return open_page(qtbot, ui_ctx)


def open_page(qtbot, ui_ctx: UiContext) -> WorkflowsPage:  # type: ignore[no-untyped-def]
    """The page on demo data, signing with the test password, once everything is loaded."""
    widget = make_page(qtbot, WorkflowsPage(ui_ctx), 1000, 700)
    widget.signed_acts = sign_with_password(ui_ctx)  # type: ignore[attr-defined]
    qtbot.waitUntil(
        lambda: (
            widget.model.rowCount() == DEMO_WORKFLOWS
            and widget.versions_model.rowCount() == 1
            and widget.editor.known_users is not None
            and widget.editor.name.text() == widget.selected_name()
        ),
        timeout=5000,
    )
    return widget


def _select(qtbot, page: WorkflowsPage, name: str) -> None:  # type: ignore[no-untyped-def]
    page.table.selectRow(page.model.row_of(name))
    qtbot.waitUntil(lambda: page.editor.name.text() == name, timeout=5000)


def _info(page: WorkflowsPage, name: str):  # type: ignore[no-untyped-def]
    return page.model.row_at(page.model.row_of(name))


def test_models_pass_qtmodeltester(qtmodeltester, page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The workflow list, versions and dry-run models are well-behaved Qt models."""
    assert page.table.model() is page.model and page.table.objectName() == "workflowsTable"
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.versions_model)
    qtbot.waitUntil(lambda: page.dry_run.policy.text() != "", timeout=5000)  # the first policy
    page.dry_run.run()
    qtbot.waitUntil(lambda: page.dry_run.report is not None, timeout=5000)
    qtmodeltester.check(page.dry_run.conditions_model)
    qtmodeltester.check(page.dry_run.actions_model)
    for empty in (
        WorkflowListModel(),
        WorkflowVersionsModel(),
        ConditionChecksModel(),
        ActionPreviewsModel(),
    ):
        qtmodeltester.check(empty)


def test_toggle_disables_and_enables(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The toggle button disables the selected workflow, then enables it again."""
    _select(qtbot, page, "Board approval")
    button = page.findChild(QPushButton, "toggleWorkflowButton")
    assert button.text() == "Disable"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not _info(page, "Board approval").enabled, timeout=5000)
    assert button.text() == "Enable"
    assert not next(w for w in page.ui.app.workflows.list() if w.name == "Board approval").enabled
    qtbot.waitUntil(lambda: not page.editor.enabled.isChecked(), timeout=5000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _info(page, "Board approval").enabled, timeout=5000)


def test_valid_edit_saves_a_new_version(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Editing a workflow and pressing Save publishes version 2 and lists it."""
    _select(qtbot, page, "Review kickoff")
    save = page.findChild(QPushButton, "saveWorkflowButton")
    assert not save.isEnabled()  # nothing changed yet
    page.editor.description.setPlainText("Kick off a review, with a shorter deadline.")
    assert save.isEnabled()
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _info(page, "Review kickoff").version == 2, timeout=5000)
    qtbot.waitUntil(lambda: page.versions_model.rowCount() == 2, timeout=5000)
    assert page.versions_model.row_at(0).version == 2
    assert "version 2" in page.message.text()
    assert not page.editor.is_dirty() and not save.isEnabled()
    acts = page.signed_acts  # type: ignore[attr-defined]
    assert [(a.what, a.meaning) for a in acts] == [
        ("Publish a new version of workflow Review kickoff", "Published workflow version")
    ]


def test_invalid_edit_cannot_be_saved(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Clearing a notify title shows the error at the field; Save stays disabled."""
    _select(qtbot, page, "Review kickoff")
    card = page.editor.findChild(object, "actionCard1")
    title = card.findChild(QLineEdit, "notifyTitle")
    title.clear()
    error = card.findChild(object, "notifyTitleError")
    save = page.findChild(QPushButton, "saveWorkflowButton")
    dry_run = page.findChild(QPushButton, "dryRunButton")
    # Checking may finish on a later event-loop turn (the user directory is read off-thread).
    qtbot.waitUntil(lambda: error.isVisible() and "title" in error.text(), timeout=5000)
    qtbot.waitUntil(lambda: not save.isEnabled() and not dry_run.isEnabled(), timeout=5000)


def test_new_workflow_is_created(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """New → fill in a name → add a step → Save creates one more workflow, at version 1."""
    qtbot.mouseClick(page.findChild(QPushButton, "newWorkflowButton"), Qt.MouseButton.LeftButton)
    assert page.editor.name.text() == "" and not page.editor.valid
    page.editor.name.setText("Tell me about reviews")
    assert not page.editor.save.isEnabled()  # no step yet
    page.editor.steps.add_action({"type": "notify", "users": ["alice"], "title": "Review"})
    assert page.editor.save.isEnabled()
    page.editor.save.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == DEMO_WORKFLOWS + 1, timeout=5000)
    assert _info(page, "Tell me about reviews").version == 1


def test_dry_run_shows_conditions_and_changes_nothing(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A dry run shows pass / fail per condition and leaves the audit trail as it was."""
    _select(qtbot, page, "Announce published security policies")
    audit_before = len(page.ui.app.audit.events(limit=100_000))
    policies_before = page.ui.app.policies.list()
    for code in ("POL-001", "POL-003"):
        page.dry_run.choose(code)
        page.dry_run.report = None
        qtbot.mouseClick(page.findChild(QPushButton, "dryRunButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.dry_run.report is not None, timeout=5000)
        report = page.dry_run.report
        title = page.ui.app.policies.get(code).title
        passes = "security" in title.lower()
        assert report.conditions_pass is passes
        model = page.dry_run.conditions_model
        shown = [model.index(r, 1).data() for r in range(model.rowCount())]
        assert shown[-1] == ("✓ pass" if passes else "✗ fail")
        assert page.dry_run.actions_model.rowCount() == 5
        assert "Nothing was changed" in page.findChild(object, "dryRunSummary").text()
    assert len(page.ui.app.audit.events(limit=100_000)) == audit_before
    assert page.ui.app.policies.list() == policies_before


def test_diagram_has_a_box_per_step(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The diagram draws trigger, conditions and one box per step; it follows edits."""
    _select(qtbot, page, "Announce published security policies")
    diagram = page.findChild(object, "workflowDiagram")
    roles = [item.data(0) for item in diagram.nodes()]
    assert roles == ["trigger", "conditions", *["action"] * 5]
    approval = diagram.nodes()[5]
    assert approval.data(2) is True and "bob, carol" in approval.toolTip()
    page.editor.steps.add_action({"type": "assign", "user": "bob"})
    assert [item.data(0) for item in diagram.nodes()].count("action") == 6


def test_export_and_import_round_trip(page: WorkflowsPage, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Export writes the JSON file; importing a renamed copy adds a workflow."""
    target = tmp_path / "board.json"
    page.export_to("Board approval", target)
    qtbot.waitUntil(target.exists, timeout=5000)
    qtbot.waitUntil(lambda: "Exported" in page.message.text(), timeout=5000)
    assert parse_definition_json(target.read_text()).name == "Board approval"
    data = json.loads(target.read_text())
    data["name"] = "Board approval (copy)"
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(data))
    page.import_files([copy])
    qtbot.waitUntil(lambda: page.model.rowCount() == DEMO_WORKFLOWS + 1, timeout=5000)
    assert "Board approval (copy) v1 (new)" in page.message.text()
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1}')
    page.import_files([broken])
    qtbot.waitUntil(lambda: page.message.text().startswith("Error:"), timeout=5000)
    assert "broken.json" in page.message.text() and page.model.rowCount() == DEMO_WORKFLOWS + 1


def test_export_refuses_the_data_folder(page: WorkflowsPage, qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """Exporting over governance.db from the window is refused in one line."""
    db_file = ui_ctx.app.settings.data_dir / "governance.db"
    before = db_file.read_bytes()[:100]
    page.export_to("Board approval", db_file)
    qtbot.waitUntil(lambda: "inside the data folder" in page.message.text(), timeout=5000)
    assert (
        db_file.read_bytes()[:100] == before and len(ui_ctx.app.workflows.list()) == DEMO_WORKFLOWS
    )


def test_self_approval_workflow_row_is_red(page: WorkflowsPage, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A workflow that allows self-approval is drawn in red in the list, with a tooltip."""
    from PySide6.QtCore import Qt as _Qt

    from governance_desktop.services.workflows import DefinitionSource
    from governance_desktop.ui.pages.workflows.models import SELF_APPROVAL_COLOUR
    from tests.helpers.actors import ME
    from tests.helpers.identity import signer

    data = json.loads(page.service.export("Board approval"))
    data["allow_self_approval"] = True
    source = DefinitionSource("x.json", data=data)
    page.service.import_definitions(ME, [source], signer=signer(page.ui.app, ME))
    page.refresh()
    qtbot.waitUntil(lambda: _info(page, "Board approval").allow_self_approval, timeout=5000)
    index = page.model.index(page.model.row_of("Board approval"), 0)
    assert page.model.data(index, _Qt.ItemDataRole.ForegroundRole) == SELF_APPROVAL_COLOUR
    assert "approve their own change" in page.model.data(index, _Qt.ItemDataRole.ToolTipRole)


def test_officer_sees_workflows_read_only(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """For an officer, import, new and toggle are disabled and the editor says why."""
    ui_ctx.actor = "alice"
    widget = make_page(qtbot, WorkflowsPage(ui_ctx), 1000, 700)
    qtbot.waitUntil(
        lambda: not widget.admin and widget.model.rowCount() == DEMO_WORKFLOWS, timeout=5000
    )
    assert not widget.import_button.isEnabled() and not widget.new_button.isEnabled()
    assert not widget.toggle_button.isEnabled()
    assert "you are officer" in widget.editor.read_only_note.text()
