"""The audit page for a working day: the export writes the filtered view, a date range
filters (bad ranges refused beside the dates), the details pane shows an event whole, and
the informative columns come first, sized to their content."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QLabel, QLineEdit

from governance_desktop.services.audit import verify_export
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.audit.model import C_ACTION, C_DETAILS, C_WHEN, COLUMNS
from governance_desktop.ui.pages.audit.page import AuditPage
from tests.helpers.pages import make_page


def _page(ui_ctx: UiContext, qtbot) -> AuditPage:  # type: ignore[no-untyped-def]
    page = make_page(qtbot, AuditPage(ui_ctx), 1000, 600)
    qtbot.waitUntil(lambda: not page.model.loading and page.model.rowCount() > 0, timeout=5000)
    return page


def _shown_ids(page: AuditPage) -> list[int]:
    return sorted(e.id for r in range(page.model.rowCount()) if (e := page.model.row_item(r)))


def test_export_writes_the_filtered_view(ui_ctx: UiContext, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With a filter set, Export writes exactly the events shown (same cells, same chain
    file rules, the filter named in it), and verify-export checks that file."""
    page = _page(ui_ctx, qtbot)
    total = page.model.rowCount()
    page.findChild(QLineEdit, "auditFilterEntity").setText("POL-003")
    qtbot.waitUntil(lambda: 0 < page.model.rowCount() < total, timeout=5000)
    qtbot.waitUntil(
        lambda: None not in [page.model.row_item(r) for r in range(page.model.rowCount())],
        timeout=5000,
    )
    target = tmp_path / "pol-003.csv"
    page.export_to(target)
    message = page.findChild(QLabel, "auditMessage")
    qtbot.waitUntil(lambda: message.text().startswith("Exported"), timeout=10000)
    assert "shown by the filter" in message.text() and "chain intact" in message.text()
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["id"]) for r in rows] == _shown_ids(page)
    assert {r["entity_id"] for r in rows} == {"POL-003"}
    chain = (tmp_path / "pol-003.csv.chain.txt").read_text()
    assert "view entity~'POL-003'" in chain and f"events {len(rows)}" in chain
    assert verify_export(target).ok
    edited = target.read_text(encoding="utf-8").replace("POL-003", "POL-004", 1)
    target.write_text(edited, encoding="utf-8")
    assert not verify_export(target).ok
    page.hide()


def test_date_range_filters_and_refuses_a_bad_range(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """From/To take local calendar dates; a range ending before it starts, or a date that is
    no date, is refused beside the dates and the table keeps its rows; the message goes
    once the dates are right."""
    page = _page(ui_ctx, qtbot)
    total = page.model.rowCount()
    today = dt.datetime.now().astimezone().date()
    start = page.findChild(QLineEdit, "auditFilterFrom")
    end = page.findChild(QLineEdit, "auditFilterTo")
    error = page.findChild(QLabel, "auditDateError")
    start.setText(str(today + dt.timedelta(days=1)))
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
    start.setText(str(today))
    end.setText(str(today))
    qtbot.waitUntil(lambda: page.model.rowCount() == total, timeout=5000)
    end.setText(str(today - dt.timedelta(days=1)))
    qtbot.waitUntil(lambda: error.isVisible(), timeout=5000)
    assert "ends" in error.text() and "before it starts" in error.text()
    assert page.model.rowCount() == total
    end.setText("2026-02-30")
    qtbot.waitUntil(lambda: "'to' is not a date" in error.text(), timeout=5000)
    end.clear()
    qtbot.waitUntil(lambda: not error.isVisible(), timeout=5000)
    assert error.text() == "" and page.model.rowCount() == total
    page.hide()


def test_details_pane_shows_the_selected_event(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Selecting an event shows all its fields, its details as indented JSON and both hashes;
    a signature.applied event shows the signature's manifestation."""
    page = _page(ui_ctx, qtbot)
    pane = page.findChild(object, "auditDetailsPane")
    page.table.selectRow(0)
    event = page.model.row_item(0)
    assert event is not None and pane.shown == event
    text = pane.toPlainText()
    for part in (event.actor, event.action, event.entity_id, event.hash, event.prev_hash):
        assert part in text
    page.findChild(QLineEdit, "auditFilterAction").setText("signature.applied")
    qtbot.waitUntil(
        lambda: (
            page.model.rowCount() > 0
            and all(
                e is not None and e.action == "signature.applied"
                for e in (page.model.row_item(r) for r in range(page.model.rowCount()))
            )
        ),
        timeout=5000,
    )
    page.table.selectRow(0)
    signed = page.model.row_item(0)
    assert signed is not None and pane.shown == signed
    assert signed.details["manifestation"] in pane.toPlainText()
    assert '\n  "meaning": ' in pane.toPlainText()  # JSON, indented
    page.hide()


def test_informative_columns_first_and_fitted(ui_ctx: UiContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    """When, actor, action, entity and details lead; id and hash follow; the columns are
    sized to what they hold."""
    page = _page(ui_ctx, qtbot)
    assert COLUMNS[:5] == ("When", "Actor", "Action", "Entity", "Details")
    metrics = page.table.fontMetrics()
    qtbot.waitUntil(lambda: page._fitted, timeout=5000)
    for column in (C_WHEN, C_ACTION):
        widest = max(
            metrics.horizontalAdvance(str(page.model.index(r, column).data()))
            for r in range(min(page.model.rowCount(), 50))
        )
        assert page.table.columnWidth(column) >= widest
    assert page.table.columnWidth(C_DETAILS) > page.table.columnWidth(C_WHEN)
    page.hide()
