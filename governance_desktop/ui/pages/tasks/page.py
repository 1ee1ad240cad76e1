"""Tasks and notifications of the current user (or everyone's), with desktop notifications.

Tasks are sorted in SQL on any column (no cap: every task is listed); an overdue open task is
tinted and its Due cell says "Overdue 3 days"; several tasks can be marked done at once, and
the next open task is then selected."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.clock import local_date, utc_now
from governance_desktop.domain.enums import TaskStatus
from governance_desktop.services.changes import Changes
from governance_desktop.services.dto import NotificationInfo, TaskInfo
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.approvals.model import OVERDUE_BACKGROUND, overdue_text
from governance_desktop.ui.pages.policies.details import fit_columns, record_table
from governance_desktop.ui.pages.policies.models import Column, RecordTableModel, show
from governance_desktop.ui.tray import TrayNotifier
from governance_desktop.ui.widgets import named

# USERS: a deactivated user's tasks are reassigned.
SHOWN = Changes.TASKS | Changes.NOTIFICATIONS | Changes.USERS
Loaded = tuple[list[TaskInfo], list[NotificationInfo]]


def overdue_days(t: TaskInfo) -> int | None:
    """Days an open task is past its due date (None: not overdue; due today is not)."""
    if t.status != TaskStatus.OPEN or t.due_date is None:
        return None
    days = (local_date(utc_now()) - t.due_date).days
    return days if days > 0 else None


def _overdue(t: TaskInfo) -> bool:
    return overdue_days(t) is not None


def _due(t: TaskInfo) -> str:
    when, late = show(t.due_date), overdue_text(overdue_days(t))
    return f"{when} · {late}" if late else when


TASK_COLUMNS: list[Column] = [
    ("Task", lambda t: t.title),
    ("Policy", lambda t: t.entity),
    ("Assignee", lambda t: t.assignee),
    ("Status", lambda t: t.status),
    ("Due", _due),
    ("Created", lambda t: t.created_at),
]
#: The name `InboxService.tasks` sorts each column by.
TASK_SORTS = ["title", "policy", "assignee", "status", "due", "created"]


class TasksModel(RecordTableModel[TaskInfo]):
    """Task rows; overdue open ones on a red tint (their Due cell says how late)."""

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.BackgroundRole
            and index.isValid()
            and 0 <= index.row() < self.rowCount()
            and _overdue(self.row(index.row()))
        ):
            return OVERDUE_BACKGROUND
        return super().data(index, role)


NOTE_COLUMNS: list[Column] = [
    ("Notification", lambda n: n.title),
    ("Policy", lambda n: n.entity),
    ("For", lambda n: n.user),
    ("Received", lambda n: n.created_at),
    ("Read", lambda n: n.read_at),
]


class TasksPage(Page):
    """Mark tasks done and notifications read; new notifications also reach the tray."""

    loaded = Signal()

    def __init__(self, ui: UiContext) -> None:
        super().__init__(ui, refresh_on=SHOWN, job_events=True)  # a step may make a task
        self.inbox = ui.app.inbox
        self.tray = TrayNotifier(self)
        self._seen_note: int | None = None  # highest notification id already announced

        self.show_all = named(QCheckBox("Show everyone's"), "showAllUsers")
        self.show_all.setToolTip("Show the tasks and notifications of all users")
        self.show_all.toggled.connect(self.refresh)
        self.show_done = named(QCheckBox("Show done tasks"), "showDoneTasks")
        self.show_done.setChecked(True)
        self.show_done.toggled.connect(self.refresh)
        self.overdue_only = named(QCheckBox("Overdue only"), "tasksOverdueOnly")
        self.overdue_only.setToolTip("List only open tasks past their due date")
        self.overdue_only.toggled.connect(self.refresh)
        self._sort: tuple[str | None, bool] = (None, False)  # open first, by due date
        self.message = named(QLabel(), "tasksMessage")
        self.message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.show_all)
        top.addWidget(self.show_done)
        top.addWidget(self.overdue_only)
        top.addWidget(self.message, 1)

        self.tasks = TasksModel(TASK_COLUMNS, lambda t: t.id, self, bold=_overdue, status_column=3)
        self.tasks_table = record_table(self.tasks, "tasksTable")
        self.tasks_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.tasks_table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self._sort_changed)
        self.tasks_table.selectionModel().currentRowChanged.connect(self._task_selected)
        self.tasks_table.selectionModel().selectionChanged.connect(self._task_selected)
        self.tasks_label = named(QLabel("Tasks"), "tasksLabel")
        self.task_details = named(QLabel(), "taskDetails")
        self.task_details.setWordWrap(True)
        self.task_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.done_button = named(QPushButton("Mark done"), "markTaskDoneButton")
        self.done_button.setToolTip(
            "Mark the selected tasks done, then select the next open one (Ctrl+D)"
        )
        self.done_button.clicked.connect(self.mark_done)

        self.notes: RecordTableModel[NotificationInfo] = RecordTableModel(
            NOTE_COLUMNS, lambda n: n.id, self, bold=lambda n: n.read_at is None
        )
        self.notes_table = record_table(self.notes, "notificationsTable")
        self.notes_table.selectionModel().currentRowChanged.connect(self._note_selected)
        self.notes_label = named(QLabel("Notifications"), "notificationsLabel")
        self.note_details = named(QLabel(), "notificationDetails")
        self.note_details.setWordWrap(True)
        self.note_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_button = named(QPushButton("Mark read"), "markReadButton")
        self.read_button.setToolTip("Mark the selected notification read (Ctrl+R)")
        self.read_button.clicked.connect(self.mark_read)
        self.all_read_button = named(QPushButton("Mark all read"), "markAllReadButton")
        self.all_read_button.clicked.connect(self.mark_all_read)

        splitter = QSplitter(Qt.Orientation.Vertical)
        tasks_box = self._section(
            self.tasks_label, self.tasks_table, self.task_details, [self.done_button]
        )
        notes_box = self._section(
            self.notes_label,
            self.notes_table,
            self.note_details,
            [self.read_button, self.all_read_button],
        )
        splitter.addWidget(tasks_box)
        splitter.addWidget(notes_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+D"), self, self.mark_done, context=context)
        QShortcut(QKeySequence("Ctrl+R"), self, self.mark_read, context=context)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh, context=context)
        self._update_buttons()
        self.refresh()

    @staticmethod
    def _section(
        label: QLabel, table: QTableView, details: QLabel, buttons: list[QPushButton]
    ) -> QWidget:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(label)
        column.addWidget(table, 1)
        row = QHBoxLayout()
        row.addWidget(details, 1)
        for button in buttons:
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(row)
        return box

    # --- views and sorting ----------------------------------------------------------------

    def open_with(self, view: str) -> None:
        """``open``: your open tasks; ``overdue``: those past their due date."""
        if view in ("open", "overdue"):
            self.show_done.setChecked(False)
            self.overdue_only.setChecked(view == "overdue")

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if 0 <= column < len(TASK_SORTS):
            self._sort = (TASK_SORTS[column], order == Qt.SortOrder.DescendingOrder)
            self.refresh()

    # --- loading --------------------------------------------------------------------------

    def refresh(self) -> None:
        if not self.begin_read():
            return
        inbox = self.inbox
        who = None if self.show_all.isChecked() else self.ui.actor
        open_only, overdue = not self.show_done.isChecked(), self.overdue_only.isChecked()
        sort, descending = self._sort

        def load() -> Loaded:
            tasks = inbox.tasks(
                who, sort=sort, descending=descending, open_only=open_only, overdue_only=overdue
            )
            return tasks, inbox.notifications(who)

        self.calls.read(load, self._loaded, self._load_failed)

    def _loaded(self, result: Loaded) -> None:
        tasks, notes = result
        self._replace(self.tasks, self.tasks_table, tasks)
        self._replace(self.notes, self.notes_table, notes)
        open_tasks = sum(t.status == TaskStatus.OPEN for t in tasks)
        unread = sum(n.read_at is None for n in notes)
        self.tasks_label.setText(f"Tasks ({open_tasks} open)")
        self.notes_label.setText(f"Notifications ({unread} unread)")
        self._announce_new(notes)
        self._update_buttons()
        self.end_read()
        self.loaded.emit()

    @staticmethod
    def _replace(model: RecordTableModel[Any], view: QTableView, rows: list[Any]) -> None:
        """New rows; after a reset, select the same record again."""
        current = view.selectionModel().currentIndex()
        key = model.row(current.row()).id if current.isValid() else None
        if not model.set_rows(rows):
            return
        fit_columns(view, 420)
        if key is not None and (row := model.find(key)) >= 0:
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            view.selectionModel().setCurrentIndex(model.index(row, 0), flags)

    def _announce_new(self, notes: list[NotificationInfo]) -> None:
        """Raise a desktop notification for each new unread one for the current user."""
        mine = [n for n in notes if n.user == self.ui.actor]
        newest = max((n.id for n in mine), default=0)
        if self._seen_note is None:  # the first load: what is there is not news
            self._seen_note = newest
            return
        for note in sorted(mine, key=lambda n: n.id):
            if note.id > self._seen_note and note.read_at is None:
                self.tray.notify(note.title, note.body or (note.entity or ""))
        self._seen_note = max(self._seen_note, newest)

    def _load_failed(self, error: str) -> None:
        self.end_read()
        self.message.setText(f"Could not load: {error}")

    # --- selection ------------------------------------------------------------------------

    def selected_task(self) -> TaskInfo | None:
        index = self.tasks_table.selectionModel().currentIndex()
        return self.tasks.row(index.row()) if index.isValid() else None

    def selected_note(self) -> NotificationInfo | None:
        index = self.notes_table.selectionModel().currentIndex()
        return self.notes.row(index.row()) if index.isValid() else None

    def _task_selected(self, *_args: object) -> None:
        task = self.selected_task()
        self.task_details.setText(task.description if task else "")
        self._update_buttons()

    def _note_selected(self, *_args: object) -> None:
        note = self.selected_note()
        self.note_details.setText(note.body if note else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        note = self.selected_note()
        self.done_button.setEnabled(bool(self.chosen_tasks()))
        self.read_button.setEnabled(note is not None and note.read_at is None)
        self.all_read_button.setEnabled(any(n.read_at is None for n in self.notes.rows()))

    # --- actions --------------------------------------------------------------------------

    def chosen_tasks(self) -> list[TaskInfo]:
        """The selected open tasks, in table order (the current one if none is selected)."""
        rows = sorted(i.row() for i in self.tasks_table.selectionModel().selectedRows())
        tasks = [self.tasks.row(r) for r in rows if r < self.tasks.rowCount()]
        if not tasks and (current := self.selected_task()) is not None:
            tasks = [current]
        return [t for t in tasks if t.status == TaskStatus.OPEN]

    def mark_done(self) -> None:
        """Mark the chosen open tasks done (each its own audited write), then select the next
        open task; a refusal is reported per task and the others are still done."""
        tasks = self.chosen_tasks()
        if not tasks:
            return
        ui, inbox = self.ui, self.inbox
        ids = [t.id for t in tasks]
        self.done_button.setEnabled(False)

        def done(results: list[tuple[int, str]]) -> None:
            refused = [f"task {task_id}: {why}" for task_id, why in results if why]
            finished = len(results) - len(refused)
            titles = ", ".join(t.title for t in tasks if (t.id, "") in results)
            self.message.setText(
                (f"Done: {titles}" if finished else "")
                + (f" Not done: {'; '.join(refused)}" if refused else "")
            )
            rows = self.tasks.rows()
            last = max(self.tasks.find(i) for i in ids)
            following = next(
                (t for t in rows[last + 1 :] if t.status == TaskStatus.OPEN and t.id not in ids),
                None,
            )
            if following is not None:
                self._select_task(following.id)

        self.calls.write(
            lambda: inbox.complete_tasks(ids, ui.actor),
            done,
            self._failed,
            Changes.TASKS | Changes.AUDIT,
        )

    def _select_task(self, task_id: int) -> None:
        row = self.tasks.find(task_id)
        if row >= 0:
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            self.tasks_table.selectionModel().setCurrentIndex(self.tasks.index(row, 0), flags)

    def mark_read(self) -> None:
        note = self.selected_note()
        if note is not None and note.read_at is None:
            self._mark([note.id])

    def mark_all_read(self) -> None:
        self._mark([n.id for n in self.notes.rows() if n.read_at is None])

    def _mark(self, ids: list[int]) -> None:
        if not ids:
            return
        ui, inbox = self.ui, self.inbox
        self.read_button.setEnabled(False)
        self.all_read_button.setEnabled(False)

        def done(count: int) -> None:
            self.message.setText(f"Marked {count} notification{'s' * (count != 1)} read.")

        self.calls.write(
            lambda: inbox.mark_read(ids, ui.actor), done, self._failed, Changes.NOTIFICATIONS
        )

    def _failed(self, error: str) -> None:
        self.message.setText(f"Not changed: {error}")
        self._update_buttons()
