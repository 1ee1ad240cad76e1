"""Screenshots of every page with demo data, for the README and the user guide.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tools/screenshots.py [OUT_DIR]

Seeds a temporary data dir with the demo, starts some work so the monitor has rows, opens
the real window (embedded worker) at 1200x760 as bob (an approver) and saves one PNG per page,
then the Versions tab of POL-001 (published, with a revision) and bob's inbox showing that
revision's text and its diff against the version in force; then the sign dialog of bob's
first signature (user name and password: sign-dialog.png) and his inbox with the signed
approval and its manifestation (inbox-signed.png).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication, QLineEdit, QSplitter, QTabWidget, QWidget

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.services.users import os_username
from governance_desktop.ui.launch import create_main_window
from governance_desktop.ui.pages import PAGES
from governance_desktop.ui.signing.dialog import SignDialog

#: The demo's admin (the OS user) and bob sign with this password in the pictures.
PASSWORD = "Screenshot-Passw0rd!"

FILES = {
    "homePage": "home",
    "policiesPage": "policies",
    "workflowsPage": "workflows",
    "approvalsPage": "approvals",
    "tasksPage": "tasks",
    "jobMonitorPage": "jobs",
    "executionsPage": "runs",
    "auditPage": "audit",
    "usersPage": "users",
}


def pump(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def save(window: QWidget, target: Path) -> None:
    window.grab().save(str(target))
    print(f"saved {target}")


def save_screen(app: QApplication, window: QWidget, target: Path) -> None:
    """The window with the dialogs over it, as the screen shows them."""
    frame = window.frameGeometry()
    screen = app.primaryScreen()
    screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height()).save(str(target))
    print(f"saved {target}")


def signed_approval(app: QApplication, window: QWidget, approvals: Any, out: Path) -> None:
    """bob approves POL-001's revision: the sign dialog (his first signature of the session
    asks user name and password), then the answered approval with its manifestation."""
    approvals.comment.setPlainText("Reviewed the revised text; approved for the board.")
    approvals.approve()
    pump(1.0)
    dialog = next(w for w in app.topLevelWidgets() if isinstance(w, SignDialog) and w.isVisible())
    dialog.findChild(QLineEdit, "signUserName").setText("bob")
    dialog.findChild(QLineEdit, "signPassword").setText(PASSWORD)
    pump(0.5)
    save_screen(app, window, out / "sign-dialog.png")
    dialog.try_sign()
    pump(3.0)
    table = approvals.answered_table
    table.selectRow(0)
    approvals.findChild(QSplitter).setSizes([120, 260, 300])
    pump(1.5)
    save(window, out / "inbox-signed.png")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").absolute()
    # Saved column widths of the person running this must not change the pictures.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="gd-shots-config-")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        me = os_username()
        ctx = open_app(load_settings(data_dir=data))
        ctx.identity.change_own(me, None, PASSWORD)
        report = ctx.load_demo(me, ctx.identity.signer(me, PASSWORD))
        ctx.identity.change_own("bob", report.initial_passwords["bob"], PASSWORD)
        ctx.close()
        window = create_main_window(data, embedded_worker=True, actor="bob")
        window.resize(1200, 760)
        window.show()
        services = window.ui.app
        services.policies.change_status("alice", "POL-003", "in_review", "annual review")
        services.policies.change_status("alice", "POL-009", "in_review", "new remote rules")
        # POL-001's revision goes for approval: "Board approval" asks bob, carol and dave.
        services.policies.change_status("alice", "POL-001", "awaiting_approval", "revised")
        pump(4.0)
        for index, entry in enumerate(PAGES):
            name = entry.name
            window.nav.setCurrentRow(index)
            pump(1.5)
            target = out / f"{FILES[name]}.png"
            save(window, target)
        policies = window.open_page("policiesPage")
        pump(1.0)
        policies.select_code("POL-001")  # type: ignore[attr-defined]
        tabs = policies.findChild(QTabWidget, "policyDetailsTabs")
        tabs.setCurrentIndex(tabs.count() - 1)
        policies.splitter.setSizes([330, 400])  # type: ignore[attr-defined]
        pump(2.0)
        save(window, out / "versions.png")
        approvals = window.open_page("approvalsPage")
        pump(1.5)
        revision = next(
            row.id
            for row in approvals.pending.rows()  # type: ignore[attr-defined]
            if row.policy == "POL-001"
        )
        approvals.select(revision)  # type: ignore[attr-defined]
        pump(2.0)
        save(window, out / "approvals-diff.png")
        signed_approval(app, window, approvals, out)
        window.shutdown()
    del app


if __name__ == "__main__":
    main()
