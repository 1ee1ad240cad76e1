"""About Governance Desktop: version, data folder, database URL (no password), Python and Qt
versions, and the licences of the bundled libraries (services/about.py reads them from the
installed package metadata)."""

from __future__ import annotations

import html

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from governance_desktop.services.about import AboutFacts
from governance_desktop.ui.widgets import named


def about_html(facts: AboutFacts) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(lib.name)}</td><td>{e(lib.version)}</td><td>{e(lib.licence)}</td></tr>"
        for lib in facts.libraries
    )
    libraries = (
        f"<table cellpadding='3'><tr><th align='left'>Library</th><th align='left'>Version"
        f"</th><th align='left'>Licence</th></tr>{rows}</table>"
        if rows
        else "<p>The bundled libraries' package metadata is not installed with this copy.</p>"
    )
    return (
        f"<h2>Governance Desktop {e(facts.version)}</h2>"
        "<p>Policy register, workflows and approvals for compliance officers.</p>"
        "<table cellpadding='3'>"
        f"<tr><td>Data folder</td><td>{e(facts.data_dir)}</td></tr>"
        f"<tr><td>Database</td><td>{e(facts.database_url)}</td></tr>"
        f"<tr><td>Python</td><td>{e(facts.python)}</td></tr>"
        f"<tr><td>Qt</td><td>{e(qVersion())} (PySide6 {e(PySide6.__version__)})</td></tr>"
        f"</table><h3>Bundled libraries</h3>{libraries}"
    )


class AboutDialog(QDialog):
    def __init__(self, facts: AboutFacts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setAccessibleName("aboutDialog")
        self.setWindowTitle("About Governance Desktop")
        self.resize(620, 560)
        self.text = named(QTextBrowser(), "aboutText")
        self.text.setHtml(about_html(facts))
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(named(QLabel("About this copy"), "aboutTitle"))
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
