"""Keyboard and screen-reader checks over a shown widget tree.

`tab_walk` presses Tab the way a keyboard-only person does (real key events to whatever has
focus) and records where focus goes; `controls` lists the inputs a person must be able to
reach; `unnamed` dumps the accessibility names Qt gives each control (what a screen reader
reads) and returns the controls that have none.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

INPUTS = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QTabBar,
)

SCROLL_BARS = ("", "qt_scrollarea_hcontainer", "qt_scrollarea_vcontainer")


def _shown(widget: QWidget, root: QWidget) -> bool:
    return widget.isVisibleTo(root) and widget.isEnabled() and widget.isVisible()


def _inner(widget: QWidget) -> bool:
    """Parts of a composite control that are not tab stops of their own (a combo box's line
    edit, a spin box's editor, a scroll area's scroll bars, a view's header)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox | QAbstractSpinBox | QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


def controls(root: QWidget) -> list[QWidget]:
    """The visible, enabled inputs under `root` that take focus from Tab."""
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INPUTS) or _inner(widget) or not _shown(widget, root):
            continue
        if isinstance(widget, QAbstractSlider) and widget.objectName() in SCROLL_BARS:
            continue
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            found.append(widget)
    return found


def _owner(widget: QWidget | None, wanted: set[int]) -> QWidget | None:
    """`widget` or the closest ancestor that is one of the wanted controls (focus may land on a
    combo box's inner line edit)."""
    while widget is not None:
        if id(widget) in wanted:
            return widget
        widget = widget.parentWidget()
    return None


def tab_walk(root: QWidget, presses: int | None = None) -> list[QWidget]:
    """Focus the first control under `root`, press Tab until focus comes back round (or
    `presses` presses), and return the controls focus visited, in order."""
    wanted = controls(root)
    ids = {id(w) for w in wanted}
    if not wanted:
        return []
    window = root.window()
    window.activateWindow()
    wanted[0].setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    visited: list[QWidget] = []
    seen: set[int] = set()
    limit = presses if presses is not None else 3 * len(wanted) + 20
    for _ in range(limit):
        focus = QApplication.focusWidget()
        owner = _owner(focus, ids)
        if owner is not None and id(owner) not in seen:
            seen.add(id(owner))
            visited.append(owner)
        QTest.keyClick(focus if focus is not None else window, Qt.Key.Key_Tab)
        QApplication.processEvents()
    return visited


def unreachable(root: QWidget) -> list[str]:
    """Names of the controls under `root` that Tab never reaches."""
    reached = {id(w) for w in tab_walk(root)}
    return [describe(w) for w in controls(root) if id(w) not in reached]


def accessible_name(widget: QWidget) -> str:
    """What a screen reader announces as the control's name."""
    iface = QAccessible.queryAccessibleInterface(widget)
    if iface is None:
        return ""
    return iface.text(QAccessible.Text.Name).strip()


def accessibility_dump(root: QWidget) -> list[tuple[str, str]]:
    """(class, accessible name) of every control under `root`."""
    return [(type(w).__name__, accessible_name(w)) for w in controls(root)]


def unnamed(root: QWidget) -> list[str]:
    """Controls under `root` a screen reader would announce without a name."""
    return [describe(w) for w in controls(root) if not accessible_name(w)]


def describe(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QAbstractButton | QLineEdit) else ""
    parent = widget.parentWidget()
    where = parent.objectName() or type(parent).__name__ if parent is not None else ""
    return f"{type(widget).__name__}({widget.objectName()!r}, {text!r}) in {where}"


def settle(qtbot: object, root: QWidget, rounds: int = 60) -> None:
    """Wait until the page's first load is over: no read running and the same controls shown
    in three looks 150 ms apart (rows selected, buttons enabled, details filled)."""
    looks: list[list[str]] = []
    for _ in range(rounds):
        looks.append([describe(w) for w in controls(root)])
        del looks[:-3]
        busy = bool(getattr(root, "reading", False))
        if not busy and len(looks) == 3 and len(looks[0]) > 1 and looks[0] == looks[2]:
            return
        qtbot.wait(150)  # type: ignore[attr-defined]
    raise AssertionError(f"the page never settled: {looks[-1] if looks else []}")
