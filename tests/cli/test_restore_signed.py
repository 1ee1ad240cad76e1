"""`restore FILE` is a signed act ("Restored from backup"): the admin's password is checked
against the backup's credential before anything is replaced, and the signature is made in the
restored database (the one kept) with the admin's key there (issue 16)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from governance_desktop.cli import main
from tests.conftest import CliResult
from tests.helpers.actors import ME
from tests.helpers.rawdb import raw_db

pytestmark = pytest.mark.sqlite_only(
    "backup and restore copy the SQLite file; a server database uses pg_dump"
)


@pytest.fixture
def backed_up(cli: Any, tmp_path: Path) -> Path:
    """ME (admin) has PASSWORD (the demo is signed); a backup; then zoe added after it."""
    assert cli("demo").code == 0
    copy = tmp_path / "before.db"
    assert cli("backup", str(copy)).code == 0
    assert cli("users", "add", "zoe", "--role", "admin").code == 0
    return copy


def _script(data_dir: Path, *args: str, stdin: str | None = None) -> CliResult:
    """The CLI with `--password-stdin` reading ``stdin``, or without it (None), no terminal."""
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    given = [] if stdin is None else ["--password-stdin"]
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        patch.setattr("sys.stdin", io.StringIO(stdin or ""))
        code = main(["--data-dir", str(data_dir), *given, *args])
    return CliResult(code, out.getvalue(), err.getvalue())


def _users(data_dir: Path) -> set[str]:
    with raw_db(data_dir) as conn:
        return {row[0] for row in conn.execute("SELECT username FROM users")}


def _refused(result: CliResult, rule: str, data_dir: Path) -> str:
    assert result.code == 1, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and f"(rule: {rule})" in lines[0], result.err
    assert "zoe" in _users(data_dir)  # the database was not replaced
    assert not list((data_dir / "backups").glob("governance-before-restore-*"))
    return lines[0]


def test_restore_without_a_password_is_refused(backed_up: Path, data_dir: Path) -> None:
    """No --password-stdin and no terminal: one line (rule: identity), nothing replaced."""
    _refused(_script(data_dir, "restore", str(backed_up)), "identity", data_dir)


def test_restore_with_a_wrong_password_is_refused(backed_up: Path, data_dir: Path) -> None:
    """A password that is not the admin's in the backup: refused, nothing replaced."""
    result = _script(data_dir, "restore", str(backed_up), stdin="Not-The-Passw0rd\n")
    assert "wrong password" in _refused(result, "identity", data_dir)


def test_an_admin_missing_from_the_backup_cannot_sign_the_restore(
    backed_up: Path, cli: Any, data_dir: Path
) -> None:
    """zoe, an admin added after the backup, cannot sign in the restored register: refused
    (rule: signature) before anything is replaced."""
    result = cli("restore", str(backed_up), actor="zoe")
    assert "not a user in the backup" in _refused(result, "signature", data_dir)


def test_restore_is_signed_in_the_restored_database(
    backed_up: Path, cli: Any, data_dir: Path
) -> None:
    """With the admin's password the restore replaces the database and signs it there:
    kind restore, record and content hash the restored file's SHA-256, meaning "Restored from
    backup"; the line shows the manifestation; `audit verify` checks the signature."""
    digest = hashlib.sha256(backed_up.read_bytes()).hexdigest()
    result = cli("restore", str(backed_up))
    assert result.code == 0, result.err
    assert "zoe" not in _users(data_dir)
    assert f"signed: Restored from backup by {ME} on " in result.out
    with raw_db(data_dir) as conn:
        rows = conn.execute(
            "SELECT record_kind, record_id, content_hash, meaning, signer FROM signatures "
            "WHERE record_kind = 'restore'"
        ).fetchall()
        details = conn.execute(
            "SELECT details FROM audit_events WHERE action = 'data.restored'"
        ).fetchone()[0]
    assert rows == [("restore", digest, digest, "Restored from backup", ME)]
    assert f'"sha256": "{digest}"' in details or f'"sha256":"{digest}"' in details
    verified = cli("audit", "verify", "--json")
    assert verified.code == 0 and verified.json()["ok"] is True, verified.out
