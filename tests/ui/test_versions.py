"""The Versions tab of a policy and the text under approval in the inbox, with their diffs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QComboBox, QLabel, QTabWidget, QTextBrowser

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.pages.approvals.page import ApprovalsPage
from governance_desktop.ui.pages.policies.page import PoliciesPage
from tests.helpers.actors import ME
from tests.helpers.authority import publish
from tests.helpers.identity import signer
from tests.helpers.pages import make_page
from tests.helpers.workflows import drain, workflow

V1 = "Every officer shall review access rights.\nLogs are kept.\n"
V2 = "Every officer must review access rights yearly.\nLogs are kept.\n"
RED, GREEN = "#b3261e", "#116329"


@pytest.fixture
def demo_dir(data_dir: Path) -> Path:
    """(Replaces the demo for `ui_ctx`.) POL-1 published at v1 with revision v2 in review;
    a workflow asked bob to approve v2."""
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        ctx.users.add(ME, "alice", "Alice", "officer")  # type: ignore[arg-type]
        ctx.users.add(ME, "bob", "Bob", "approver")  # type: ignore[arg-type]
        ctx.policies.add(ME, "POL-1", "Access control", body=V1, owner="alice")
        publish(ctx, "POL-1")
        ctx.policies.update("alice", "POL-1", body=V2)
        definition = workflow("Approve", [{"type": "approval", "approvers": ["bob"]}])
        ctx.workflows.import_definitions(
            ME, [DefinitionSource("a.json", data=definition)], signer=signer(ctx, ME)
        )
        ctx.policies.change_status("alice", "POL-1", "in_review")
        drain(ctx)
    finally:
        ctx.close()
    return data_dir


def fragments(view: QTextBrowser) -> list[tuple[str, str]]:
    """The shown text as (text, how): "deleted" struck through in red, "inserted" in green."""
    out: list[tuple[str, str]] = []
    document: QTextDocument = view.document()
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            color = fmt.foreground().color().name()
            if fmt.fontStrikeOut() and color == RED:
                how = "deleted"
            elif color == GREEN:
                how = "inserted"
            else:
                how = ""
            if how:
                out.append((fragment.text(), how))
            it += 1
        block = block.next()
    return out


def test_versions_tab_lists_versions_and_shows_the_diff(
    qtbot, qtmodeltester, ui_ctx: UiContext
) -> None:  # type: ignore[no-untyped-def]
    """Selecting a published policy with a revision: the header says "Published v1 · revision
    v2 in review", the Versions tab lists both versions and shows v1 → v2 word by word."""
    page = make_page(qtbot, PoliciesPage(ui_ctx))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    # The page selects its first row itself: POL-1 may be shown already (no new load).
    qtbot.waitUntil(lambda: page.select_code("POL-1"), timeout=5000)
    qtbot.waitUntil(
        lambda: (
            page.versions.model.rowCount() == 2
            and page.editor.policy is not None
            and page.editor.policy.body is not None
        ),
        timeout=5000,
    )
    meta = page.findChild(QLabel, "policyMeta").text()
    assert meta.startswith("Published v1 · revision v2 in review · ")
    tabs = page.findChild(QTabWidget, "policyDetailsTabs")
    assert tabs.tabText(tabs.count() - 1) == "Versions"
    tabs.setCurrentIndex(tabs.count() - 1)
    versions = page.versions
    rows = [[versions.model.index(r, c).data() for c in (0, 1, 2)] for r in range(2)]
    assert rows == [["v1", "effective", ME], ["v2", "working revision", "alice"]]
    assert versions.model.index(0, 4).data() and versions.model.index(0, 5).data()
    assert not versions.model.index(1, 4).data()
    qtmodeltester.check(versions.model)
    heading = page.findChild(QLabel, "versionsDiffHeading")
    qtbot.waitUntil(lambda: heading.text().startswith("Changes from"), timeout=5000)
    assert heading.text() == "Changes from v1 (effective) to v2 (working revision)"
    view = page.findChild(QTextBrowser, "versionsDiff")
    assert fragments(view) == [("shall", "deleted"), ("must", "inserted"), (" yearly", "inserted")]
    assert "Every officer shallmust review access rights yearly." in view.toPlainText()
    assert page.findChild(QComboBox, "versionsFrom").currentData() == 1
    assert page.findChild(QComboBox, "versionsTo").currentData() == 2

    with qtbot.waitSignal(versions.loaded, timeout=5000):
        versions.compare(2, 2)
    assert fragments(view) == []
    assert "The text is unchanged." in view.toPlainText()


def test_versions_tab_shows_signatures_and_approvals(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """Each version's signatures (Published) and the approvals that approved it are shown
    with their manifestation: printed name, date and time with zone, meaning."""
    page = make_page(qtbot, PoliciesPage(ui_ctx))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    # The page selects its first row itself: POL-1 may be shown already (no new load).
    qtbot.waitUntil(lambda: page.select_code("POL-1"), timeout=5000)
    qtbot.waitUntil(
        lambda: (
            page.versions.model.rowCount() == 2
            and page.editor.policy is not None
            and page.editor.policy.body is not None
        ),
        timeout=5000,
    )
    versions = page.versions
    v1 = versions.model.row(0)
    published = v1.signatures[-1]
    assert published.meaning == "Published" and published.manifestation.endswith(" UTC")
    assert versions.model.index(0, 6).data() == published.manifestation
    approvals = [
        a for a in ui_ctx.app.approvals.list(policy="POL-1") if a.content_hash == v1.content_hash
    ]
    approved = [a.signature for a in approvals if a.signature is not None]
    assert approved and approved[0].manifestation.startswith("Approved by ")
    versions.table.selectRow(0)
    label = page.findChild(QLabel, "versionSignatures")
    qtbot.waitUntil(lambda: label.text().startswith("<b>v1</b>"), timeout=5000)
    assert f"Signed: {published.manifestation}" in label.text()
    assert approved[0].manifestation in label.text()


def test_inbox_shows_the_pinned_text_and_its_diff(qtbot, ui_ctx: UiContext) -> None:  # type: ignore[no-untyped-def]
    """Beside Approve, bob sees v2 (the version the request pinned, by its hash) and what it
    changes against the effective v1; the full text is a tab away."""
    bob = replace(ui_ctx, actor="bob")
    page = make_page(qtbot, ApprovalsPage(bob))
    qtbot.waitUntil(lambda: page.pending_count() == 1, timeout=5000)
    pinned = page.pinned
    assert pinned.shown is None
    assert page.select(page.pending.row(0).id)
    qtbot.waitUntil(lambda: pinned.shown is not None, timeout=5000)
    digest = ui_ctx.app.policy_versions.version("bob", "POL-1", 2).content_hash
    heading = page.findChild(QLabel, "approvalTextHeading").text()
    assert heading == (
        f"<b>POL-1 v2</b> is under approval (content hash {digest[:12]}…), "
        "compared with the effective version v1."
    )
    tabs = page.findChild(QTabWidget, "approvalTextTabs")
    assert [tabs.tabText(i) for i in range(2)] == ["Changes against v1", "Text under approval"]
    diff = page.findChild(QTextBrowser, "approvalDiff")
    assert fragments(diff) == [("shall", "deleted"), ("must", "inserted"), (" yearly", "inserted")]
    text = page.findChild(QTextBrowser, "approvalText").toPlainText()
    assert text == "Access control\n" + V2.rstrip("\n")
    assert pinned.parent() is page.approve_button.parent()  # right where the buttons are
