"""Make the upgrade fixture for the current schema revision: a demo database and its facts.

Run once per released schema revision, before the next migration is written, and commit both
files; `tests/store/test_upgrades.py` upgrades every stored file to head and checks the facts.

    .venv/bin/python tools/make_upgrade_fixture.py
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "store" / "upgrade_fixtures"
ACTOR = "fixture-admin"
TABLES = (
    "users",
    "policies",
    "workflows",
    "workflow_versions",
    "workflow_executions",
    "workflow_step_runs",
    "workflow_approvals",
    "tasks",
    "notifications",
    "jobs",
    "audit_events",
)


def _cli(data_dir: Path, *args: str) -> str:
    """Run the CLI as ACTOR, who becomes the first admin (the OS user name is not stored)."""
    command = [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir), *args]
    env = {**os.environ, "USER": ACTOR, "LOGNAME": ACTOR, "USERNAME": ACTOR}
    return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout


def _fill(data_dir: Path) -> None:
    """Demo data, two reviews started, one approved and one rejected, every job run."""
    _cli(data_dir, "demo")
    for code in ("POL-003", "POL-009"):
        _cli(data_dir, "policies", "set-status", code, "in_review")
    _cli(data_dir, "worker", "--burst")
    rows = json.loads(_cli(data_dir, "approvals", "list", "--json"))
    pending = [a for a in rows if a["status"] == "pending"]
    first = pending[0]
    second = next(a for a in pending if a["execution_id"] != first["execution_id"])
    answer = ("--actor", first["approver"], "approvals", "approve", str(first["id"]))
    _cli(data_dir, *answer, "--comment", "Reviewed, fine")
    answer = ("--actor", second["approver"], "approvals", "reject", str(second["id"]))
    _cli(data_dir, *answer, "--comment", "Retention period is missing")
    _cli(data_dir, "worker", "--burst")


def facts(db: Path) -> dict[str, object]:
    """What a correct upgrade must keep: row counts, policies, approvals, the audit head."""
    conn = sqlite3.connect(db)
    try:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        policies = conn.execute(
            "SELECT code, title, status, owner, version FROM policies ORDER BY code"
        ).fetchall()
        approvals = conn.execute(
            "SELECT approver, status, comment FROM workflow_approvals ORDER BY id"
        ).fetchall()
        head = conn.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()
    return {
        "revision": revision,
        "counts": counts,
        "policies": [list(row) for row in policies],
        "approvals": [list(row) for row in approvals],
        "audit_head": head[0],
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        _fill(data_dir)
        conn = sqlite3.connect(data_dir / "governance.db")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        target = FIXTURES / f"governance-rev{revision}.db"
        FIXTURES.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        conn.execute("VACUUM INTO ?", (str(target),))  # one compact file, no WAL beside it
        conn.close()
    (FIXTURES / f"governance-rev{revision}.json").write_text(
        json.dumps(facts(target), indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {target} and its facts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
