"""The job monitor's table view: fixed row height, progress bars, the informative columns
wide enough to read (the times on the right scroll if the window is narrow)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from governance_desktop.ui.pages.jobs.model import C_PROGRESS, JobsModel
from governance_desktop.ui.pages.jobs.progress import ProgressDelegate
from governance_desktop.ui.widgets import named

COLUMN_WIDTHS = (56, 104, 150, 70, 48, 236, 64, 92, 72, 72, 72, 72)


def make_jobs_table(model: JobsModel) -> QTableView:
    table = named(QTableView(), "jobsTable")
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setIconSize(QSize(9, 9))  # the state colour is a small dot, not a tile
    rows = table.verticalHeader()
    rows.hide()
    # A fixed row height lets the view place a million rows without asking each one.
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(table.fontMetrics().height() + 10)
    for column, width in enumerate(COLUMN_WIDTHS):
        table.setColumnWidth(column, width)
    table.horizontalHeader().setStretchLastSection(True)
    table.setItemDelegateForColumn(C_PROGRESS, ProgressDelegate(table))
    return table
