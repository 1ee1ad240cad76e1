"""Screenshots of a policy's Versions tab and of the approvals inbox with the text under
approval and its diff, for the user guide.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tools/screenshots_versions.py [OUT]

Builds a small register (a policy published at v2 with revision v3 in review, a workflow that
asks bob to approve it), opens the real window as bob at 1200x760 and saves
``versions.png`` and ``approvals-diff.png`` (default folder: docs/screenshots).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication, QTabWidget

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from governance_desktop.services.users import os_username
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import Policy, PolicyVersion
from governance_desktop.store.types import utcnow
from governance_desktop.ui.launch import create_main_window

BODY_V1 = """1. Purpose
Access to company systems is granted on a need-to-know basis.

2. Reviews
Managers shall review the access rights of their staff once a year.
Unused accounts are disabled after 90 days.

3. Exceptions
Exceptions are approved by the security officer.
"""
BODY_V2 = BODY_V1.replace("once a year", "twice a year")
BODY_V3 = """1. Purpose
Access to company systems is granted on a need-to-know basis and removed when no longer needed.

2. Reviews
Managers must review the access rights of their staff every quarter.
Unused accounts are disabled after 30 days.

3. Exceptions
Exceptions are approved by the security officer and recorded in the register.
"""
REVIEW = {
    "schema_version": 1,
    "name": "Review kickoff",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": [
        {
            "type": "approval",
            "title": "Review of {policy.code}",
            "approvers": ["bob", "carol"],
            "rule": "any",
        }
    ],
}


def pump(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def approve_and_publish(ctx: AppContext, me: str, code: str) -> None:
    """Walk ``code`` to published, its version marked approved as a met rule would."""
    for status in ("in_review", "awaiting_approval"):
        ctx.policies.change_status(me, code, status)
    with ctx.db.transaction() as session:
        policy = session.query(Policy).filter_by(code=code).one()
        session.query(PolicyVersion).filter_by(policy_id=policy.id, number=policy.version).update(
            {"approved_at": utcnow()}
        )
    for status in ("approved", "published"):
        ctx.policies.change_status(me, code, status)


def seed(data: Path, me: str) -> None:
    ctx = open_app(load_settings(data_dir=data))
    try:
        for name, full, role in (
            ("alice", "Alice Martin", "officer"),
            ("bob", "Bob Chen", "approver"),
            ("carol", "Carol Diaz", "approver"),
            ("dave", "Dave Okafor", "officer"),
        ):
            ctx.users.add(me, name, full, role)  # type: ignore[arg-type]
        policies = ctx.policies
        policies.add("alice", "POL-001", "Access Control Policy", body=BODY_V1)
        policies.add("alice", "POL-002", "Acceptable Use Policy")
        policies.add(me, "POL-003", "Data Retention Policy", owner="carol", body="Keep records.")
        policies.add(me, "POL-004", "Remote Work Policy", owner="alice", body="Use the VPN.")
        approve_and_publish(ctx, me, "POL-003")
        approve_and_publish(ctx, me, "POL-001")
        policies.update("dave", "POL-001", body=BODY_V2)
        approve_and_publish(ctx, me, "POL-001")
        policies.update("alice", "POL-001", body=BODY_V3, review_interval_days=180)
        ctx.workflows.import_definitions(me, [DefinitionSource("review.json", data=REVIEW)])
    finally:
        ctx.close()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").absolute()
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="gd-shots-config-")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        seed(data, os_username())
        window = create_main_window(data, embedded_worker=True, actor="bob")
        window.resize(1200, 760)
        window.show()
        window.ui.app.policies.change_status("alice", "POL-001", "in_review", "quarterly reviews")
        pump(3.0)

        window.nav.setCurrentRow(0)
        pump(1.0)
        policies = window.page("policiesPage")
        policies.select_code("POL-001")  # type: ignore[attr-defined]
        tabs = policies.findChild(QTabWidget, "policyDetailsTabs")
        tabs.setCurrentIndex(tabs.count() - 1)
        policies.splitter.setSizes([330, 400])  # type: ignore[attr-defined]
        pump(2.0)
        window.grab().save(str(out / "versions.png"))
        print(f"saved {out / 'versions.png'}")

        approvals = window.page("approvalsPage")
        window.nav.setCurrentRow(2)
        pump(1.5)
        approvals.select(approvals.pending.row(0).id)  # type: ignore[attr-defined]
        pump(2.0)
        window.grab().save(str(out / "approvals-diff.png"))
        print(f"saved {out / 'approvals-diff.png'}")
        window.shutdown()
    del app


if __name__ == "__main__":
    main()
