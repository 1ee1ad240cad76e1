"""An inline message: one line beside the control it is about, an error (it names its rule)
or a note, that clears itself once it no longer applies: at the next selection or edit.

    self.message = InlineMessage("usersMessage")
    self.message.clear_on(table.selectionModel().selectionChanged, field.textEdited)
    self.message.error("…(rule: last admin)")
    with self.message.kept():      # a reload re-selects the row: not a new selection
        table.selectRow(row)

Connect `clear_on` to signals a person causes (textEdited rather than textChanged); wrap
programmatic selections in `kept()`. A note that must stay (read-only, why a control is
off) belongs in its own label, not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from governance_desktop.ui.widgets import named

ERROR_LIGHT = "#c0392b"  # on a light window
ERROR_DARK = "#ff7b72"  # on a dark window: the same red would be unreadable


def error_colour() -> str:
    dark = QApplication.palette().window().color().lightness() < 128
    return ERROR_DARK if dark else ERROR_LIGHT


class InlineMessage(QLabel):
    """`error(text)`, `note(text)`, `clear()`; cleared by any signal given to `clear_on`."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, name)
        self.setWordWrap(True)
        self._keep = 0
        self.is_error = False

    def error(self, text: str) -> None:
        self.is_error = True
        self.setStyleSheet(f"color: {error_colour()};")
        self.setText(text)

    def note(self, text: str) -> None:
        self.is_error = False
        self.setStyleSheet("")
        self.setText(text)

    def clear(self) -> None:
        if not self._keep:
            self.is_error = False
            self.setStyleSheet("")
            super().clear()

    def clear_on(self, *signals: SignalInstance) -> None:
        for signal in signals:
            signal.connect(self._cleared_by)

    def _cleared_by(self, *_args: object) -> None:
        self.clear()

    @contextmanager
    def kept(self) -> Iterator[None]:
        """Changes made inside (a reload restoring the selection) do not clear it."""
        self._keep += 1
        try:
            yield
        finally:
            self._keep -= 1
