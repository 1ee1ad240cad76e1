"""Make the upgrade fixture for the current schema revision: a demo database and its facts.

Run once per released schema revision, before the next migration is written, and commit both
files; `tests/store/test_upgrades.py` upgrades every stored file to head and checks the facts.

    .venv/bin/python tools/make_upgrade_fixture.py

Signed acts need passwords (given on `--password-stdin`): the OS user ACTOR chooses PASSWORD at
the demo's signature, and every demo user changes the initial password `demo` printed to
PASSWORD before answering. PASSWORD is written into the facts for the tests to sign with.
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
#: Every password the fixture sets (the tests sign with it; stored in the facts).
PASSWORD = "Fixture-Passw0rd!"
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
#: Tables counted only in files that have them (revision 0004 on).
LATER_TABLES = ("signing_keys", "signatures")


def _cli(data_dir: Path, *args: str, passwords: tuple[str, ...] = ()) -> str:
    """Run the CLI as ACTOR, who becomes the first admin (the OS user name is not stored);
    ``passwords`` go to `--password-stdin`, one a line."""
    command = [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir)]
    command += ["--password-stdin", *args]
    env = {**os.environ, "USER": ACTOR, "LOGNAME": ACTOR, "USERNAME": ACTOR}
    stdin = "".join(f"{p}\n" for p in passwords)
    done = subprocess.run(command, capture_output=True, text=True, env=env, input=stdin)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _demo(data_dir: Path) -> None:
    """The demo, signed by ACTOR's first password; each demo user then changes the initial
    password `demo` printed once to PASSWORD."""
    out = _cli(data_dir, "demo", passwords=(PASSWORD,))
    lines = out.split("initial passwords", 1)[1].splitlines()[1:]
    for username, initial in (line.split() for line in lines if line.strip()):
        change = ("--actor", username, "users", "set-password", username)
        _cli(data_dir, *change, passwords=(initial, PASSWORD))


def _fill(data_dir: Path) -> None:
    """Demo data, two reviews started, one approved and one rejected (each signed by its
    approver), every job run."""
    _demo(data_dir)
    for code in ("POL-003", "POL-009"):
        _cli(data_dir, "policies", "set-status", code, "in_review")
    _cli(data_dir, "worker", "--burst")
    rows = json.loads(_cli(data_dir, "approvals", "list", "--json"))
    pending = [a for a in rows if a["status"] == "pending"]
    first = pending[0]
    second = next(a for a in pending if a["execution_id"] != first["execution_id"])
    answer = ("--actor", first["approver"], "approvals", "approve", str(first["id"]))
    _cli(data_dir, *answer, "--comment", "Reviewed, fine", passwords=(PASSWORD,))
    answer = ("--actor", second["approver"], "approvals", "reject", str(second["id"]))
    _cli(data_dir, *answer, "--comment", "Retention period is missing", passwords=(PASSWORD,))
    _cli(data_dir, "worker", "--burst")


def facts(db: Path) -> dict[str, object]:
    """What a correct upgrade must keep: row counts, policies, approvals, the audit head."""
    conn = sqlite3.connect(db)
    try:
        present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        tables = TABLES + tuple(t for t in LATER_TABLES if t in present)
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
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
    found = {**facts(target), "password": PASSWORD}
    (FIXTURES / f"governance-rev{revision}.json").write_text(
        json.dumps(found, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {target} and its facts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
