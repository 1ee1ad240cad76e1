"""`policies edit | versions | diff | show --json`: editing from the command line, versions,
the effective version and the working revision, and the word-level diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from governance_desktop.app import AppContext
from tests.helpers.actors import ME
from tests.helpers.authority import publish

TEXT_V1 = "Every officer shall review access rights.\nLogs are kept.\n"
TEXT_V2 = "Every officer must review access rights yearly.\nLogs are kept.\n"


@pytest.fixture
def pol(ctx: AppContext) -> AppContext:
    """POL-1 as version 1, a draft owned by the acting admin; bob is an auditor."""
    ctx.users.add(ME, "bob", "Bob", "auditor")  # type: ignore[arg-type]
    ctx.policies.add(ME, "POL-1", "Access control", body=TEXT_V1)
    return ctx


def test_edit_from_a_file_saves_a_new_version(cli: Any, pol: AppContext, tmp_path: Path) -> None:
    """`policies edit --body-file F --title --review-days` saves version 2 with those fields."""
    body = tmp_path / "body.txt"
    body.write_text(TEXT_V2, encoding="utf-8")
    edit = ("--body-file", str(body), "--title", "Access", "--review-days", "180")
    result = cli("policies", "edit", "POL-1", *edit)
    assert result.code == 0, result.err
    assert result.out.strip() == "edited POL-1: version 2 saved"
    shown = cli("policies", "show", "POL-1", "--json").json()
    assert (shown["version"], shown["body"], shown["title"]) == (2, TEXT_V2, "Access")
    assert shown["review_interval_days"] == 180
    assert [v["number"] for v in cli("policies", "versions", "POL-1", "--json").json()] == [1, 2]


def test_edit_body_from_stdin(cli: Any, pol: AppContext) -> None:
    """`--body-file -` reads the new text (UTF-8) from standard input."""
    result = cli("policies", "edit", "POL-1", "--body-file", "-", stdin="Texte révisé ✓\n")
    assert result.code == 0, result.err
    assert pol.policies.get("POL-1").body == "Texte révisé ✓\n"
    assert pol.policies.get("POL-1").version == 2


@pytest.mark.parametrize(
    ("args", "stdin", "error"),
    [
        ((), b"", "error: nothing to change in POL-1: give --title, --body-file, --owner or "
         "--review-days"),
        (("--body-file", "/no/such/file"), b"",
         "error: --body-file /no/such/file: cannot read: No such file or directory"),
        (("--body-file", "-"), b"caf\xe9", "error: --body-file -: not UTF-8 text (byte 3 is 0xe9)"),
        (("--owner", "nobody"), b"", "error: unknown owner 'nobody'"),
    ],
)  # fmt: skip
def test_edit_errors_are_one_line_and_change_nothing(
    cli: Any,
    pol: AppContext,
    args: tuple[str, ...],
    stdin: bytes,
    error: str,
) -> None:
    """Nothing given, an unreadable file, bytes that are not UTF-8: one line, exit 1, no save."""
    result = cli("policies", "edit", "POL-1", *args, stdin=stdin)
    assert result.code == 1
    assert result.err.strip().splitlines() == [error]
    assert pol.policies.get("POL-1").version == 1


def test_editing_a_published_policy_opens_a_working_revision(
    cli: Any, pol: AppContext, tmp_path: Path
) -> None:
    """After an edit of published v1, `show --json` keeps v1 as the effective text and shows
    v2 separately as the working revision, a draft."""
    publish(pol, "POL-1")
    body = tmp_path / "v2.txt"
    body.write_text(TEXT_V2, encoding="utf-8")
    result = cli("policies", "edit", "POL-1", "--body-file", str(body))
    assert result.code == 0, result.err
    assert result.out.strip() == (
        "edited POL-1: version 2 saved; revision v2 is draft, v1 stays effective"
    )
    shown = cli("policies", "show", "POL-1", "--json").json()
    assert (shown["code"], shown["status"], shown["version"]) == ("POL-1", "draft", 2)
    assert shown["effective_version"] == 1
    effective, working = shown["effective"], shown["working"]
    assert (effective["number"], effective["body"], effective["is_effective"]) == (1, TEXT_V1, True)
    assert effective["published_at"] is not None and effective["approved_at"] is not None
    assert (working["number"], working["body"], working["is_working"]) == (2, TEXT_V2, True)
    assert working["approved_at"] is None and working["published_at"] is None
    text = cli("policies", "show", "POL-1").out
    assert "effective             v1 (effective), saved by" in text
    assert "working               v2 (working), saved by" in text


def test_show_json_without_revision_has_no_working(cli: Any, pol: AppContext) -> None:
    """A published policy with no later edit: `effective` is its text, `working` is null."""
    publish(pol, "POL-1")
    shown = cli("policies", "show", "POL-1", "--json").json()
    assert shown["effective"]["body"] == TEXT_V1 and shown["working"] is None


def test_versions_text_and_json(cli: Any, pol: AppContext) -> None:
    """`policies versions` lists each version with author, hash, approval and marks."""
    publish(pol, "POL-1")
    pol.policies.update(ME, "POL-1", body=TEXT_V2)
    rows = cli("policies", "versions", "POL-1", "--json").json()
    assert [(r["number"], r["created_by"], r["is_effective"], r["is_working"]) for r in rows] == [
        (1, ME, True, False),
        (2, ME, False, True),
    ]
    assert rows[0]["approved_at"] and rows[0]["published_at"] and not rows[1]["approved_at"]
    assert len(rows[0]["content_hash"]) == 64 and rows[0]["content_hash"] != rows[1]["content_hash"]
    lines = cli("policies", "versions", "POL-1").out.splitlines()
    assert lines[0].split() == [
        "VERSION", "STATE", "SAVED_BY", "SAVED_AT", "APPROVED_AT", "PUBLISHED_AT", "HASH"
    ]  # fmt: skip
    assert lines[1].split()[:3] == ["v1", "effective", ME]
    assert lines[2].split()[:3] == ["v2", "working", ME]
    assert lines[2].split()[-1] == rows[1]["content_hash"][:12]


def test_diff_defaults_to_effective_against_working(cli: Any, pol: AppContext) -> None:
    """`policies diff` compares the effective version with the working revision, word by
    word, with [-deleted-]{+inserted+} marks and the changed fields listed."""
    publish(pol, "POL-1")
    pol.policies.update(ME, "POL-1", body=TEXT_V2, review_interval_days=180)
    result = cli("policies", "diff", "POL-1")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "POL-1: v1 (effective) -> v2 (working)",
        "review_interval_days: 365 -> 180",
        "--- v1",
        "+++ v2",
        "@@ line 1 @@",
        "Every officer [-shall-]{+must+} review access rights{+ yearly+}.",
        "Logs are kept.",
    ]


def test_diff_json(cli: Any, pol: AppContext) -> None:
    """`policies diff --json` gives both versions, every field and the word segments."""
    pol.policies.update(ME, "POL-1", body=TEXT_V2, title="Access")
    data = cli("policies", "diff", "POL-1", "--json").json()
    assert (data["code"], data["changed"]) == ("POL-1", True)
    assert (data["from_version"]["number"], data["to_version"]["number"]) == (1, 2)
    assert data["fields"][0] == {
        "field": "title", "old": "Access control", "new": "Access", "changed": True
    }  # fmt: skip
    assert [f["changed"] for f in data["fields"]] == [True, False, False]
    assert data["body"][:4] == [
        {"op": "equal", "text": "Every officer "},
        {"op": "delete", "text": "shall"},
        {"op": "insert", "text": "must"},
        {"op": "equal", "text": " review access rights"},
    ]


def test_diff_between_named_versions_and_its_errors(cli: Any, pol: AppContext) -> None:
    """--from/--to pick any two versions; a lone version or a missing number is one line."""
    only = cli("policies", "diff", "POL-1")
    assert (only.code, only.err.strip()) == (
        1,
        "error: POL-1 has only version 1: there is nothing to compare it with",
    )
    pol.policies.update(ME, "POL-1", body=TEXT_V2)
    pol.policies.update(ME, "POL-1", body=TEXT_V1)
    same = cli("policies", "diff", "POL-1", "--from", "1", "--to", "3")
    assert same.out.splitlines() == [
        "POL-1: v1 -> v3 (working)",
        "fields: unchanged",
        "text: unchanged",
    ]
    back = cli("policies", "diff", "POL-1", "--from", "3", "--to", "2").out
    assert "Every officer [-shall-]{+must+} review" in back
    missing = cli("policies", "diff", "POL-1", "--to", "9")
    assert (missing.code, missing.err.strip()) == (
        1,
        "error: --to: POL-1 has no version 9 (versions 1 to 3)",
    )


def test_an_auditor_reads_versions_an_unknown_actor_does_not(cli: Any, pol: AppContext) -> None:
    """Reading versions needs the read permission: an auditor may, an unknown name may not."""
    pol.policies.update(ME, "POL-1", body=TEXT_V2)
    assert cli("policies", "diff", "POL-1", actor="bob").code == 0
    assert cli("policies", "versions", "POL-1", actor="bob").code == 0
    refused = cli("policies", "versions", "POL-1", actor="mallory")
    assert (refused.code, refused.err.strip()) == (1, "error: unknown actor 'mallory'")
    edit = cli("policies", "edit", "POL-1", "--title", "X", actor="bob")
    assert edit.code == 1 and "(rule: role)" in edit.err
