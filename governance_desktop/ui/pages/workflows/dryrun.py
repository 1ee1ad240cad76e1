"""Dry-run panel: run the editor's definition against a chosen policy; nothing is changed.

The policy is picked with a search-as-you-type field: each keystroke asks the register for
a few policies whose code or title holds the text (off the GUI thread; only the newest
answer is shown). A run also counts how many policies the conditions match now.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.text import SEARCH_MAX
from governance_desktop.domain.workflow.definition import WorkflowDefinition
from governance_desktop.services.dryrun import DryRunReport
from governance_desktop.services.dryrun_scope import MatchCount, PolicyChoice
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.workflows.conditions import error_label
from governance_desktop.ui.pages.workflows.models import ActionPreviewsModel, ConditionChecksModel
from governance_desktop.ui.widgets import named


def _table(name: str) -> QTableView:
    view = named(QTableView(), name)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.setWordWrap(False)
    return view


class DryRunPanel(QWidget):
    """Shows which conditions pass and what each step would do for one policy."""

    def __init__(self, ui: UiContext, definition: Callable[[], WorkflowDefinition | None]) -> None:
        super().__init__()
        self.ui = ui
        self._definition = definition
        self.service = ui.app.dry_run
        self.calls = ui.calls(self)
        self.report: DryRunReport | None = None
        self.matches: MatchCount | None = None
        self.choices: list[PolicyChoice] = []
        self._asked = 0  # the newest search; older answers are dropped
        self._pending: str | None = None  # typed while a search ran: asked when it ends
        self._searching = False
        self.policy = named(QLineEdit(), "dryRunPolicy")
        self.policy.setPlaceholderText("Type a policy code or words of its title")
        self.policy.setToolTip("The policy to try the workflow on: type to search the register")
        self.policy.setMaxLength(SEARCH_MAX)
        self.policy.setClearButtonEnabled(True)
        self.found = QStringListModel(self)
        completer = QCompleter(self.found, self.policy)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setMaxVisibleItems(12)
        self.policy.setCompleter(completer)
        self.policy.textEdited.connect(self.search)
        self.policy.returnPressed.connect(self.run)
        self.button = named(QPushButton("Dry run"), "dryRunButton")
        self.button.setToolTip("Show what the workflow would do, changing nothing (Ctrl+R)")
        self.button.setShortcut("Ctrl+R")
        self.button.clicked.connect(self.run)
        self.summary = named(
            QLabel("Choose a policy and press Dry run. Nothing is changed."), "dryRunSummary"
        )
        self.summary.setWordWrap(True)
        self.match_label = named(QLabel(), "dryRunMatches")
        self.assumption = named(QLabel(), "dryRunAssumption")
        self.assumption.setWordWrap(True)
        self.assumption.setEnabled(False)
        self.error = error_label("dryRunError")
        self.conditions_model = ConditionChecksModel()
        self.actions_model = ActionPreviewsModel()
        self.conditions = _table("dryRunConditions")
        self.conditions.setModel(self.conditions_model)
        self.conditions.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.steps = _table("dryRunActions")
        self.steps.setModel(self.actions_model)
        self.steps.setWordWrap(True)
        header = self.steps.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)

        row = QHBoxLayout()
        row.addWidget(QLabel("Policy"))
        row.addWidget(self.policy, 1)
        row.addWidget(self.button)
        split = QSplitter(Qt.Orientation.Vertical)
        for title, view in (
            ("Conditions", self.conditions),
            ("Steps (what each would do)", self.steps),
        ):
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(QLabel(f"<b>{title}</b>"))
            column.addWidget(view)
            split.addWidget(box)
        split.setSizes([160, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.summary)
        layout.addWidget(self.match_label)
        layout.addWidget(self.assumption)
        layout.addWidget(split, 1)
        self.search("", first=True)

    # --- the policy picker ------------------------------------------------------------------

    def search(self, text: str, first: bool = False) -> None:
        """Ask for the policies matching ``text`` (a few, off the GUI thread). One search runs
        at a time (a scan of a large register takes a while): keys typed meanwhile are asked
        together when it ends, so the answer shown is always for the latest text."""
        self.error.hide()  # the message was about what was typed before
        if self._searching:
            self._pending = text
            return
        self._searching = True
        self._asked += 1
        asked, service = self._asked, self.service

        def ended() -> bool:
            self._searching = False
            if self._pending is not None:
                text, self._pending = self._pending, None
                self.search(text)
                return True
            return asked != self._asked

        def failed(message: str) -> None:
            if not ended():
                self._fail(message)

        def done(found: list[PolicyChoice]) -> None:
            if ended():
                return  # newer keys were typed: their answer follows
            self.choices = found
            self.found.setStringList([c.label for c in found])
            if first and found and not self.policy.text():
                self.policy.setText(found[0].label)  # start on the first policy
            elif not first and self.policy.hasFocus() and found:
                self.policy.completer().complete()

        self.calls.read(lambda: service.find(text), done, failed)

    def policies_changed(self) -> None:
        """Policies were added or renamed: the open list follows."""
        if self.choices:
            self.search(self.policy.text() if not self._chosen_label() else "", first=True)

    def _chosen_label(self) -> bool:
        return any(c.label == self.policy.text() for c in self.choices)

    def chosen_code(self) -> str | None:
        """The picked policy's code (a typed code counts too), or None."""
        text = self.policy.text().strip()
        if not text:
            return None
        return text.split(":", 1)[0].strip().upper() or None

    def choose(self, code: str) -> None:
        """Pick ``code`` as if typed and taken from the list (tests, other pages)."""
        self.policy.setText(code)
        self.error.hide()

    # --- the run ----------------------------------------------------------------------------

    def set_enabled_for(self, valid: bool) -> None:
        self.button.setEnabled(valid)
        self.button.setToolTip(
            "Show what the workflow would do, changing nothing (Ctrl+R)"
            if valid
            else "Fix the problems in the editor first"
        )
        if valid:
            self.error.hide()  # "fix the problems first" no longer applies

    def run(self) -> None:
        """Run against the chosen policy off the GUI thread, and count the matches."""
        defn, code = self._definition(), self.chosen_code()
        self.error.hide()
        if defn is None:
            self._fail("the definition has problems; fix them in the editor first")
            return
        if code is None:
            self._fail("choose a policy first")
            return
        self.button.setEnabled(False)
        self.summary.setText(f"Trying {defn.name} on {code}…")
        self.match_label.setText("Counting the policies the conditions match…")
        service = self.service
        self.calls.read(lambda: service.run(defn, code), self._show, self._fail)
        self.calls.read(lambda: service.match_count(defn), self._show_matches, self._fail)

    def _show(self, report: DryRunReport) -> None:
        self.report = report
        self.button.setEnabled(True)
        self.summary.setText(f"{report.summary} Nothing was changed.")
        self.assumption.setText(f"Evaluated {report.assumption}")
        self.conditions_model.set_rows(report.conditions)
        self.actions_model.set_rows(report.actions)
        self.steps.resizeColumnToContents(2)
        self.steps.resizeRowsToContents()

    def _show_matches(self, count: MatchCount) -> None:
        self.matches = count
        self.match_label.setText(count.text)

    def _fail(self, message: str) -> None:
        self.button.setEnabled(self._definition() is not None)
        self.match_label.clear()
        self.error.setText(f"Dry run failed: {message}")
        self.error.show()
