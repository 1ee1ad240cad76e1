"""Desktop notifications through the system tray, when the desktop has one."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

log = logging.getLogger(__name__)


class TrayNotifier(QObject):
    """Shows ``notify(title, body)`` as a tray balloon; without a tray it logs once and stays
    quiet (offscreen tests, minimal window managers). `shown` records what was raised."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.shown: list[tuple[str, str]] = []
        self._icon: QSystemTrayIcon | None = None
        self._logged = False

    @staticmethod
    def available() -> bool:
        return bool(QSystemTrayIcon.isSystemTrayAvailable())

    def notify(self, title: str, body: str) -> None:
        self.shown.append((title, body))
        if not self.available():
            if not self._logged:
                self._logged = True
                log.info("no system tray here; desktop notifications are off")
            return
        if self._icon is None:
            self._icon = QSystemTrayIcon(self._app_icon(), self)
            self._icon.setToolTip("Governance Desktop")
            self._icon.show()
        self._icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 8000)

    @staticmethod
    def _app_icon() -> QIcon:
        app = QApplication.instance()
        icon = app.windowIcon() if isinstance(app, QApplication) else QIcon()
        if icon.isNull() and isinstance(app, QApplication):
            icon = app.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        return icon

    def close(self) -> None:
        if self._icon is not None:
            self._icon.hide()
            self._icon = None
