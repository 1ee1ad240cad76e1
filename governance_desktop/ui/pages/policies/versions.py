"""The Versions tab of a policy: its saved versions with their signatures and the approvals
that approved them (each with its manifestation, 21 CFR 11.50), and the diff of two of them;
the HTML of a diff (also shown in the approvals inbox) and the "Published v3 · revision v4
draft" line."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from governance_desktop.domain.diff import Op
from governance_desktop.domain.enums import ApprovalStatus, PolicyStatus
from governance_desktop.domain.errors import ValidationError
from governance_desktop.services.dto import ApprovalInfo, PolicyInfo
from governance_desktop.services.policy_versions import VersionDiff, VersionInfo
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.policies.details import fit_columns, record_table
from governance_desktop.ui.pages.policies.models import Column, RecordTableModel, status_label
from governance_desktop.ui.widgets import named

DELETED = "color:#b3261e; background-color:#fde7e9; text-decoration:line-through;"
INSERTED = "color:#116329; background-color:#dafbe1;"
FIELD_NAMES = {"title": "Title", "owner": "Owner", "review_interval_days": "Review every (days)"}


def document_status(policy: PolicyInfo) -> str:
    """The policy's versions in one line: "Published v3 · revision v4 draft", "Draft v1"."""
    status, effective, newest = (
        PolicyStatus(policy.status),
        policy.effective_version,
        policy.version,
    )
    if status is PolicyStatus.RETIRED or effective is None:
        return f"{status_label(status)} v{newest}"
    if newest > effective:
        return f"Published v{effective} · revision v{newest} {status_label(status).lower()}"
    return f"Published v{effective}"


def version_marks(version: VersionInfo) -> str:
    marks = []
    if version.is_effective:
        marks.append("effective")
    elif version.published_at is not None:
        marks.append("was published")
    if version.is_working:
        marks.append("working revision")
    return ", ".join(marks)


def _value(value: Any) -> str:
    return "—" if value in (None, "") else escape(str(value))


def diff_html(diff: VersionDiff) -> str:
    """The diff as HTML: changed fields old → new, then the whole text with deleted words
    struck through in red and inserted words in green."""
    parts = []
    changed = [f for f in diff.fields if f.changed]
    if changed:
        rows = "".join(
            f"<tr><td><b>{FIELD_NAMES.get(f.field, f.field)}</b></td>"
            f'<td><span style="{DELETED}">{_value(f.old)}</span></td><td>→</td>'
            f'<td><span style="{INSERTED}">{_value(f.new)}</span></td></tr>'
            for f in changed
        )
        parts.append(f'<table cellspacing="0" cellpadding="3">{rows}</table>')
    else:
        parts.append("<p><i>Title, owner and review interval unchanged.</i></p>")
    if not any(s.op is not Op.EQUAL for s in diff.body):
        parts.append("<p><i>The text is unchanged.</i></p>")
    spans = []
    for segment in diff.body:
        text = escape(segment.text)
        if segment.op is Op.DELETE:
            spans.append(f'<span style="{DELETED}">{text}</span>')
        elif segment.op is Op.INSERT:
            spans.append(f'<span style="{INSERTED}">{text}</span>')
        else:
            spans.append(text)
    parts.append(f'<div style="white-space:pre-wrap;">{"".join(spans)}</div>')
    return "".join(parts)


def diff_heading(diff: VersionDiff) -> str:
    def name(version: VersionInfo | None) -> str:
        if version is None:
            return "nothing (no effective version yet)"
        marks = version_marks(version)
        return f"v{version.number}" + (f" ({marks})" if marks else "")

    return f"Changes from {name(diff.from_version)} to {name(diff.to_version)}"


VERSION_COLUMNS: list[Column] = [
    ("Version", lambda v: f"v{v.number}"),
    ("In force", version_marks),
    ("Author", lambda v: v.created_by),
    ("Saved", lambda v: v.created_at),
    ("Approved", lambda v: v.approved_at),
    ("Published", lambda v: v.published_at),
    ("Signed", lambda v: "; ".join(s.manifestation for s in v.signatures)),
]
Loaded = tuple[list[VersionInfo] | None, list[ApprovalInfo] | None, VersionDiff | str]


def approvals_of(version: VersionInfo, approvals: list[ApprovalInfo]) -> list[ApprovalInfo]:
    """The approvals given to exactly this text (its content hash; a request from before
    pinning, by its version number)."""
    return [
        a
        for a in approvals
        if a.content_hash == version.content_hash
        or (a.content_hash is None and a.policy_version == version.number)
    ]


def signatures_html(version: VersionInfo, approvals: list[ApprovalInfo]) -> str:
    """Version ``version``'s signatures and approvals, each as its manifestation."""
    lines = [f"<b>v{version.number}</b> ({escape(version.content_hash[:12])}…)"]
    for signature in version.signatures:
        reason = f" — {escape(signature.reason)}" if signature.reason else ""
        lines.append(f"Signed: {escape(signature.manifestation)}{reason}")
    for a in approvals_of(version, approvals):
        signed = (
            escape(a.signature.manifestation)
            if a.signature is not None
            else f"approved by {escape(a.responded_by or a.approver)} (not signed: answered "
            "before signatures)"
        )
        lines.append(f"Approval {a.id} ({escape(a.workflow)}): {signed}")
    if len(lines) == 1:
        lines.append("<i>No signatures or approvals on this version.</i>")
    return "<br>".join(lines)


class VersionsTab(QWidget):
    """The versions of the shown policy and the diff of a chosen pair (by default the
    effective version against the working revision)."""

    loaded = Signal()  # the versions and a diff (or why there is none) are shown

    def __init__(self, ui: UiContext) -> None:
        super().__init__()
        named(self, "policyVersionsTab")
        self.ui = ui
        self.calls = ui.calls(self)
        self.service = ui.app.policy_versions
        self.code: str | None = None
        self._key: tuple[Any, ...] | None = None
        self.model: RecordTableModel[VersionInfo] = RecordTableModel(
            VERSION_COLUMNS, lambda v: v.number, self
        )
        self.table = record_table(self.model, "policyVersionsTable")
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.approvals: list[ApprovalInfo] = []
        self.signatures = named(QLabel(), "versionSignatures")
        self.signatures.setWordWrap(True)
        self.signatures.setTextFormat(Qt.TextFormat.RichText)
        self.signatures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signatures.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.from_box = named(QComboBox(), "versionsFrom")
        self.to_box = named(QComboBox(), "versionsTo")
        for box in (self.from_box, self.to_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.activated.connect(self._pair_chosen)
        self.heading = named(QLabel(), "versionsDiffHeading")
        self.heading.setWordWrap(True)
        self.view = named(QTextBrowser(), "versionsDiff")
        self.view.setOpenLinks(False)

        pick = QHBoxLayout()
        pick.addWidget(QLabel("Compare"))
        pick.addWidget(self.from_box)
        pick.addWidget(QLabel("with"))
        pick.addWidget(self.to_box)
        pick.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(pick)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.view, 1)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(self.signatures)
        left.setSizes([200, 80])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # --- loading --------------------------------------------------------------------------

    def show_policy(self, policy: PolicyInfo | None) -> None:
        """Load ``policy``'s versions and default diff, unless what is shown is still right."""
        key = (
            None
            if policy is None
            else (policy.code, policy.version, policy.effective_version, policy.status)
        )
        if key == self._key:
            return
        self._key = key
        self.code = policy.code if policy is not None else None
        if policy is None:
            self.model.set_rows([])
            self.signatures.clear()
            self._set_boxes([])
            self.heading.clear()
            self.view.clear()
            return
        self._load(policy.code, None, None, with_versions=True)

    def _load(self, code: str, from_n: int | None, to_n: int | None, with_versions: bool) -> None:
        service, approvals, actor = self.service, self.ui.app.approvals, self.ui.actor

        def load() -> Loaded:
            versions = service.versions(actor, code) if with_versions else None
            approved = (
                approvals.list(status=ApprovalStatus.APPROVED, policy=code)
                if with_versions
                else None
            )
            try:
                return versions, approved, service.diff(actor, code, from_n, to_n)
            except ValidationError as exc:  # one version only: there is nothing to compare
                return versions, approved, exc.message

        def done(result: Loaded) -> None:
            if code != self.code:
                return
            versions, approved, diff = result
            if approved is not None:
                self.approvals = approved
            if versions is not None:
                if self.model.set_rows(versions):
                    fit_columns(self.table, 200)
                self._set_boxes(versions)
                self._show_signatures()
            self._show_diff(diff)
            self.loaded.emit()

        def failed(error: str) -> None:
            if code == self.code:
                self.heading.setText(f"Could not load the versions: {error}")
                self.loaded.emit()

        self.calls.read(load, done, failed)

    def _show_signatures(self) -> None:
        """The chosen version's signatures (when none is chosen: the version in force's,
        else the newest's)."""
        index = self.table.selectionModel().currentIndex()
        count = self.model.rowCount()
        if not count:
            self.signatures.clear()
            return
        rows = self.model.rows()
        effective = next((i for i, v in enumerate(rows) if v.is_effective), count - 1)
        row = index.row() if index.isValid() and index.row() < count else effective
        self.signatures.setText(signatures_html(self.model.row(row), self.approvals))

    def _set_boxes(self, versions: list[VersionInfo]) -> None:
        for box in (self.from_box, self.to_box):
            box.clear()
            for version in versions:
                marks = version_marks(version)
                box.addItem(f"v{version.number}" + (f" ({marks})" if marks else ""), version.number)

    def _show_diff(self, diff: VersionDiff | str) -> None:
        if isinstance(diff, str):
            self.heading.setText("Nothing to compare yet.")
            self.view.setPlainText(diff)
            return
        for box, version in ((self.from_box, diff.from_version), (self.to_box, diff.to_version)):
            if version is not None:
                box.setCurrentIndex(box.findData(version.number))
        self.heading.setText(diff_heading(diff))
        self.view.setHtml(diff_html(diff))

    # --- choosing a pair ------------------------------------------------------------------

    def _pair_chosen(self) -> None:
        from_n, to_n = self.from_box.currentData(), self.to_box.currentData()
        if self.code is not None and from_n is not None and to_n is not None:
            self._load(self.code, from_n, to_n, with_versions=False)

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """A version picked in the list is compared with the one before it."""
        if not current.isValid() or self.code is None:
            return
        self._show_signatures()
        number = self.model.row(current.row()).number
        if number > 1:
            self.compare(number - 1, number)

    def compare(self, from_n: int, to_n: int) -> None:
        """Show the diff of versions ``from_n`` and ``to_n``."""
        if self.code is not None:
            self._load(self.code, from_n, to_n, with_versions=False)
