"""Beside the Approve button: the text the selected request is about (the version whose content
hash it pinned) and what that text changes against the effective version."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from governance_desktop.services.policy_versions import ApprovalText
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.policies.versions import diff_html
from governance_desktop.ui.widgets import named


def _browser(name: str) -> QTextBrowser:
    view = named(QTextBrowser(), name)
    view.setOpenLinks(False)
    return view


class PinnedText(QWidget):
    """Two tabs: the changes against the effective version (inline, deleted words struck
    through in red, inserted ones in green) and the full text under approval."""

    def __init__(self, ui: UiContext) -> None:
        super().__init__()
        named(self, "approvalPinnedText")
        self.ui = ui
        self.calls = ui.calls(self)
        self.service = ui.app.policy_versions
        self.approval_id: int | None = None
        self.shown: ApprovalText | None = None
        self.heading = named(QLabel(), "approvalTextHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.diff = _browser("approvalDiff")
        self.text = _browser("approvalText")
        self.tabs = named(QTabWidget(), "approvalTextTabs")
        self.tabs.addTab(self.diff, "Changes")
        self.tabs.addTab(self.text, "Text under approval")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)

    def show_approval(self, approval_id: int | None) -> None:
        """Load what approval ``approval_id`` is about (nothing if None or already shown)."""
        if approval_id == self.approval_id:
            return
        self.approval_id = approval_id
        self.shown = None
        if approval_id is None:
            self.heading.setText("")
            self.diff.clear()
            self.text.clear()
            return
        self.heading.setText("Loading the text under approval…")
        service, actor = self.service, self.ui.actor

        def done(seen: ApprovalText) -> None:
            if seen.approval_id == self.approval_id:
                self._show(seen)

        def failed(error: str) -> None:
            if approval_id == self.approval_id:
                self.heading.setText(f"Could not load the text under approval: {error}")

        self.calls.read(lambda: service.approval_text(actor, approval_id), done, failed)

    def _show(self, seen: ApprovalText) -> None:
        self.shown = seen
        pinned, effective, diff = seen.pinned, seen.effective, seen.diff
        if pinned is None or diff is None:
            self.heading.setText("This request names no policy version.")
            self.diff.clear()
            self.text.clear()
            return
        against = (
            f"the effective version v{effective.number}"
            if effective is not None
            else "nothing: no version is in force yet, so all of it is new"
        )
        self.heading.setText(
            f"<b>{escape(seen.code)} v{pinned.number}</b> is under approval "
            f"(content hash {pinned.content_hash[:12]}…), compared with {against}."
        )
        self.tabs.setTabText(
            0, f"Changes against v{effective.number}" if effective is not None else "Changes"
        )
        self.diff.setHtml(diff_html(diff))
        self.text.setHtml(
            f"<h3>{escape(pinned.title)}</h3>"
            f'<div style="white-space:pre-wrap;">{escape(pinned.body)}</div>'
        )
