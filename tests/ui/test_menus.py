"""The window's menu bar: File, View (every page and its shortcut), User and Help, whose
user guide, keyboard shortcuts and About windows show what they promise."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QMenu, QMenuBar, QTextBrowser

from governance_desktop.ui.help.about import AboutDialog
from governance_desktop.ui.help.guide import UserGuideWindow
from governance_desktop.ui.help.shortcuts import ShortcutsDialog, gather
from governance_desktop.ui.pages import PAGES


def _menu(window, title: str) -> QMenu:  # type: ignore[no-untyped-def]
    bar = window.findChild(QMenuBar)
    assert bar is not None
    titles = {a.text().replace("&", ""): a.menu() for a in bar.actions()}
    assert title in titles, titles
    return titles[title]


def _shown(kind: type) -> list:  # type: ignore[type-arg]
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_menu_bar_has_file_view_user_help(window) -> None:  # type: ignore[no-untyped-def]
    """A QMenuBar with File, View, User and Help; View lists every page with its shortcut."""
    for title in ("File", "View", "User", "Help"):
        _menu(window, title)
    view = _menu(window, "View")
    assert [(a.text(), a.shortcut().toString()) for a in view.actions()] == [
        (entry.title, entry.shortcut) for entry in PAGES
    ]
    assert [a.text().replace("&", "") for a in _menu(window, "Help").actions()] == [
        "User guide",
        "Keyboard shortcuts",
        "About Governance Desktop",
    ]


def test_view_menu_opens_the_page(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Choosing Users in the View menu shows the users page."""
    users = next(a for a in _menu(window, "View").actions() if a.text() == "Users")
    users.trigger()
    qtbot.waitUntil(lambda: window.stack.currentWidget().objectName() == "usersPage")


def test_user_guide_opens_rendered(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Help ▸ User guide renders docs/user-guide.md (its headings as text, not Markdown)."""
    _menu(window, "Help").actions()[0].trigger()
    qtbot.waitUntil(lambda: bool(_shown(UserGuideWindow)))
    guide = _shown(UserGuideWindow)[0]
    text = guide.findChild(QTextBrowser, "userGuideText").toPlainText()
    assert "Switch user" in text and not text.startswith("#")
    guide.close()


def test_missing_user_guide_says_so_in_one_line(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A copy without the guide says where it looked, in one line."""
    from governance_desktop.ui.help import guide as module

    module_places = module.guide_places
    module.guide_places = lambda: [tmp_path / "user-guide.md"]  # type: ignore[assignment]
    try:
        window = UserGuideWindow()
        qtbot.addWidget(window)
    finally:
        module.guide_places = module_places  # type: ignore[assignment]
    assert window.missing.text().startswith("The user guide is not installed with this copy")
    assert "\n" not in window.missing.text()


def test_keyboard_shortcuts_lists_every_shortcut(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Help ▸ Keyboard shortcuts lists the pages' shortcuts, Switch user and Quit, gathered
    from the window's actions (a shortcut added later is listed without editing a list)."""
    from PySide6.QtGui import QAction, QKeySequence

    _menu(window, "Help").actions()[1].trigger()
    qtbot.waitUntil(lambda: bool(_shown(ShortcutsDialog)))
    dialog = _shown(ShortcutsDialog)[0]
    listed = {(s.what, s.keys) for s in dialog.shortcuts}
    native = QKeySequence.SequenceFormat.NativeText
    for entry in PAGES:
        assert (entry.title, QKeySequence(entry.shortcut).toString(native)) in listed
    assert ("Switch user…", QKeySequence("Ctrl+Shift+U").toString(native)) in listed
    assert any(what == "Quit" for what, _keys in listed)
    assert dialog.table.rowCount() == len(dialog.shortcuts)
    dialog.close()
    extra = QAction("Do a thing", window.page("auditPage"))
    extra.setShortcut(QKeySequence("Ctrl+Alt+T"))
    window.page("auditPage").addAction(extra)
    assert ("Audit", "Do a thing", QKeySequence("Ctrl+Alt+T").toString(native)) in gather(window)


def test_about_shows_version_data_folder_and_licences(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Help ▸ About: version, data folder, database URL, Python and Qt, and licences read
    from the installed packages' metadata."""
    from governance_desktop import __version__

    _menu(window, "Help").actions()[2].trigger()
    qtbot.waitUntil(lambda: bool(_shown(AboutDialog)), timeout=10_000)
    text = _shown(AboutDialog)[0].text.toPlainText()
    assert f"Governance Desktop {__version__}" in text
    assert str(window.ui.app.settings.data_dir) in text and "sqlite:///" in text
    assert "Python" in text and "Qt" in text
    assert "SQLAlchemy" in text and "MIT" in text and "LGPL-3.0-only" in text
