"""User fields of the workflow editor: a line edit that completes user names from the user
list (shared by every field of the editor, reloaded when users change).

A field holding several users (notify recipients, approvers) completes the name after the
last comma; Down or Ctrl+Space opens the whole list.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QStringListModel, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

Index = QModelIndex | QPersistentModelIndex


class UserCompleter(QCompleter):
    """Completes the name being typed; with ``many``, the one after the last comma."""

    def __init__(self, users: QStringListModel, many: bool, parent: QWidget) -> None:
        super().__init__(users, parent)
        self.many = many
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)

    def splitPath(self, path: str) -> list[str]:
        return [path.rsplit(",", 1)[-1].strip() if self.many else path.strip()]

    def pathFromIndex(self, index: Index) -> str:
        name = str(index.data())
        widget = self.widget()
        if not self.many or not isinstance(widget, QLineEdit):
            return name
        head = widget.text().rsplit(",", 1)[0] if "," in widget.text() else ""
        return f"{head}, {name}" if head.strip() else name


class UserPicker(QLineEdit):
    """A user name field (or a comma-separated list) with completion from the user list."""

    def __init__(self, users: QStringListModel, many: bool) -> None:
        super().__init__()
        self.many = many
        self.setPlaceholderText(
            "user names, separated by commas (Down lists them)" if many else "user name"
        )
        self.setCompleter(UserCompleter(users, many, self))
        self.setToolTip("Type to complete a user name; Down or Ctrl+Space lists every user")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        completer = self.completer()
        popup = completer.popup()
        listing = event.key() == Qt.Key.Key_Down or (
            event.key() == Qt.Key.Key_Space
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        )
        if listing and (popup is None or not popup.isVisible()):
            completer.setCompletionPrefix(completer.splitPath(self.text())[0])
            completer.complete()
            return
        super().keyPressEvent(event)
