"""The workflow form editor on its own: validation as you type, errors next to fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton

from governance_desktop.domain.workflow.definition import definition_to_json, parse_definition
from governance_desktop.ui.pages.workflows.editor import WorkflowEditor

EXAMPLES = Path(__file__).parents[2] / "governance_desktop" / "resources" / "examples"
USERS = {"alice", "bob", "carol", "dave", "me"}


def _example(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture
def editor(qtbot) -> WorkflowEditor:  # type: ignore[no-untyped-def]
    widget = WorkflowEditor("me")
    qtbot.addWidget(widget)
    widget.set_known_users(USERS)
    widget.load(_example("announce-published-security-policies.json"), version=1)
    return widget


def _field(editor: WorkflowEditor, step: int, kind: type, key: str):  # type: ignore[no-untyped-def]
    card = editor.findChild(object, f"actionCard{step}")
    form = card.current_form()
    return form.findChild(kind, form._name(key)), form.findChild(QLabel, form._name(key) + "Error")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_examples_round_trip_through_the_form(editor: WorkflowEditor, name: str) -> None:
    """Every shipped example loads into the form and comes back as the same definition."""
    data = _example(name)
    editor.load(data, version=1)
    assert editor.valid and not editor.is_dirty()
    assert definition_to_json(editor.definition()) == definition_to_json(parse_definition(data))


def test_cleared_title_shows_error_and_disables_save(editor: WorkflowEditor) -> None:
    """Clearing a task's title puts 'title is required' under it and disables Save."""
    title, error = _field(editor, 1, QLineEdit, "title")
    save = editor.findChild(QPushButton, "saveWorkflowButton")
    title.setText("Brief staff again")
    assert save.isEnabled()
    title.clear()
    assert error.isVisibleTo(editor) and "title" in error.text()
    assert not save.isEnabled()
    assert "step 2 title" in editor.findChild(QLabel, "editorErrors").text()
    title.setText("Brief staff on {policy.code}")
    assert not error.isVisibleTo(editor) and editor.valid


def test_unknown_user_in_notify_is_shown_at_users(editor: WorkflowEditor) -> None:
    """A username that does not exist is reported under the notify users field."""
    users, error = _field(editor, 2, QLineEdit, "users")
    users.setText("alice, mallory")
    assert error.isVisibleTo(editor) and error.text() == "unknown user 'mallory'"
    assert not editor.save.isEnabled()


def test_bad_placeholder_and_cron_errors_sit_at_their_fields(editor: WorkflowEditor) -> None:
    """An unknown placeholder and a bad cron expression each show under their own field."""
    title, title_error = _field(editor, 2, QLineEdit, "title")
    title.setText("{policy.__class__}")
    editor.trigger.type.setCurrentIndex(editor.trigger.type.findData("on_schedule"))
    editor.trigger.cron.setText("61 * * * *")
    cron_error = editor.findChild(QLabel, "cronError")
    assert "unknown placeholder" in title_error.text()
    assert "out of range" in cron_error.text() and cron_error.isVisibleTo(editor)
    editor.trigger.cron.setText("0 7 * * 1")
    assert not cron_error.isVisibleTo(editor)
    assert editor.findChild(QLabel, "cronNextRun").text().startswith("Next run:")


def test_condition_builder_groups_and_row_errors(editor: WorkflowEditor) -> None:
    """Rows live in all/any/none groups (nested too); a bad value errs on its row."""
    group = editor.conditions
    row = group.add_row({"field": "status", "op": "in", "value": ["draft"]})
    row.value.setText("draft, nope")
    assert "'nope' is not a status" in row.error.text() and row.error.isVisibleTo(editor)
    row.value.setText("draft, in_review")
    group.mode.setCurrentIndex(group.mode.findData("any"))
    nested = group.add_group(None)
    nested.mode.setCurrentIndex(nested.mode.findData("none"))
    nested.rows()[0].value.setText("Draft")
    assert editor.to_dict()["conditions"] == {
        "any": [
            {"field": "title", "op": "contains", "value": "Security"},
            {"field": "status", "op": "in", "value": ["draft", "in_review"]},
            {"not": {"any": [{"field": "title", "op": "contains", "value": "Draft"}]}},
        ]
    }
    assert editor.valid
    for child in list(group.children_):
        group._remove(child)
    assert "conditions" not in editor.to_dict() and editor.valid


def test_actions_add_move_and_remove(editor: WorkflowEditor) -> None:
    """Steps can be added, moved up / down and removed; cards are renumbered."""
    steps = editor.steps
    card = steps.add_action({"type": "approval"})
    approvers, error = _field(editor, 5, QLineEdit, "approvers")
    assert "needs at least 1 item" in error.text()
    approvers.setText("bob, carol")
    card.current_form().findChild(QComboBox, "approvalRuleMode").setCurrentIndex(2)
    card.findChild(object, "moveActionUpButton").click()
    assert card.objectName() == "actionCard4"
    types = [a["type"] for a in editor.to_dict()["actions"]]
    assert types == ["assign", "create_task", "notify", "approval", "approval", "set_status"]
    assert editor.to_dict()["actions"][4]["rule"] == {"at_least": 1}
    steps.remove(steps.cards[0])
    assert [c.objectName() for c in steps.cards][:1] == ["actionCard0"]
    assert len(editor.to_dict()["actions"]) == 5 and editor.valid


def test_changing_a_step_type_shows_that_form(editor: WorkflowEditor) -> None:
    """Picking another type for a step swaps its form and its JSON keys."""
    card = editor.steps.cards[0]
    card.type_combo.setCurrentIndex(card.type_combo.findData("set_status"))
    assert editor.to_dict()["actions"][0] == {"type": "set_status", "status": "draft"}
    assert card.current_form().isVisibleTo(card)
    assert not card.forms["assign"].isVisibleTo(card)


def test_self_approval_is_red_and_for_admins_only(editor: WorkflowEditor) -> None:
    """Switched on, the option is red; for an officer the form is read-only with a note and
    cannot be saved."""
    editor.load(_example("board-approval.json"), version=1)
    assert "c0392b" not in editor.allow_self.styleSheet()
    editor.allow_self.setChecked(True)
    assert "c0392b" in editor.allow_self.styleSheet()
    assert editor.save.isEnabled()
    editor.set_actor_role("officer", admin=False)
    assert not editor.allow_self.isEnabled() and not editor.form.isEnabled()
    assert not editor.save.isEnabled()
    assert editor.read_only_note.isVisibleTo(editor)
    assert "only an admin may change workflows" in editor.read_only_note.text()
