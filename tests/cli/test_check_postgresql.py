"""`check` on PostgreSQL runs real checks and names them (schema revision, row counts, the
whole audit chain, the append-only trigger, the app login's rights on the trail), fails on a
trail changed behind the app's back, and never shows a database or Redis password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from governance_desktop.store.migrate import HEAD_REVISION
from tests.helpers.rawdb import past_the_triggers, raw_db

pytestmark = pytest.mark.team_only("check on a PostgreSQL database")

DB_SECRET = "Db-Secret-4Kz9"
QUERY_SECRET = "Query-Secret-8Wm2"
REDIS_SECRET = "Redis-Secret-3Pq7"


def _policies(cli, n: int = 3) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        assert cli("policies", "add", f"POL-{i:03}", "--title", f"Policy {i}").code == 0


def test_check_says_what_it_checked(cli) -> None:  # type: ignore[no-untyped-def]
    """`check --json` lists each check and what it found; the text form names them too."""
    _policies(cli)
    done = cli("check", "--json")
    assert done.code == 0, done.err
    info = done.json()
    assert info["integrity"] == "ok"
    checked = "\n".join(info["checked"])
    assert f"schema revision {HEAD_REVISION}" in checked
    assert "audit chain re-hashed: 4 events" in checked
    assert "trigger audit_events_append_only: enabled" in checked
    assert "rights of postgres on audit_events: SELECT, INSERT, UPDATE, DELETE, TRUNCATE" in (
        checked
    )
    assert info["rows"]["policies"] == 3 and info["rows"]["audit_events"] == 4
    assert "setup-database" in done.err  # a superuser login is a warning
    text = cli("check")
    assert text.code == 0 and "audit chain re-hashed" in text.out


def test_check_fails_on_a_changed_trail(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """An audit row changed underneath the app: `check` exits 1 naming the event (it used to
    say "integrity ok" without looking)."""
    _policies(cli)
    with past_the_triggers(data_dir) as raw:
        raw.execute("UPDATE audit_events SET actor = 'mallory' WHERE id = 2")
    done = cli("check", "--json")
    assert done.code == 1
    assert done.json()["integrity"] != "ok"
    assert "audit trail broken at event 2" in done.err


def test_check_fails_without_the_trigger(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A dropped append-only trigger is a failed check, named."""
    with raw_db(data_dir) as raw:
        raw.execute("DROP TRIGGER audit_events_append_only ON audit_events")
    done = cli("check")
    assert done.code == 1
    assert "the trigger audit_events_append_only on audit_events is missing" in done.err


def test_check_and_the_log_never_show_a_password(data_dir: Path) -> None:
    """URLs with passwords (in the user part and in the query) are shown and logged with
    *** instead, by `check`, `check --json` and the log file (real processes)."""
    url = make_url(os.environ["GOVERNANCE_DATABASE_URL"]).set(password=DB_SECRET)
    with_query = url.update_query_dict({"password": QUERY_SECRET})
    queue = make_url(os.environ["GOVERNANCE_QUEUE_URL"]).set(password=REDIS_SECRET)
    env = {
        **os.environ,
        "GOVERNANCE_DATABASE_URL": with_query.render_as_string(False),
        "GOVERNANCE_QUEUE_URL": queue.render_as_string(False),
    }

    def gd(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir)]
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )

    shown = [gd("check"), gd("check", "--json")]
    assert all(r.returncode == 0 for r in shown), [r.stderr for r in shown]
    assert "***" in json.loads(shown[1].stdout)["database_url"]
    missing = with_query.set(database="gd_no_such_database").render_as_string(False)
    env["GOVERNANCE_DATABASE_URL"] = missing
    failed = gd("policies", "list")  # a connection error, logged with its traceback
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1
    logged = "".join(p.read_text(encoding="utf-8") for p in (data_dir / "logs").rglob("*.log*"))
    assert "database problem" in logged or "Traceback" in logged, logged[-500:]
    for secret in (DB_SECRET, QUERY_SECRET, REDIS_SECRET):
        for text in (*(r.stdout + r.stderr for r in [*shown, failed]), logged):
            assert secret not in text
