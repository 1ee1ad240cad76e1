"""Issue 13, part 6: bad input gets one clear line and changes nothing.

Terminal control sequences are printed escaped; names people pick between are unique without
case and by Unicode TR39 skeleton; NUL is refused everywhere; sizes are limited; a search is
literal and short.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from governance_desktop.domain.errors import ValidationError
from governance_desktop.services.audit_pages import AuditFilter
from governance_desktop.services.job_pages import JobFilter
from tests.helpers.rawdb import raw_db

EVIL = "Evil \x1b[2J\x1b]0;owned\x07 \x9b31m \u202ereversed\u202c \u2066x\u2069 end\nline2"


def _workflow(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": name,
        "trigger": {"type": "manual"},
        "actions": [{"type": "set_status", "status": "in_review"}],
        **extra,
    }


def _write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _one_line_error(result: Any) -> str:
    assert result.code == 1, (result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("error: "), result.err
    return str(result.err)


def _unsafe(text: str) -> list[str]:
    """Characters a terminal would act on (C0 but newline, DEL, C1, bidi controls)."""
    bidi = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or c in bidi]


# --- terminal control sequences -------------------------------------------------------------


def test_control_sequences_in_titles_are_printed_escaped(cli) -> None:  # type: ignore[no-untyped-def]
    """`policies list` and `show` print a hostile title escaped; `--json` keeps it exactly."""
    assert cli("policies", "add", "POL-X", "--title", EVIL, "--body", EVIL).code == 0
    for args in (("policies", "list"), ("policies", "show", "POL-X")):
        result = cli(*args)
        assert result.code == 0, result.err
        assert _unsafe(result.out) == [], args
        assert "\\x1b[2J" in result.out and "\\x9b" in result.out and "\\u202e" in result.out
    assert cli("policies", "list").out.count("\n") == 2  # header and one row: one line
    assert "\\nline2" in cli("policies", "show", "POL-X").out
    listed = cli("policies", "list", "--json")
    assert _unsafe(listed.out) == []  # JSON escapes them too (\u009b, \u202e) …
    assert listed.json()[0]["title"] == EVIL.strip()  # … and keeps the data
    shown = cli("policies", "show", "POL-X", "--json").json()
    assert shown["title"] == EVIL.strip() and shown["body"] == EVIL


def test_workflow_export_to_stdout_escapes_c1_and_bidi(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`workflows export NAME` prints JSON: its strings keep the data, as \\u escapes."""
    description = "8-bit CSI \x9b2J, RLO \u202e, DEL \x7f"
    source = _write(tmp_path, "w.json", _workflow("Exported", description=description))
    assert cli("workflows", "import", source).code == 0
    result = cli("workflows", "export", "Exported")
    assert result.code == 0, result.err
    assert _unsafe(result.out) == []
    assert json.loads(result.out)["description"] == description


def test_control_sequences_in_an_error_line_are_escaped(cli) -> None:  # type: ignore[no-untyped-def]
    err = _one_line_error(cli("policies", "show", "POL\x1b[2J\u202e"))
    assert _unsafe(err) == [] and "unknown policy" in err


# --- names: case, confusables, invisible characters -------------------------------------------


def test_username_taken_without_case_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("users", "add", "alice").code == 0
    before = cli("users", "list", "--json").json()
    err = _one_line_error(cli("users", "add", "Alice"))
    assert err == (
        "error: username 'Alice' is already taken by 'alice' (names are compared without case)\n"
    )
    err = _one_line_error(cli("users", "add", "aIice"))  # capital I for l
    assert "username 'aIice' looks the same as the existing 'alice'" in err and "TR39" in err
    assert cli("users", "list", "--json").json() == before


def test_policy_code_that_looks_like_another_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("policies", "add", "POL-001", "--title", "One").code == 0
    err = _one_line_error(cli("policies", "add", "POL-OO1", "--title", "Two"))  # letters O
    assert "policy code 'POL-OO1' looks the same as the existing 'POL-001'" in err
    err = _one_line_error(cli("policies", "add", "pol-001", "--title", "Three"))
    assert "policy code 'pol-001' is already taken by 'POL-001'" in err
    assert [p["code"] for p in cli("policies", "list", "--json").json()] == ["POL-001"]


def test_workflow_names_clash_without_case_or_by_skeleton(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("workflows", "import", _write(tmp_path, "a.json", _workflow("Kickoff"))).code == 0
    again = cli("workflows", "import", _write(tmp_path, "a2.json", _workflow("Kickoff")))
    assert again.code == 0 and "unchanged: Kickoff" in again.out  # its own name is fine
    err = _one_line_error(
        cli("workflows", "import", _write(tmp_path, "b.json", _workflow("kickoff")))
    )
    assert "name: workflow name 'kickoff' is already taken by 'Kickoff'" in err
    cyrillic = "\u041aickoff"  # Cyrillic capital KA
    err = _one_line_error(
        cli("workflows", "import", _write(tmp_path, "c.json", _workflow(cyrillic)))
    )
    assert "looks the same as the existing 'Kickoff'" in err
    assert [w["name"] for w in cli("workflows", "list", "--json").json()] == ["Kickoff"]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Kick\u200boff", "a zero-width character (U+200B)"),
        ("Kick\ufeffoff", "a zero-width character (U+FEFF)"),
        ("Kick\u202eoff", "a bidirectional control character (U+202E)"),
        ("Kick\u2066off", "a bidirectional control character (U+2066)"),
        ("Kick\x1boff", "a character that is not printable (U+001B)"),
    ],
)
def test_invisible_characters_in_a_workflow_name_are_refused(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, name: str, problem: str
) -> None:
    err = _one_line_error(cli("workflows", "import", _write(tmp_path, "w.json", _workflow(name))))
    assert ": name: " in err and problem in err
    assert cli("workflows", "list", "--json").json() == []


def test_workflow_name_is_stored_in_nfc(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert (
        cli(
            "workflows", "import", _write(tmp_path, "w.json", _workflow("Revue e\u0301te\u0301"))
        ).code
        == 0
    )
    assert [w["name"] for w in cli("workflows", "list", "--json").json()] == ["Revue \u00e9t\u00e9"]


def test_existing_duplicates_keep_working(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Rows that clash from before the rule stay usable: only new names are refused."""
    assert cli("users", "add", "alice").code == 0
    with raw_db(data_dir) as db:
        db.execute(
            "INSERT INTO users (username, display_name, role, created_at) "
            "SELECT 'ALICE', 'old', role, created_at FROM users WHERE username = 'alice'"
        )
    assert [u["username"] for u in cli("users", "list", "--json").json()].count("ALICE") == 1
    assert cli("policies", "add", "POL-1", "--title", "T", "--owner", "ALICE").code == 0
    assert cli("policies", "show", "POL-1", "--json").json()["owner"] == "ALICE"


# --- NUL and sizes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("policies", "add", "POL-N", "--title", "a\x00b"), "title"),
        (("policies", "add", "POL-N", "--title", "ok", "--body", "a\x00b"), "body"),
        (("users", "add", "nul", "--name", "a\x00b"), "name"),
        (("users", "add", "a\x00b"), "username"),
    ],
)
def test_nul_is_refused_and_nothing_is_stored(cli, args: tuple[str, ...], field: str) -> None:  # type: ignore[no-untyped-def]
    err = _one_line_error(cli(*args))
    assert f"{field}: contains a NUL character" in err
    assert cli("policies", "list", "--json").json() == []
    assert len(cli("users", "list", "--json").json()) == 1  # the first admin only


def test_nul_in_a_status_comment_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("policies", "add", "POL-C", "--title", "T").code == 0
    err = _one_line_error(cli("policies", "set-status", "POL-C", "in_review", "--comment", "x\x00"))
    assert "comment: contains a NUL character" in err
    assert cli("policies", "show", "POL-C", "--json").json()["status"] == "draft"


def test_nul_in_a_workflow_file_is_refused_at_its_path(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _workflow("Nul", description="a\x00b")
    err = _one_line_error(cli("workflows", "import", _write(tmp_path, "n.json", data)))
    assert "n.json: description: contains a NUL character" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("policies", "add", "POL-S", "--title", "t" * 301), "title: longer than 300 characters"),
        (
            ("policies", "add", "POL-S", "--title", "T", "--body", "b" * 1_000_001),
            "body: longer than 1,000,000 characters (1,000,001)",
        ),
    ],
)
def test_sizes_are_limited(cli, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    assert message in _one_line_error(cli(*args))
    assert cli("policies", "list", "--json").json() == []


def test_comment_size_is_limited(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("policies", "add", "POL-C", "--title", "T").code == 0
    long = "c" * 10_001
    err = _one_line_error(cli("policies", "set-status", "POL-C", "in_review", "--comment", long))
    assert "comment: longer than 10,000 characters" in err


def test_a_body_of_the_limit_is_accepted(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("policies", "add", "POL-B", "--title", "T", "--body", "b" * 1_000_000).code == 0


def test_policies_list_does_not_load_bodies(ctx) -> None:  # type: ignore[no-untyped-def]
    """The list query selects no body column; the window's editor asks for bodies."""
    admin = ctx.users.list()[0].username
    ctx.policies.add(admin, "POL-1", "T", body="x" * 100_000)
    statements: list[str] = []
    engine = ctx.db.engine

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = ctx.policies.list()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [p.body for p in listed] == [None]
    assert not [s for s in statements if "policies.body" in s]
    assert ctx.policies.list(bodies=True)[0].body == "x" * 100_000


# --- search ---------------------------------------------------------------------------------


@pytest.fixture
def titled(cli):  # type: ignore[no-untyped-def]
    for code, title in [
        ("POL-1", "Coverage 100% required"),
        ("POL-2", "Coverage 1000 units"),
        ("POL-3", "snake_case names"),
        ("POL-4", "snakeXcase names"),
        ("POL-5", "back\\slash"),
    ]:
        assert cli("policies", "add", code, "--title", title).code == 0
    return cli


def _codes(cli, search: str) -> list[str]:  # type: ignore[no-untyped-def]
    result = cli("policies", "list", "--search", search, "--json")
    assert result.code == 0, result.err
    return [p["code"] for p in result.json()]


def test_search_wildcards_are_literal(titled) -> None:  # type: ignore[no-untyped-def]
    assert _codes(titled, "100%") == ["POL-1"]
    assert _codes(titled, "_") == ["POL-3"]
    assert _codes(titled, "e_c") == ["POL-3"]
    assert _codes(titled, "\\") == ["POL-5"]
    assert _codes(titled, "%") == ["POL-1"]


def test_a_long_search_is_refused_with_one_line(titled) -> None:  # type: ignore[no-untyped-def]
    err = _one_line_error(titled("policies", "list", "--search", "%" * 10_000))
    assert err == "error: search: longer than 200 characters (10,000)\n"
    assert _codes(titled, "a" * 200) == []  # the limit itself is fine


def test_page_filters_refuse_a_long_search() -> None:
    with pytest.raises(ValidationError, match="search: longer than 200"):
        JobFilter(search="x" * 201).conditions()
    with pytest.raises(ValidationError, match="actor: longer than 200"):
        AuditFilter(actor="x" * 201).conditions()


@pytest.mark.sqlite_only("an old row holding a NUL: PostgreSQL text never held one")
def test_task_titles_from_placeholders_hold_no_nul_and_fit_their_column(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, data_dir: Path
) -> None:
    """A policy title written before NUL was refused renders into a storable task title."""
    assert cli("policies", "add", "POL-T", "--title", "T").code == 0
    with raw_db(data_dir) as db:
        db.execute("UPDATE policies SET title = ? WHERE code = 'POL-T'", ("a\x00b" + "t" * 297,))
    title = "{policy.title}" * 140  # 1,960 characters of template, 42,000 rendered
    flow = {
        **_workflow("Tasks"),
        "actions": [{"type": "create_task", "title": title}, {"type": "create_task", "title": "x"}],
    }
    assert cli("workflows", "import", _write(tmp_path, "t.json", flow)).code == 0
    assert cli("workflows", "run", "Tasks", "--entity", "POL-T").code == 0
    assert cli("worker", "--burst").code == 0
    tasks = cli("tasks", "list", "--json").json()
    assert len(tasks) == 2
    long = tasks[0]["title"]
    assert "\x00" not in long and long.startswith("a\ufffdb") and len(long) == 2000


@pytest.mark.parametrize(
    "args",
    [
        ("policies", "add", "B-1", "--title", "caf\udce9"),  # b"caf\xe9": Latin-1, not UTF-8
        ("policies", "list", "--search", "\udcff"),
    ],
)
def test_text_that_is_not_utf8_is_one_line(cli, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """An argument in another encoding reaches Python as lone surrogates (surrogateescape):
    one line saying so, not "unexpected failure (UnicodeEncodeError …)"."""
    err = _one_line_error(cli(*args))
    assert "not valid UTF-8" in err
    assert cli("policies", "list", "--json").json() == []
