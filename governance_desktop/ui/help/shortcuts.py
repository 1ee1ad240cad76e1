"""Keyboard shortcuts: every shortcut the window and its pages define, gathered from their
QActions and QShortcuts when the dialog opens, so the list never goes stale. A page's
QShortcut is listed by its `whatsThis()` (else its objectName): give it one."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.ui.pages import PAGES
from governance_desktop.ui.widgets import named

_PAGE_TITLES = {entry.name: entry.title for entry in PAGES}


class Shortcut(NamedTuple):
    where: str  # "Window" or a page's title
    what: str
    keys: str


def _where(item: QObject) -> str:
    owner: QObject | None = item.parent()
    while owner is not None:
        title = _PAGE_TITLES.get(owner.objectName())
        if title is not None:
            return title
        owner = owner.parent()
    return "Window"


def _keys(sequences: list[QKeySequence]) -> str:
    return ", ".join(
        s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if not s.isEmpty()
    )


def gather(root: QWidget) -> list[Shortcut]:
    """Every action and shortcut under `root` with a key, window-wide ones first."""
    found: set[Shortcut] = set()
    for action in root.findChildren(QAction):
        keys = _keys(action.shortcuts())
        if keys:
            what = action.text().replace("&", "").strip() or action.objectName()
            found.add(Shortcut(_where(action), what, keys))
    for shortcut in root.findChildren(QShortcut):
        keys = _keys([shortcut.key()])
        if keys:
            what = shortcut.whatsThis() or shortcut.objectName() or "(not described)"
            found.add(Shortcut(_where(shortcut), what, keys))
    order = {"Window": -1} | {entry.title: i for i, entry in enumerate(PAGES)}
    return sorted(found, key=lambda s: (order.get(s.where, 99), s.where, s.what))


class ShortcutsDialog(QDialog):
    """A table of `gather(window)`: where, what, keys."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setAccessibleName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 520)
        self.shortcuts = gather(window)
        self.table = named(QTableWidget(len(self.shortcuts), 3), "shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Where", "What", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, shortcut in enumerate(self.shortcuts):
            for column, text in enumerate(shortcut):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
