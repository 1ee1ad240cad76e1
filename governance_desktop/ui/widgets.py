"""Small helpers shared by pages."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """Give a widget the objectName and accessible name tests and screen readers find it by."""
    widget.setObjectName(name)
    widget.setAccessibleName(name)
    return widget
