"""Screenshots of every page with demo data, for the README and the user guide.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tools/screenshots.py [OUT_DIR]

Seeds a temporary data dir with the demo, starts some work so the monitor has rows, opens
the real window (embedded worker) at 1200x760 and saves one PNG per page.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from governance_desktop.services.users import os_username
from governance_desktop.ui.launch import create_main_window
from governance_desktop.ui.pages import PAGES

FILES = {
    "policiesPage": "policies",
    "workflowsPage": "workflows",
    "approvalsPage": "approvals",
    "tasksPage": "tasks",
    "jobMonitorPage": "jobs",
    "auditPage": "audit",
}


def pump(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


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
        ctx.load_demo(me)
        ctx.close()
        window = create_main_window(data, embedded_worker=True, actor="bob")
        window.resize(1200, 760)
        window.show()
        services = window.ui.app
        services.policies.change_status("alice", "POL-003", "in_review", "annual review")
        services.policies.change_status("alice", "POL-009", "in_review", "new remote rules")
        pump(4.0)
        for index, entry in enumerate(PAGES):
            name = entry.name
            window.nav.setCurrentRow(index)
            pump(1.5)
            target = out / f"{FILES[name]}.png"
            window.grab().save(str(target))
            print(f"saved {target}")
        window.shutdown()
    del app


if __name__ == "__main__":
    main()
