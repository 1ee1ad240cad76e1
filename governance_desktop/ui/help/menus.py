"""The window's menu bar: File (Quit), View (every page, with its shortcut), User (Switch
user…) and Help (User guide, Keyboard shortcuts, About Governance Desktop)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QWidget

from governance_desktop.services.about import about_facts
from governance_desktop.ui.background import OwnedCalls
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages import PAGES


def _action(
    window: QMainWindow,
    text: str,
    name: str,
    keys: str | None,
    standard: QKeySequence.StandardKey | None = None,
) -> QAction:
    """`standard`: the platform's keys for it where the platform has some, else `keys`."""
    action = QAction(text, window)
    action.setObjectName(name)
    bindings = QKeySequence.keyBindings(standard) if standard is not None else []
    if bindings:
        action.setShortcuts(bindings)
    elif keys is not None:
        action.setShortcut(QKeySequence(keys))
    window.addAction(action)  # its shortcut works while the menu bar is hidden too
    return action


def build_menus(
    window: QMainWindow,
    ui: UiContext,
    calls: OwnedCalls,
    switch_action: QAction,
    show_page: Callable[[int], None],
    build_pages: Callable[[], None],
) -> None:
    """The menus of `window` (ui/main_window.py passes what they need: this module cannot
    import the window class without an import circle)."""
    bar = window.menuBar()
    bar.setObjectName("menuBar")
    bar.setAccessibleName("menuBar")
    file_menu = bar.addMenu("&File")
    file_menu.setObjectName("fileMenu")
    quit_action = _action(window, "&Quit", "quitAction", "Ctrl+Q", QKeySequence.StandardKey.Quit)
    quit_action.triggered.connect(window.close)
    file_menu.addAction(quit_action)

    view = bar.addMenu("&View")
    view.setObjectName("viewMenu")
    for index, entry in enumerate(PAGES):
        action = _action(
            window, entry.title, f"show{entry.name[0].upper()}{entry.name[1:]}", entry.shortcut
        )
        action.triggered.connect(lambda _=False, i=index: show_page(i))
        view.addAction(action)

    user = bar.addMenu("&User")
    user.setObjectName("userMenu")
    user.addAction(switch_action)

    help_menu = bar.addMenu("&Help")
    help_menu.setObjectName("helpMenu")
    guide = _action(
        window, "User &guide", "userGuideAction", "F1", QKeySequence.StandardKey.HelpContents
    )
    guide.triggered.connect(lambda: open_guide(window))
    keys = _action(window, "&Keyboard shortcuts", "shortcutsAction", "Ctrl+/")
    keys.triggered.connect(lambda: open_shortcuts(window, build_pages))
    about = QAction("&About Governance Desktop", window)
    about.setObjectName("aboutAction")
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(lambda: open_about(window, ui, calls))
    for action in (guide, keys, about):
        help_menu.addAction(action)


def _show(dialog: object) -> None:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # type: ignore[attr-defined]
    dialog.show()  # type: ignore[attr-defined]


def open_guide(window: QWidget) -> None:
    from governance_desktop.ui.help.guide import UserGuideWindow

    _show(UserGuideWindow(window))


def open_shortcuts(window: QWidget, build_pages: Callable[[], None]) -> None:
    """Every page is built first, so its shortcuts are listed too."""
    from governance_desktop.ui.help.shortcuts import ShortcutsDialog

    build_pages()
    _show(ShortcutsDialog(window))


def open_about(window: QWidget, ui: UiContext, calls: OwnedCalls) -> None:
    """Reading the package metadata touches files: off the GUI thread."""
    from governance_desktop.ui.help.about import AboutDialog

    folder, url = ui.app.settings.data_dir, ui.app.settings.effective_database_url
    calls.read(lambda: about_facts(folder, url), lambda facts: _show(AboutDialog(facts, window)))
