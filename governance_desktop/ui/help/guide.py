"""The user guide (docs/user-guide.md) rendered in a window. A bundle ships it under
`governance_desktop/resources/docs/` (packaging/governance-desktop.spec); a checkout or an
editable install reads the repository's docs/ folder."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QLabel, QTextBrowser, QVBoxLayout, QWidget

from governance_desktop.ui.widgets import named

GUIDE = "user-guide.md"


def guide_places() -> list[Path]:
    """Where the guide is looked for, in order."""
    shipped = Path(str(resources.files("governance_desktop") / "resources" / "docs" / GUIDE))
    checkout = Path(__file__).resolve().parents[3] / "docs" / GUIDE
    return [shipped, checkout]


def find_guide() -> Path | None:
    return next((place for place in guide_places() if place.is_file()), None)


class UserGuideWindow(QDialog):
    """The guide, with its pictures and its links to the other documents beside it."""

    def __init__(self, parent: QWidget | None = None, guide: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("userGuide")
        self.setAccessibleName("userGuide")
        self.setWindowTitle("Governance Desktop — User guide")
        self.resize(820, 640)
        layout = QVBoxLayout(self)
        path = guide if guide is not None else find_guide()
        self.browser = named(QTextBrowser(), "userGuideText")
        self.missing = named(QLabel(), "userGuideMissing")
        self.missing.setWordWrap(True)
        if path is None:
            self.missing.setText(
                f"The user guide is not installed with this copy (looked for {GUIDE} in "
                + ", ".join(str(p.parent) for p in guide_places())
                + ")."
            )
            self.browser.hide()
        else:
            self.missing.hide()
            self.browser.setSearchPaths([str(path.parent)])
            self.browser.setOpenExternalLinks(True)
            self.browser.setSource(QUrl.fromLocalFile(str(path)))  # Markdown by its suffix
        layout.addWidget(self.missing)
        layout.addWidget(self.browser, 1)
