"""The policy page's "Export evidence…" button: asks where, collects the selected policy's
evidence off the GUI thread, paints the PDF on it (Qt paints there only) and writes the PDF
and its CSV bundle off it again. A refusal or failure is shown next to the button."""

from __future__ import annotations

from collections.abc import Callable
from inspect import ismethod
from pathlib import Path
from weakref import WeakMethod

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from governance_desktop.services.evidence import Evidence
from governance_desktop.services.evidence_files import Written, write_evidence
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.evidence.pdf import render_pdf
from governance_desktop.ui.widgets import named


class EvidenceExport(QWidget):
    """The button and its one-line message; `selected` gives the selected policy's code."""

    exported = Signal(object)  # Written
    failed = Signal(str)

    def __init__(self, ui: UiContext, selected: Callable[[], str | None]) -> None:
        super().__init__()
        self.ui = ui
        # Weakly: the page owns this widget, and a strong reference back to the page's
        # method made a cycle the collector cleared while Qt still used the page's models.
        self._selected = WeakMethod(selected) if ismethod(selected) else lambda: selected
        self.calls = ui.calls(self)
        self.button = named(QPushButton("Export evidence…"), "exportEvidenceButton")
        self.button.setToolTip(
            "Write the selected policy's evidence record (PDF) and its CSV bundle"
        )
        self.button.clicked.connect(self.start)
        self.message = named(QLabel(), "exportEvidenceMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.message, 1)
        #: Where to write (None: cancelled); tests replace the file dialog.
        self.ask_path: Callable[[str], str | None] = self._ask

    def _ask(self, code: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export the evidence record of {code}", f"{code}-evidence.pdf", "PDF (*.pdf)"
        )
        return path or None

    def start(self) -> None:
        selected = self._selected()
        code = selected() if selected is not None else None
        if code is None:
            self._show("Select a policy first.")
            return
        path = self.ask_path(code)
        if path:
            self.export(code, Path(path))

    def export(self, code: str, path: Path) -> None:
        """Collect (background), paint (here), write (background)."""
        app, actor = self.ui.app, self.ui.actor
        self.button.setEnabled(False)
        self._show(f"Exporting the evidence record of {code}…")

        def collected(evidence: Evidence) -> None:
            try:
                pdf = render_pdf(evidence)
            except Exception as exc:  # painting failed: one line, never a traceback
                self._failed(f"could not paint the PDF ({type(exc).__name__}: {exc})")
                return
            protected = app.protected
            self.calls.read(
                # the file dialog already asked before replacing a file
                lambda: write_evidence(evidence, pdf, path, protected, force=True),
                self._written,
                self._failed,
            )

        self.calls.read(lambda: app.evidence.collect(actor, code), collected, self._failed)

    def _written(self, written: Written) -> None:
        self.button.setEnabled(True)
        self._show(f"Wrote {written.pdf} and {written.bundle.name}")
        self.exported.emit(written)

    def _failed(self, error: str) -> None:
        self.button.setEnabled(True)
        self._show(f"Not exported: {error}")
        self.failed.emit(error)

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
