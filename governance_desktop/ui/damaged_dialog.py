"""The dialog shown when governance.db is damaged: restore the latest backup, or quit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from governance_desktop.store.autobackup import list_backups
from governance_desktop.store.integrity import DamagedDatabaseError


def backup_time(backup: Path) -> datetime | None:
    """When a backup in backups/ was taken (from its name), in local time."""
    for found in list_backups(backup.parent, backup.name.split("-", 1)[0]):
        if found.path.name == backup.name:
            return found.taken_at.astimezone()
    return None


class DamagedDatabaseDialog(QMessageBox):
    """“governance.db is damaged … Restore the automatic backup from <time>?” Restore / Quit."""

    def __init__(self, error: DamagedDatabaseError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Governance Desktop")
        self.setIcon(QMessageBox.Icon.Critical)
        name = error.path.name
        self.setText(f"{name} is damaged and cannot be opened safely.")
        details = f"{error.path}\nSQLite says: {error.detail}."
        self.restore_button = None
        if error.backup is not None:
            taken = backup_time(error.backup)
            when = taken.strftime("%Y-%m-%d %H:%M %Z") if taken else error.backup.name
            self.setInformativeText(
                f"{details}\n\nRestore the automatic backup from {when}? Changes made after "
                f"it are lost; the damaged file is kept in {error.backup.parent}."
            )
            self.restore_button = self.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
            self.setDefaultButton(self.restore_button)
        else:
            self.setInformativeText(
                f"{details}\n\nThere is no automatic backup to restore. Restore a copy you "
                "made with the command line: governance-desktop restore FILE"
            )
        self.quit_button = self.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
        self.setEscapeButton(self.quit_button)

    def wants_restore(self) -> bool:
        return self.restore_button is not None and self.clickedButton() is self.restore_button
