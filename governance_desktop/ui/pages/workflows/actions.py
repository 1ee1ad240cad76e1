"""The ordered action list: one card per action, with a form for its type.

Widget names inside a card are ``<type><Key>`` (``notifyTitle``) with the error label
``<type><Key>Error`` under it; the card itself is ``actionCard<i>`` (renamed on reorder).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.enums import ActionType, PolicyStatus
from governance_desktop.ui.pages.workflows.conditions import error_label
from governance_desktop.ui.pages.workflows.user_picker import UserPicker
from governance_desktop.ui.widgets import named

ACTION_TITLES = {
    "set_status": "Set status",
    "notify": "Notify",
    "assign": "Assign",
    "create_task": "Create task",
    "approval": "Approval",
}
_PREFIX = {
    "set_status": "status",
    "notify": "notify",
    "assign": "assign",
    "create_task": "task",
    "approval": "approval",
}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head[0].upper() + head[1:] + "".join(p.title() for p in rest)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _due_spin(name: str) -> QSpinBox:
    spin = named(QSpinBox(), name)
    spin.setRange(-1, 3650)
    spin.setSpecialValueText("no due date")
    spin.setSuffix(" days")
    spin.setValue(-1)
    return spin


class ActionForm(QWidget):
    """The fields of one action type; ``values()`` gives its JSON keys."""

    changed = Signal()

    def __init__(self, action_type: str, users: QStringListModel) -> None:
        super().__init__()
        self.action_type = action_type
        self.users = users
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.errors: dict[str, QLabel] = {}
        self.getters: dict[str, Callable[[], Any]] = {}
        self.setters: dict[str, Callable[[Any], None]] = {}
        build = getattr(self, f"_build_{action_type}")
        build()

    def _name(self, key: str) -> str:
        return _PREFIX[self.action_type] + _camel(key)

    def _add(self, key: str, label: str, widget: QWidget) -> None:
        named(widget, self._name(key))
        error = error_label(self._name(key) + "Error")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(error)
        self.form.addRow(label, box)
        self.errors[key] = error

    def _line(self, key: str, label: str, hint: str, omit_empty: bool = True) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(hint)
        self._add(key, label, edit)
        edit.textChanged.connect(self.changed)
        self.getters[key] = lambda: edit.text() or (None if omit_empty else "")
        self.setters[key] = lambda v: edit.setText("" if v is None else str(v))
        return edit

    def _text(self, key: str, label: str, hint: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setPlaceholderText(hint)
        edit.setFixedHeight(56)
        self._add(key, label, edit)
        edit.textChanged.connect(self.changed)
        self.getters[key] = lambda: edit.toPlainText() or None
        self.setters[key] = lambda v: edit.setPlainText("" if v is None else str(v))
        return edit

    def _users(self, key: str, label: str) -> QLineEdit:
        edit = UserPicker(self.users, many=True)
        self._add(key, label, edit)
        edit.textChanged.connect(self.changed)
        self.getters[key] = lambda: _names(edit.text())
        self.setters[key] = lambda v: edit.setText(", ".join(v or []))
        return edit

    def _user(self, key: str, label: str, hint: str) -> QLineEdit:
        edit = UserPicker(self.users, many=False)
        edit.setPlaceholderText(hint)
        self._add(key, label, edit)
        edit.textChanged.connect(self.changed)
        self.getters[key] = lambda: edit.text().strip() or None
        self.setters[key] = lambda v: edit.setText("" if v is None else str(v))
        return edit

    def _due(self, key: str = "due_in_days", label: str = "Due in") -> QSpinBox:
        spin = _due_spin(self._name(key))
        self._add(key, label, spin)
        spin.valueChanged.connect(self.changed)
        self.getters[key] = lambda: None if spin.value() < 0 else spin.value()
        self.setters[key] = lambda v: spin.setValue(-1 if v is None else int(v))
        return spin

    def _build_set_status(self) -> None:
        combo = QComboBox()
        combo.addItems([s.value for s in PolicyStatus])
        self._add("status", "New status", combo)
        combo.currentTextChanged.connect(self.changed)
        self.getters["status"] = combo.currentText
        self.setters["status"] = lambda v: combo.setCurrentText(str(v))

    def _build_notify(self) -> None:
        self._users("users", "Users")
        self._line("title", "Title", "e.g. {policy.code} is ready for review")
        self._text("body", "Body", "optional; placeholders like {policy.title} allowed")

    def _build_assign(self) -> None:
        self._user("user", "User", "user name")

    def _build_create_task(self) -> None:
        self._line("title", "Title", "e.g. Review {policy.code}")
        self._text("description", "Description", "optional")
        self._user("assignee", "Assignee", "empty: the policy's owner")
        self._due()

    def _build_approval(self) -> None:
        self._users("approvers", "Approvers")
        anyone = QCheckBox("every active approver segregation of duties allows")
        self._add("any_approver", "Or ask", anyone)
        anyone.toggled.connect(self.changed)
        self.getters["any_approver"] = lambda: True if anyone.isChecked() else None
        self.setters["any_approver"] = lambda v: anyone.setChecked(bool(v))
        rule = QComboBox()
        rule.addItem("all must approve", "all")
        rule.addItem("any one may approve", "any")
        rule.addItem("at least…", "at_least")
        at_least = named(QSpinBox(), "approvalAtLeast")
        at_least.setRange(1, 50)
        at_least.setPrefix("at least ")
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(rule, 1)
        row.addWidget(at_least)
        self._add("rule", "Rule", box)
        named(rule, "approvalRuleMode")
        at_least.setEnabled(False)

        def get() -> Any:
            mode = rule.currentData()
            return {"at_least": at_least.value()} if mode == "at_least" else mode

        def put(value: Any) -> None:
            if isinstance(value, dict):
                rule.setCurrentIndex(2)
                at_least.setValue(int(value.get("at_least", 1)))
            else:
                rule.setCurrentIndex(max(0, rule.findData(value or "all")))

        rule.currentIndexChanged.connect(lambda: at_least.setEnabled(rule.currentIndex() == 2))
        rule.currentIndexChanged.connect(self.changed)
        at_least.valueChanged.connect(self.changed)
        self.getters["rule"], self.setters["rule"] = get, put
        self._due()
        self._line("title", "Title", "optional, e.g. Board approval of {policy.code}")
        late = self._due("escalate_after_days", "Escalate after")
        late.setSpecialValueText("no escalation")
        late.setToolTip("Days past the due date before the request escalates")
        self._user("escalate_to", "Escalate to", "empty: the admins")

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.action_type}
        for key, get in self.getters.items():
            value = get()
            if value is not None:
                data[key] = value
        return data

    def load(self, data: dict[str, Any]) -> None:
        for key, put in self.setters.items():
            put(data.get(key))


class ActionCard(QGroupBox):
    """One step: its type, its form, and buttons to move or remove it."""

    changed = Signal()
    move_requested = Signal(object, int)
    remove_requested = Signal(object)

    def __init__(self, data: dict[str, Any], users: QStringListModel) -> None:
        super().__init__()
        self.type_combo = named(QComboBox(), "actionType")
        for kind in ActionType:
            self.type_combo.addItem(ACTION_TITLES[kind.value], kind.value)
        buttons = []
        for name, text, tip, slot in (
            (
                "moveActionUpButton",
                "↑",
                "Move up (Alt+Up)",
                lambda: self.move_requested.emit(self, -1),
            ),
            (
                "moveActionDownButton",
                "↓",
                "Move down (Alt+Down)",
                lambda: self.move_requested.emit(self, 1),
            ),
            (
                "removeActionButton",
                "✕",
                "Remove this step",
                lambda: self.remove_requested.emit(self),
            ),
        ):
            button = named(QToolButton(), name)
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.append(button)
        self.up, self.down, self.remove = buttons
        header = QHBoxLayout()
        header.addWidget(QLabel("Type"))
        header.addWidget(self.type_combo)
        header.addStretch(1)
        for button in buttons:
            header.addWidget(button)
        self.error = error_label("actionError")
        self.forms: dict[str, ActionForm] = {}
        column = QVBoxLayout(self)
        column.addLayout(header)
        column.addWidget(self.error)
        for kind in ActionType:  # hidden forms take no space (a stack would take the largest)
            form = ActionForm(kind.value, users)
            form.changed.connect(self.changed)
            form.hide()
            self.forms[kind.value] = form
            column.addWidget(form)
        wanted = str(data.get("type", "notify"))
        self.type_combo.setCurrentIndex(max(0, self.type_combo.findData(wanted)))
        self._show_form()
        self.current_form().load(data)
        self.type_combo.currentIndexChanged.connect(self._type_changed)

    def current_form(self) -> ActionForm:
        return self.forms[str(self.type_combo.currentData())]

    def _show_form(self) -> None:
        current = self.current_form()
        for form in self.forms.values():
            form.setVisible(form is current)

    def _type_changed(self) -> None:
        self._show_form()
        self._set_title()
        self.changed.emit()

    def set_index(self, index: int, count: int) -> None:
        self.index = index
        self.setObjectName(f"actionCard{index}")
        self.setAccessibleName(f"actionCard{index}")
        self.up.setEnabled(index > 0)
        self.down.setEnabled(index < count - 1)
        self._set_title()

    def _set_title(self) -> None:
        self.setTitle(f"Step {self.index + 1}: {self.type_combo.currentText()}")

    def to_dict(self) -> dict[str, Any]:
        return self.current_form().values()

    def error_labels(self, path: str) -> dict[str, QLabel]:
        labels = {path: self.error}
        for key, label in self.current_form().errors.items():
            labels[f"{path}.{key}"] = label
        return labels


class ActionList(QWidget):
    """Cards in order, with add, remove and move up / down."""

    changed = Signal()

    def __init__(self, users: QStringListModel | None = None) -> None:
        super().__init__()
        self.users = users if users is not None else QStringListModel(self)
        self.cards: list[ActionCard] = []
        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        add = named(QToolButton(), "addActionButton")
        add.setText("Add step")
        add.setToolTip("Add a step at the end (Ctrl+Shift+A)")
        add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(add)
        for kind, title in ACTION_TITLES.items():
            menu.addAction(title, self._adder(kind))
        add.setMenu(menu)
        QShortcut(QKeySequence("Ctrl+Shift+A"), self, add.showMenu)
        for keys, step in (("Alt+Up", -1), ("Alt+Down", 1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda s=step: self._move_focused(s))
        self.error = error_label("actionsError")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.error)
        column.addLayout(self.body)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch(1)
        column.addLayout(row)

    def _adder(self, kind: str) -> Callable[[], None]:
        def add() -> None:
            self.add_action({"type": kind})

        return add

    def load(self, actions: list[dict[str, Any]]) -> None:
        for card in list(self.cards):
            self._drop(card)
        for data in actions:
            self._append(data)
        self._renumber()

    def add_action(self, data: dict[str, Any]) -> ActionCard:
        card = self._append(data)
        self._renumber()
        self.changed.emit()
        return card

    def _append(self, data: dict[str, Any]) -> ActionCard:
        card = ActionCard(data, self.users)
        card.changed.connect(self.changed)
        card.move_requested.connect(self.move_card)
        card.remove_requested.connect(self.remove)
        self.cards.append(card)
        self.body.addWidget(card)
        return card

    def _drop(self, card: ActionCard) -> None:
        self.cards.remove(card)
        self.body.removeWidget(card)
        card.setParent(None)
        card.deleteLater()

    def remove(self, card: ActionCard) -> None:
        self._drop(card)
        self._renumber()
        self.changed.emit()

    def move_card(self, card: ActionCard, step: int) -> None:
        i = self.cards.index(card)
        j = i + step
        if not 0 <= j < len(self.cards):
            return
        self.cards[i], self.cards[j] = self.cards[j], self.cards[i]
        self.body.removeWidget(card)
        self.body.insertWidget(j, card)
        self._renumber()
        self.changed.emit()

    def _move_focused(self, step: int) -> None:
        focus = self.focusWidget()
        for card in self.cards:
            if focus is not None and (focus is card or card.isAncestorOf(focus)):
                self.move_card(card, step)
                focus.setFocus()
                return

    def _renumber(self) -> None:
        for i, card in enumerate(self.cards):
            card.set_index(i, len(self.cards))

    def to_list(self) -> list[dict[str, Any]]:
        return [card.to_dict() for card in self.cards]

    def error_labels(self) -> dict[str, QLabel]:
        labels = {"actions": self.error}
        for i, card in enumerate(self.cards):
            labels.update(card.error_labels(f"actions[{i}]"))
        return labels
