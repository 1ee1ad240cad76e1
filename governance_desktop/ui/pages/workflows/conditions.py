"""Condition builder: rows of field / op / value inside nested all / any / none groups.

A "none" group is written as ``{"not": {"any": [...]}}``; any ``not`` read from a file is
shown that way, which means the same.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.fields import CONDITION_FIELDS
from governance_desktop.domain.workflow.condition_model import ConditionOp
from governance_desktop.ui.widgets import named

MODES = (("all", "all of"), ("any", "any of"), ("none", "none of"))
NUMBER_FIELDS = frozenset({"review_interval_days", "version"})
LIST_OPS = frozenset({"in", "not_in"})
ORDER_OPS = frozenset({"gt", "gte", "lt", "lte"})


def error_label(name: str) -> QLabel:
    """A hidden one-line error shown under a field (accent colour, wraps)."""
    label = named(QLabel(), name)
    label.setWordWrap(True)
    label.setStyleSheet("color: #c0392b;")  # a small status accent, readable on light and dark
    label.hide()
    return label


def _scalar(field: str, op: str, text: str) -> Any:
    text = text.strip()
    if field in NUMBER_FIELDS or op in ORDER_OPS:
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
    return text


def parse_value(field: str, op: str, text: str) -> Any:
    """The JSON value a person means by ``text`` for this field and op."""
    if op in LIST_OPS:
        return [_scalar(field, op, part) for part in text.split(",") if part.strip()]
    return _scalar(field, op, text)


def value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


class ConditionRow(QWidget):
    """One test: field, op, value; its error shows underneath."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.field = named(QComboBox(), "conditionField")
        self.field.addItems(list(CONDITION_FIELDS))
        self.op = named(QComboBox(), "conditionOp")
        self.op.addItems([op.value for op in ConditionOp])
        self.value = named(QLineEdit(), "conditionValue")
        self.value.setPlaceholderText("value (a, b for in / not_in)")
        self.empty = named(QComboBox(), "conditionEmpty")
        self.empty.addItems(["is empty", "is not empty"])
        remove = named(QPushButton("Remove"), "removeConditionButton")
        remove.setToolTip("Remove this condition")
        remove.clicked.connect(lambda: self.remove_requested.emit(self))
        self.error = error_label("conditionError")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field, 2)
        row.addWidget(self.op, 1)
        row.addWidget(self.value, 3)
        row.addWidget(self.empty, 3)
        row.addWidget(remove)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.error)
        if data:
            self.field.setCurrentText(str(data.get("field", "")))
            self.op.setCurrentText(str(data.get("op", "eq")))
            value = data.get("value")
            self.value.setText(value_text(value))
            self.empty.setCurrentIndex(1 if value is False else 0)
        self._sync()
        self.field.currentTextChanged.connect(self.changed)
        self.op.currentTextChanged.connect(self._sync)
        self.op.currentTextChanged.connect(self.changed)
        self.value.textChanged.connect(self.changed)
        self.empty.currentIndexChanged.connect(self.changed)

    def _sync(self) -> None:
        is_null = self.op.currentText() == "is_null"
        self.value.setVisible(not is_null)
        self.empty.setVisible(is_null)

    def to_dict(self) -> dict[str, Any]:
        field, op = self.field.currentText(), self.op.currentText()
        if op == "is_null":
            return {"field": field, "op": op, "value": self.empty.currentIndex() == 0}
        return {"field": field, "op": op, "value": parse_value(field, op, self.value.text())}

    def error_labels(self, path: str) -> dict[str, QLabel]:
        return {path: self.error}


class ConditionGroup(QFrame):
    """A group of conditions and nested groups, matched with all, any or none."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, data: dict[str, Any] | None = None, *, nested: bool = False) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel if nested else QFrame.Shape.NoFrame)
        self.nested = nested
        self.children_: list[ConditionRow | ConditionGroup] = []
        self.mode = named(QComboBox(), "conditionMode")
        for key, text in MODES:
            self.mode.addItem(text, key)
        self.mode.setToolTip("How the conditions below combine")
        add_row = named(QPushButton("Add condition"), "addConditionButton")
        add_row.clicked.connect(lambda: self.add_row({"field": "title", "op": "contains"}))
        add_group = named(QPushButton("Add group"), "addConditionGroupButton")
        add_group.clicked.connect(lambda: self.add_group(None))
        header = QHBoxLayout()
        header.addWidget(QLabel("Match" if not nested else "Group: match"))
        header.addWidget(self.mode)
        header.addWidget(QLabel("the following:"))
        header.addStretch(1)
        header.addWidget(add_row)
        header.addWidget(add_group)
        if nested:
            remove = named(QPushButton("Remove group"), "removeConditionGroupButton")
            remove.clicked.connect(lambda: self.remove_requested.emit(self))
            header.addWidget(remove)
        self.error = error_label("conditionGroupError")
        self.body = QVBoxLayout()
        self.body.setContentsMargins(16 if nested else 0, 0, 0, 0)
        self.hint = QLabel("No conditions: the workflow runs for every policy.")
        self.hint.setEnabled(False)
        column = QVBoxLayout(self)
        margin = 6 if nested else 0
        column.setContentsMargins(margin, margin, margin, margin)
        column.addLayout(header)
        column.addWidget(self.error)
        column.addLayout(self.body)
        column.addWidget(self.hint)
        self.load(data)
        self.mode.currentIndexChanged.connect(self.changed)

    # --- building -------------------------------------------------------------------------

    def load(self, data: dict[str, Any] | None) -> None:
        """Show ``data`` (a condition dict, or None for no conditions)."""
        for child in list(self.children_):
            self._remove(child, notify=False)
        mode, items = "all", list[Any]()
        if isinstance(data, dict):
            if "not" in data:
                inner = data["not"]
                mode = "none"
                items = inner["any"] if isinstance(inner, dict) and "any" in inner else [inner]
            elif "any" in data:
                mode, items = "any", list(data["any"])
            elif "all" in data:
                items = list(data["all"])
            else:
                items = [data]
        self.mode.blockSignals(True)
        self.mode.setCurrentIndex(self.mode.findData(mode))
        self.mode.blockSignals(False)
        for item in items:
            is_group = isinstance(item, dict) and ({"all", "any", "not"} & item.keys())
            self._add(ConditionGroup(item, nested=True) if is_group else ConditionRow(item), False)
        self._update_hint()

    def add_row(self, data: dict[str, Any] | None = None) -> ConditionRow:
        row = ConditionRow(data)
        self._add(row, True)
        return row

    def add_group(self, data: dict[str, Any] | None) -> ConditionGroup:
        group = ConditionGroup(data or {"all": [{"field": "title", "op": "contains"}]}, nested=True)
        self._add(group, True)
        return group

    def _add(self, child: ConditionRow | ConditionGroup, notify: bool) -> None:
        self.children_.append(child)
        self.body.addWidget(child)
        child.changed.connect(self.changed)
        child.remove_requested.connect(self._remove)
        self._update_hint()
        if notify:
            self.changed.emit()

    def _remove(self, child: ConditionRow | ConditionGroup, notify: bool = True) -> None:
        self.children_.remove(child)
        self.body.removeWidget(child)
        child.setParent(None)
        child.deleteLater()
        self._update_hint()
        if notify:
            self.changed.emit()

    def _update_hint(self) -> None:
        self.hint.setVisible(not self.nested and not self.children_)

    # --- reading --------------------------------------------------------------------------

    def _key(self) -> str:
        return str(self.mode.currentData())

    def to_dict(self) -> dict[str, Any] | None:
        """The condition as JSON data; None for an empty top-level group."""
        if not self.children_ and not self.nested:
            return None
        items = [child.to_dict() for child in self.children_]
        if self._key() == "none":
            return {"not": {"any": items}}
        return {self._key(): items}

    def _list_path(self, path: str) -> str:
        return f"{path}.not.any" if self._key() == "none" else f"{path}.{self._key()}"

    def error_labels(self, path: str) -> dict[str, QLabel]:
        """Where each JSON path's error is shown (a path falls back to its parents)."""
        labels = {path: self.error}
        base = self._list_path(path)
        labels[base] = self.error
        for i, child in enumerate(self.children_):
            labels.update(child.error_labels(f"{base}[{i}]"))
        return labels

    def rows(self) -> list[ConditionRow]:
        """Every row, nested groups included, in order."""
        found: list[ConditionRow] = []
        for child in self.children_:
            found.extend(child.rows() if isinstance(child, ConditionGroup) else [child])
        return found
