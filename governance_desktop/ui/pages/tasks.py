"""Placeholder while the page is being built (replaced by its owner)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from governance_desktop.ui.context import UiContext


class TasksPage(QWidget):
    def __init__(self, ui: UiContext) -> None:
        super().__init__()
        self.ui = ui
        QVBoxLayout(self).addWidget(QLabel("TasksPage"))
