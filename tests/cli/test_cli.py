"""The command line end to end: demo, policies, workflows, audit, backup, check, errors."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from governance_desktop.domain.workflow.definition import parse_definition
from tests.helpers.rawdb import past_the_triggers, raw_db

VALID: dict[str, Any] = {
    "schema_version": 1,
    "name": "Kickoff",
    "entity_type": "policy",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "conditions": {"all": [{"field": "title", "op": "contains", "value": "Security"}]},
    "actions": [
        {"type": "assign", "user": "alice"},
        {"type": "create_task", "title": "Review {policy.code}", "assignee": "alice"},
        {"type": "notify", "users": ["bob"], "title": "{policy.code} in review"},
    ],
}


def _write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.fixture
def demo(cli):  # type: ignore[no-untyped-def]
    result = cli("demo")
    assert result.code == 0, result.err
    return cli


def test_demo_is_idempotent(demo) -> None:  # type: ignore[no-untyped-def]
    """A second demo run adds nothing."""
    first = demo("policies", "list", "--json").json()
    again = demo("demo")
    assert again.code == 0 and "0 users, 0 policies, 0 workflows" in again.out
    assert demo("policies", "list", "--json").json() == first
    assert len(first) == 12
    assert {p["status"] for p in first} == {
        "draft",
        "in_review",
        "awaiting_approval",
        "approved",
        "published",
        "retired",
    }


def test_policies_list_json_keys(demo) -> None:  # type: ignore[no-untyped-def]
    """--json prints only JSON with the stable snake_case keys."""
    rows = demo("policies", "list", "--json").json()
    assert {"code", "title", "status", "owner", "assignee"} <= set(rows[0])
    one = demo("policies", "show", "POL-003", "--json").json()
    assert one["code"] == "POL-003" and one["status"] == "draft"
    assert demo("users", "list", "--json").json()[0].keys() >= {"username", "role"}
    assert {w["name"] for w in demo("workflows", "list", "--json").json()}


def test_set_status_good_and_refused(demo) -> None:  # type: ignore[no-untyped-def]
    """A legal move prints it; an illegal one is one line, exit 1, nothing changed."""
    ok = demo("policies", "set-status", "POL-003", "in_review", "--comment", "go")
    assert ok.code == 0 and "draft -> in_review" in ok.out
    bad = demo("policies", "set-status", "POL-009", "published")
    assert bad.code == 1
    assert bad.err == (
        "error: POL-009: cannot move from draft to published (allowed: in_review, retired)\n"
    )
    assert demo("policies", "show", "POL-009", "--json").json()["status"] == "draft"


def test_import_export_round_trip(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Import stores version 1; identical re-import is unchanged; an edit makes version 2."""
    path = _write(tmp_path, "wf.json", VALID)
    assert "imported: Kickoff (version 1)" in demo("workflows", "import", path).out
    assert "unchanged: Kickoff (version 1)" in demo("workflows", "import", path).out
    out = tmp_path / "out.json"
    assert demo("workflows", "export", "Kickoff", "--output", str(out)).code == 0
    exported = json.loads(out.read_text())
    assert parse_definition(exported) == parse_definition(VALID)
    exported["description"] = "changed"
    assert (
        "updated: Kickoff (version 2)"
        in demo("workflows", "import", _write(tmp_path, "wf2.json", exported)).out
    )
    assert demo("workflows", "disable", "Kickoff").code == 0
    rows = {w["name"]: w for w in demo("workflows", "list", "--json").json()}
    assert rows["Kickoff"]["version"] == 2 and rows["Kickoff"]["enabled"] is False


def _bad(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(VALID))
    for dotted, value in changes.items():
        node: Any = data
        keys = dotted.split("__")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        last = keys[-1]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return data


_DELETE = object()

BAD_FILES = [
    ("malformed", '{"schema_version": 1, "name": ', "line 1 column"),
    ("action type", _bad(actions__2__type="explode"), "actions[2].type: "),
    ("trigger type", _bad(trigger__type="on_moon"), "trigger.type: "),
    ("condition field", _bad(conditions__all__0__field="colour"), "conditions.all[0].field: "),
    ("condition op", _bad(conditions__all__0__op="like"), "conditions.all[0].op: "),
    ("missing field", _bad(actions__1__title=_DELETE), "actions[1].title: "),
    ("unknown user", _bad(actions__0__user="ghost"), "actions[0].user: unknown user 'ghost'"),
    ("bad status", _bad(trigger__to_status="finished"), "trigger.to_status: "),
]


@pytest.mark.parametrize(("case", "content", "where"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_import_errors_are_one_line_and_store_nothing(  # type: ignore[no-untyped-def]
    demo, tmp_path: Path, case: str, content: Any, where: str
) -> None:
    """Each bad file: exit 1, `error: <file>: <json path>: <what>`, no workflow stored."""
    before = demo("workflows", "list", "--json").json()
    good = _write(tmp_path, "good.json", VALID)
    path = _write(tmp_path, "bad.json", content)
    result = demo("workflows", "import", good, path)
    assert result.code == 1, case
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: {where}"), result.err
    assert "Traceback" not in result.err + result.out
    assert demo("workflows", "list", "--json").json() == before


def test_unknown_status_and_policy(demo) -> None:  # type: ignore[no-untyped-def]
    """Unknown values are named in one line."""
    r = demo("policies", "set-status", "POL-001", "finished")
    assert r.code == 1 and r.err.startswith("error: status: 'finished' is not a status")
    r = demo("policies", "show", "POL-999")
    assert (r.code, r.err) == (1, "error: unknown policy 'POL-999'\n")
    r = demo("policies", "set-status", "POL-003", "in_review", actor="ghost")
    assert (r.code, r.err) == (1, "error: unknown actor 'ghost'\n")


def test_usage_errors_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    """Missing or unknown arguments are usage errors."""
    assert cli("policies", "add", "POL-1").code == 2
    assert cli("nonsense").code == 2
    assert cli("policies", "list", "--bogus").code == 2


def test_audit_verify_and_export(demo, tmp_path: Path, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """verify passes on a fresh trail, fails naming the event after tampering."""
    ok = demo("audit", "verify")
    assert ok.code == 0 and "audit trail intact" in ok.out
    export = demo("audit", "export", str(tmp_path / "a.csv"))
    assert export.code == 0 and (tmp_path / "a.csv").exists()
    with past_the_triggers(data_dir) as raw:
        raw.execute("UPDATE audit_events SET details = '{}' WHERE id = 5")
    bad = demo("audit", "verify")
    assert bad.code == 1 and bad.err.startswith("error: audit trail broken at event 5")


@pytest.mark.sqlite_only("backup copies the SQLite file (PostgreSQL: pg_dump)")
def test_backup_copies_the_live_file(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """backup copies the live file, and refuses to overwrite one."""
    target = tmp_path / "copy.db"
    assert demo("backup", str(target)).code == 0
    with sqlite3.connect(target) as raw:
        assert raw.execute("select count(*) from policies").fetchone() == (12,)
    assert demo("backup", str(target)).code == 1


def test_check_reports_the_counts_and_a_burst_worker_exits(demo) -> None:  # type: ignore[no-untyped-def]
    """check reports the counts and the schema; a burst worker exits."""
    info = demo("check", "--json").json()
    assert info["policies"] == 12 and info["schema_revision"]
    assert demo("worker", "--burst").code == 0


def test_bad_setting_is_named(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """An invalid environment setting gives one line naming it."""
    monkeypatch.setenv("GOVERNANCE_WORKERS", "lots")
    r = cli("check")
    assert r.code == 1 and r.err.startswith("error: invalid setting workers")


def test_newer_database_refused_by_cli(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """An older app refuses a newer database with a clear line and leaves it alone."""
    assert cli("check").code == 0
    with raw_db(data_dir) as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'zz99'")
    r = cli("policies", "list")
    assert r.code == 1 and "zz99" in r.err and "not changed" in r.err


def test_module_entry_point_runs(tmp_path: Path) -> None:
    """`python -m governance_desktop` works and a user error shows no traceback."""
    env = {**os.environ, "GOVERNANCE_DATA_DIR": str(tmp_path / "d")}
    proc = subprocess.run(
        [sys.executable, "-m", "governance_desktop", "policies", "show", "X"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == "error: unknown policy 'X'\n"
