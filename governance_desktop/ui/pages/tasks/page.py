"""Tasks and notifications of the current user (or everyone's), with desktop notifications.

Tasks are a lazy table (`approvals.model.InboxModel` over `services/inbox_pages.TaskPages`):
sorted and filtered in SQL on any column, every task listed, only the pages on screen held;
the selection is kept by task id across reloads. An overdue open task is tinted and its Due
cell says "Overdue 3 days"; several tasks can be marked done at once, and the next open task
is then selected."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
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
from governance_desktop.services.inbox_pages import TaskFilter
from governance_desktop.services.sorted_pages import Sort
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.messages import InlineMessage
from governance_desktop.ui.page import Page
from governance_desktop.ui.pages.approvals.model import InboxModel, lazy_table, overdue_text
from governance_desktop.ui.pages.policies.details import fit_columns, record_table
from governance_desktop.ui.pages.policies.models import Column, RecordTableModel, show
from governance_desktop.ui.tray import TrayNotifier
from governance_desktop.ui.widgets import named

# USERS: a deactivated user's tasks are reassigned.
SHOWN = Changes.TASKS | Changes.NOTIFICATIONS | Changes.USERS
Loaded = tuple[int, list[NotificationInfo]]


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
        self._seen_notes: set[int] | None = None  # notification ids already announced

        self.show_all = named(QCheckBox("Show everyone's"), "showAllUsers")
        self.show_all.setToolTip("Show the tasks and notifications of all users")
        self.show_all.toggled.connect(self.refresh)
        self.show_done = named(QCheckBox("Show done tasks"), "showDoneTasks")
        self.show_done.setChecked(True)
        self.show_done.toggled.connect(self.refresh)
        self.overdue_only = named(QCheckBox("Overdue only"), "tasksOverdueOnly")
        self.overdue_only.setToolTip("List only open tasks past their due date")
        self.overdue_only.toggled.connect(self.refresh)
        self.message = InlineMessage("tasksMessage")
        self._keep: list[int] = []  # the selected tasks, selected again after a reload
        self._next_row: int | None = None  # after Mark done: where the next open task will be
        self._page_read = False
        top = QHBoxLayout()
        top.addWidget(self.show_all)
        top.addWidget(self.show_done)
        top.addWidget(self.overdue_only)
        top.addWidget(self.message, 1)

        self.tasks = InboxModel[TaskInfo](
            ui.background,
            ui.app.task_pages,
            self._filter(),
            self,
            columns=TASK_COLUMNS,
            sorts=TASK_SORTS,
            sort=Sort("status", True),  # open first
            overdue=_overdue,
            bold=_overdue,
        )
        self.tasks.located.connect(self._located)
        self.tasks.failed.connect(self._load_failed)
        self.tasks.modelAboutToBeReset.connect(self._remember)
        self.tasks.dataChanged.connect(self._task_selected)
        self.tasks_table = lazy_table(self.tasks, "tasksTable")
        header = self.tasks_table.horizontalHeader()
        header.setSortIndicator(TASK_SORTS.index("status"), Qt.SortOrder.DescendingOrder)
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
        self.tasks.sort(column, order)  # a new snapshot in that SQL order, same task shown

    # --- loading --------------------------------------------------------------------------

    @property
    def reading(self) -> bool:
        """A read runs: the page's own, or the table's."""
        return super().reading or self.tasks.loading

    def _filter(self) -> TaskFilter:
        who = None if self.show_all.isChecked() else self.ui.actor
        done = self.show_done.isChecked()
        return TaskFilter(who, open_only=not done, overdue_only=self.overdue_only.isChecked())

    def refresh(self) -> None:
        if not self.begin_read():
            return
        self._keep = [t.id for t in self.chosen_tasks(open_only=False)]
        wanted = self._filter()
        if wanted != self.tasks.filter:
            self.tasks.set_filter(wanted)
        else:
            self.tasks.refresh()  # in place when the count is unchanged
        inbox, pages = self.inbox, self.ui.app.task_pages
        who = wanted.assignee
        self._page_read = True

        def load() -> Loaded:
            return pages.open_count(wanted), inbox.notifications(who)

        self.calls.read(load, self._loaded, self._load_failed)

    def _loaded(self, result: Loaded) -> None:
        open_tasks, notes = result
        self._page_read = False
        current = self.notes_table.selectionModel().currentIndex()
        key = self.notes.row(current.row()).id if current.isValid() else None
        if self.notes.set_rows(notes):
            fit_columns(self.notes_table, 420)
            if key is not None and (row := self.notes.find(key)) >= 0:
                flags = (
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows
                )
                self.notes_table.selectionModel().setCurrentIndex(self.notes.index(row, 0), flags)
        unread = sum(n.read_at is None for n in notes)
        self.tasks_label.setText(f"Tasks ({open_tasks} open)")
        self.notes_label.setText(f"Notifications ({unread} unread)")
        self._announce_new(notes)
        self._update_buttons()
        self.end_read()
        if not self.reading:
            self.loaded.emit()

    def _located(self, row: int) -> None:
        """A table snapshot arrived: select again what was selected, or after Mark done the
        next open task."""
        keep, self._keep = self._keep, []
        target, self._next_row = self._next_row, None
        total = self.tasks.rowCount()
        if total and target is not None:
            self._select_row(row if row >= 0 else min(target, total - 1))
        elif row >= 0:
            self._restore(keep, row)
        fit_columns(self.tasks_table, 420)
        self._task_selected()
        if not self.reading:
            self.loaded.emit()

    def _remember(self) -> None:
        # A reset clears the view's selection: keep its ids to select them again.
        if not self._keep:
            self._keep = [t.id for t in self.chosen_tasks(open_only=False)]

    def _restore(self, ids: list[int], current: int) -> None:
        """Select the loaded rows of `ids` and row `current` (no signal if already so)."""
        model, selection = self.tasks, self.tasks_table.selectionModel()
        wanted = {r for key in ids if (r := model.find(key)) >= 0} | {current}
        flag = QItemSelectionModel.SelectionFlag
        if selection.currentIndex().row() != current:
            selection.setCurrentIndex(model.index(current, 0), flag.NoUpdate)
        if {i.row() for i in selection.selectedRows()} != wanted:
            selection.clearSelection()
            for number in sorted(wanted):
                selection.select(model.index(number, 0), flag.Select | flag.Rows)

    def _announce_new(self, notes: list[NotificationInfo]) -> None:
        """Raise a desktop notification for each new unread one for the current user."""
        mine = [n for n in notes if n.user == self.ui.actor]
        if self._seen_notes is None:  # the first load: what is there is not news
            self._seen_notes = {n.id for n in mine}
            return
        # By id, not "above the newest seen": a worker that committed later may have an
        # older id (PostgreSQL: runners commit side by side).
        for note in sorted(mine, key=lambda n: n.id):
            if note.id not in self._seen_notes and note.read_at is None:
                self.tray.notify(note.title, note.body or (note.entity or ""))
        self._seen_notes.update(n.id for n in mine)

    def _load_failed(self, error: str) -> None:
        if self._page_read:
            self._page_read = False
            self.end_read()
        self.message.error(f"Could not load: {error}")

    # --- selection ------------------------------------------------------------------------

    def selected_task(self) -> TaskInfo | None:
        index = self.tasks_table.selectionModel().currentIndex()
        return self.tasks.row_item(index.row()) if index.isValid() else None

    def selected_note(self) -> NotificationInfo | None:
        index = self.notes_table.selectionModel().currentIndex()
        return self.notes.row(index.row()) if index.isValid() else None

    def _task_selected(self, *_args: object) -> None:
        task = self.selected_task()
        if task is not None:
            self.tasks.follow(task.id)  # kept (or found again) by every snapshot
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

    def chosen_tasks(self, *, open_only: bool = True) -> list[TaskInfo]:
        """The selected (open) tasks that are loaded, in table order (the current one if none
        is selected)."""
        rows = sorted(i.row() for i in self.tasks_table.selectionModel().selectedRows())
        found = (self.tasks.row_item(r) for r in rows)
        tasks = [t for t in found if t is not None]
        if not tasks and (current := self.selected_task()) is not None:
            tasks = [current]
        return [t for t in tasks if t.status == TaskStatus.OPEN or not open_only]

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
            text = f"Done: {titles}" if finished else ""
            text += f" Not done: {'; '.join(refused)}" if refused else ""
            if refused:
                self.message.error(text.strip())
            else:
                self.message.note(text)
            self._show_next([task_id for task_id, why in results if not why])

        self.calls.write(
            lambda: inbox.complete_tasks(ids, ui.actor),
            done,
            self._failed,
            Changes.TASKS | Changes.AUDIT,
        )

    def _show_next(self, finished: list[int]) -> None:
        """After the reload, select the first open task after the last one finished, in the
        current order: by its id when it is loaded, else by where it will be."""
        rows = [row for i in finished if (row := self.tasks.find(i)) >= 0]
        if not rows:
            return
        last, total = max(rows), self.tasks.rowCount()
        following = None
        for number in range(last + 1, total):
            item = self.tasks.row_item(number)
            if item is None:
                break  # its page is not loaded: fall back on the position
            if item.status == TaskStatus.OPEN and item.id not in finished:
                following = item
                break
        self.tasks.follow(following.id if following is not None else None)
        gone = len(rows) if self.tasks.filter.open_only else 0  # done tasks leave the list
        self._next_row = last + 1 - gone

    def _select_row(self, row: int) -> None:
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        index = self.tasks.index(row, 0)
        self.tasks_table.selectionModel().setCurrentIndex(index, flags)
        self.tasks_table.scrollTo(index)

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
            self.message.note(f"Marked {count} notification{'s' * (count != 1)} read.")

        self.calls.write(
            lambda: inbox.mark_read(ids, ui.actor), done, self._failed, Changes.NOTIFICATIONS
        )

    def _failed(self, error: str) -> None:
        self.message.error(f"Not changed: {error}")
        self._update_buttons()
