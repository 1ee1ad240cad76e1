"""Small helpers shared by pages."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QAbstractItemView, QPlainTextEdit, QTextEdit, QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """Give a widget the objectName and accessible name tests and screen readers find it by,
    and let Tab leave it (see `tab_leaves`)."""
    widget.setObjectName(name)
    widget.setAccessibleName(name)
    tab_leaves(widget)
    return widget


def tab_leaves(widget: QWidget) -> None:
    """Tab moves focus to the next control instead of moving inside a table or typing a tab
    character into a text box (a keyboard-only person could not get past either; arrows and
    Ctrl+Tab still move inside)."""
    if isinstance(widget, QAbstractItemView):
        widget.setTabKeyNavigation(False)
    elif isinstance(widget, QTextEdit | QPlainTextEdit):
        widget.setTabChangesFocus(True)
