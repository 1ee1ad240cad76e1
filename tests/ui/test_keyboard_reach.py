"""Every page can be used with the keyboard alone and read by a screen reader: Tab reaches
every control (no table or text box keeps focus), and every control has a name."""

from __future__ import annotations

import pytest

from governance_desktop.ui.pages import PAGES
from tests.helpers.a11y import accessibility_dump, settle, tab_walk, unnamed, unreachable


@pytest.mark.parametrize("name", [entry.name for entry in PAGES])
def test_tab_reaches_every_control_of_the_page(window, qtbot, name) -> None:  # type: ignore[no-untyped-def]
    """Pressing Tab from the page's first control visits every visible, enabled control."""
    page = window.open_page(name)
    settle(qtbot, page)
    assert unreachable(page) == []


@pytest.mark.parametrize("name", [entry.name for entry in PAGES])
def test_every_control_of_the_page_has_an_accessible_name(window, qtbot, name) -> None:  # type: ignore[no-untyped-def]
    """The accessibility tree of the page names every control a screen reader lands on."""
    page = window.open_page(name)
    settle(qtbot, page)
    assert accessibility_dump(page)
    assert unnamed(page) == []


def test_the_approvals_comment_box_is_reached_from_a_full_table(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A keyboard-only approver gets from the (non-empty) inbox table to the comment box and
    the Reject button (before: Tab stayed in the table for 200 presses)."""
    page = window.open_page("approvalsPage")
    qtbot.waitUntil(lambda: page.table.model().rowCount() > 0, timeout=10_000)
    page.table.selectRow(0)
    reached = {widget.objectName() for widget in tab_walk(page)}
    assert {"approvalsTable", "approvalComment", "rejectButton"} <= reached
