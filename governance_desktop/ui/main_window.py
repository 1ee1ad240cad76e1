"""The main window: navigation, menu bar (ui/help/menus.py), pages, status bar, remembered
geometry, who is acting (Switch user…), the change poll that keeps every list current
(ui/change_poll.py), and the app-wide watch that keeps a signing session going."""

from __future__ import annotations

from typing import Any
from weakref import WeakMethod

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.identity import Meaning
from governance_desktop.services.change_watch import Watermark
from governance_desktop.services.changes import Changes
from governance_desktop.services.demo import DemoReport
from governance_desktop.services.users import os_username
from governance_desktop.ui.change_poll import ChangePoll
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.help.menus import build_menus
from governance_desktop.ui.pages import PAGES
from governance_desktop.ui.signing.session import ActivityWatch, Signed, SigningAct
from governance_desktop.ui.widgets import named

STATUS_REFRESH_MS = 1000
PAGES_AFTER_SHOW_MS = 250


class MainWindow(QMainWindow):
    """Pages are reached by name through ``page(name)`` (e.g. ``policiesPage``), which builds
    one on first need; see ui/pages/__init__.py."""

    closed = Signal()

    def __init__(self, ui: UiContext, mark: Watermark | None = None) -> None:
        """`mark`: the change watermark read before any page loaded (ui/change_poll.py)."""
        super().__init__()
        self.ui = ui
        self.setObjectName("MainWindow")
        self.setAccessibleName("MainWindow")
        self.os_user = os_username()
        self.pages: dict[str, QWidget] = {}
        self._shutdown_hook: Any = None
        self.nav = named(QListWidget(), "navigation")
        self.nav.setFixedWidth(190)
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.nav.setSpacing(2)
        nav_font = self.nav.font()
        nav_font.setPointSizeF(nav_font.pointSizeF() * 1.1)
        self.nav.setFont(nav_font)
        self.stack = named(QStackedWidget(), "pages")
        self._closing = False
        self.calls = ui.calls(self)
        self.change_poll = ChangePoll(ui, mark, self)
        for name, title, shortcut, _build in PAGES:
            self.stack.addWidget(QWidget())  # placeholder: the page is built when needed
            item = QListWidgetItem(f"  {title}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setSizeHint(QSize(0, 34))
            item.setToolTip(f"{title} ({shortcut})")
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._show_page)
        self.nav.setCurrentRow(0)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        self.banner = self._demo_banner()
        column.addWidget(self.banner)
        row = QHBoxLayout()
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        column.addLayout(row, 1)
        self.setCentralWidget(body)

        self.worker_label = named(QLabel(), "workerStatus")
        self.queue_label = named(QLabel(), "queueDepth")
        self.user_label = named(QLabel(), "currentUser")
        for label in (self.worker_label, self.queue_label, self.user_label):
            self.statusBar().addPermanentWidget(label)
        self._show_actor()
        self.switch_action = QAction("Switch user…", self)
        self.switch_action.setObjectName("switchUserAction")
        self.switch_action.setShortcut(QKeySequence("Ctrl+Shift+U"))
        self.switch_action.setToolTip("Act as another user: their password is asked")
        self.switch_action.triggered.connect(self.choose_user)
        self.addAction(self.switch_action)
        # File, View (the pages' shortcuts), User, Help
        build_menus(
            self, ui, self.calls, self.switch_action, self.nav.setCurrentRow, self.build_pages
        )
        self.activity = ActivityWatch(ui.signing, self)
        watch = WeakMethod(self._watch_activity)  # weakly: the context outlives no window

        def active(on: bool) -> None:
            method = watch()
            if method is not None:
                method(on)

        ui.signing.on_active = active
        self._timer = QTimer(self, interval=STATUS_REFRESH_MS)
        self._timer.timeout.connect(self.refresh_status)
        self._timer.start()
        self.ui.background.on_error = self.show_error
        self._restore()
        self.refresh_status()
        self._check_empty()

    def _watch_activity(self, on: bool) -> None:
        """Key presses and clicks keep a signing session going: watched while one lasts."""
        instance = QApplication.instance()
        if instance is None:
            return
        if on:
            instance.installEventFilter(self.activity)
        else:
            instance.removeEventFilter(self.activity)

    # --- pages, built on first need ----------------------------------------------------------
    # Cold start builds only the first page; the others are built one per event-loop turn,
    # starting PAGES_AFTER_SHOW_MS after the window is first shown (docs/benchmarks.md,
    # part 6), or at once when shown or asked for by name (``page(name)``).

    def page(self, name: str) -> QWidget:
        """The page named `name` (its objectName), built now if it was not yet."""
        for index, entry in enumerate(PAGES):
            if entry.name == name:
                return self._page_at(index)
        raise KeyError(name)

    def open_page(self, name: str, view: str = "") -> QWidget:
        """Show the page named `name`, opened on `view` (see ``Page.open_with``)."""
        page = self.page(name)
        self.nav.setCurrentRow([entry.name for entry in PAGES].index(name))
        open_with = getattr(page, "open_with", None)
        if view and open_with is not None:
            open_with(view)
        return page

    def _page_at(self, index: int) -> QWidget:
        name, title, _shortcut, build = PAGES[index]
        page = self.pages.get(name)
        if page is not None:
            return page
        page = build(self.ui)
        page.setObjectName(name)
        page.setAccessibleName(name)
        self.pages[name] = page
        placeholder = self.stack.widget(index)
        assert placeholder is not None
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        self.stack.setCurrentIndex(current)
        count_changed = getattr(page, "count_changed", None)
        if count_changed is not None:  # e.g. "Approvals (3)": what waits for this user
            count_changed.connect(lambda n, row=index, text=title: self._set_count(row, text, n))
        open_requested = getattr(page, "open_requested", None)
        if open_requested is not None:  # the home page's tiles: (page name, view)
            open_requested.connect(self.open_page)
        self._restore_tables(page)
        return page

    def build_pages(self) -> None:
        for index in range(len(PAGES)):
            self._page_at(index)

    def _show_page(self, index: int) -> None:
        if index >= 0:
            self._page_at(index)
        self.stack.setCurrentIndex(index)

    def _build_next_page(self) -> None:
        if self._closing:
            return
        missing = [i for i, entry in enumerate(PAGES) if entry.name not in self.pages]
        if missing:
            self._page_at(missing[0])
            QTimer.singleShot(0, self, self._build_next_page)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if len(self.pages) < len(PAGES):  # after the first paint, not before it
            QTimer.singleShot(PAGES_AFTER_SHOW_MS, self, self._build_next_page)

    def _set_count(self, row: int, title: str, count: int) -> None:
        item = self.nav.item(row)
        item.setText(f"  {title} ({count})" if count else f"  {title}")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}, {count} waiting")

    # --- status and messages -------------------------------------------------------------

    def show_error(self, message: str) -> None:
        """Errors are shown as one line in the window, never as a traceback."""
        self.statusBar().showMessage(f"Error: {message}", 10_000)

    def show_message(self, message: str) -> None:
        self.statusBar().showMessage(message, 5_000)

    def refresh_status(self) -> None:
        runtime = self.ui.runtime
        if runtime is None or runtime.consumer is None or not runtime.started:
            self.worker_label.setText("Worker: separate process")
        elif runtime.paused:
            self.worker_label.setText(f"Worker: paused ({runtime.workers} workers)")
        else:
            self.worker_label.setText(f"Worker: running ({runtime.workers} workers)")

        self.calls.read(
            self.ui.app.tracker.queue_depth,
            lambda n: self.queue_label.setText(f"Queue: {n}"),
            lambda _err: None,
        )

    # --- first start -----------------------------------------------------------------------

    def _demo_banner(self) -> QFrame:
        frame = named(QFrame(), "demoBanner")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(frame)
        row.addWidget(QLabel("This register is empty. Load the demo data to look around?"))
        button = named(QPushButton("Load demo data"), "loadDemoButton")
        button.clicked.connect(self.load_demo)
        row.addWidget(button)
        frame.hide()
        return frame

    def _check_empty(self) -> None:
        self.calls.read(lambda: not self.ui.app.policies.list(limit=1), self.banner.setVisible)

    def load_demo(self) -> None:
        """Loading the demo is signed by the acting admin; the demo users' initial passwords
        are shown once."""
        act = SigningAct(
            "Load the demo data: publish the demo policies and the example workflows",
            Meaning.PUBLISHED,
            asks_reason=False,
        )
        self.ui.sign(self, act, self.load_demo_signed)

    def load_demo_signed(self, signed: Signed) -> None:
        app, actor = self.ui.app, self.ui.actor

        def run() -> DemoReport:
            return app.load_demo(actor, signed.signer)

        def done(report: DemoReport) -> None:
            self.banner.hide()
            self.show_message("Demo data loaded")
            if report.initial_passwords:
                self.show_passwords(report.initial_passwords)

        self.calls.write(run, done, changes=Changes.ALL)

    def show_passwords(self, passwords: dict[str, str]) -> None:
        """The demo users' initial passwords, shown this once (each is changed at first use)."""
        lines = "\n".join(f"{user}: {password}" for user, password in sorted(passwords.items()))
        box = QMessageBox(self)
        box.setObjectName("demoPasswords")
        box.setWindowTitle("Demo users' initial passwords")
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(
            "Each demo user signs in with this initial password once and then chooses their "
            "own. It is shown only now: note it."
        )
        box.setInformativeText(lines)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # --- who is acting ---------------------------------------------------------------------

    def _show_actor(self) -> None:
        actor = self.ui.actor
        other = "" if actor == self.os_user else f" (signed in on {self.os_user}'s account)"
        self.user_label.setText(f"Signed in as {actor}{other}")
        self.setWindowTitle(f"Governance Desktop — {actor}")

    def choose_user(self) -> None:
        """Switch user…: the sign-in dialog; the window acts as the new user only once they
        have given their password (the OS account's own user needs none)."""
        from governance_desktop.ui.signing.switch import SwitchUserDialog

        dialog = SwitchUserDialog(self.ui.app, self.os_user, self.ui.actor, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def finished(result: int) -> None:
            if result == SwitchUserDialog.DialogCode.Accepted and dialog.username:
                self.act_as(dialog.username)

        dialog.finished.connect(finished)
        dialog.open()

    def act_as(self, username: str) -> None:
        """Act as ``username`` from now on (their identity already proved): the signing
        session ends and every page is built again for them."""
        if username == self.ui.actor:
            return
        self.ui.actor = username
        self.ui.signing.end()
        self._show_actor()
        self._save_tables()
        current = self.stack.currentIndex()
        for index, entry in enumerate(PAGES):
            page = self.pages.pop(entry.name, None)
            if page is None:
                continue
            placeholder = QWidget()
            self.stack.insertWidget(index, placeholder)
            self.stack.removeWidget(page)
            page.deleteLater()
            self._set_count(index, entry.title, 0)
        self.stack.setCurrentIndex(current)
        self._show_page(current)
        self._check_empty()
        self.show_message(f"Now acting as {username}")
        if self.isVisible():
            QTimer.singleShot(PAGES_AFTER_SHOW_MS, self, self._build_next_page)

    # --- geometry and closing --------------------------------------------------------------

    def _settings(self) -> QSettings:
        return QSettings("governance-desktop", "governance-desktop")

    def _tables(self, within: QWidget | None = None) -> list[QTableView]:
        """Named tables of the pages built so far (or of `within`); builds nothing."""
        if within is not None:
            tables = within.findChildren(QTableView)
        else:
            tables = self.findChildren(QTableView)
        return [t for t in tables if t.objectName()]

    @staticmethod
    def _table_key(table: QTableView) -> str:
        """Per table and column count: a layout saved before a table gained or lost a column
        is not laid over the new columns."""
        return f"tables/{table.objectName()}/{table.horizontalHeader().count()}"

    def _restore(self) -> None:
        geometry = self._settings().value("main/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)

    def _restore_tables(self, page: QWidget) -> None:
        settings = self._settings()
        for table in self._tables(page):  # column widths and order, per table
            state = settings.value(self._table_key(table))
            if isinstance(state, QByteArray):
                table.horizontalHeader().restoreState(state)

    def _save_tables(self) -> None:
        settings = self._settings()
        for table in self._tables():
            settings.setValue(self._table_key(table), table.horizontalHeader().saveState())

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True  # pages not built by now are not built for closing
        self._settings().setValue("main/geometry", self.saveGeometry())
        self._save_tables()
        instance = QApplication.instance()
        if instance is not None:
            instance.removeEventFilter(self.activity)
        self._timer.stop()
        self.change_poll.stop()
        self.closed.emit()
        super().closeEvent(event)

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes
