"""No command writes over the register: every user-named output (audit export, workflow
export, backup) refuses the data folder, an existing file without --force, a folder and a
special file; it is written 0600 through a temp file that a killed run leaves recognisable
and the next run removes (issue 13, section 2)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from tests.helpers.rawdb import raw_db

WORKFLOW = "Board approval"  # one of the demo's workflows
PARTIAL = ".gd-partial-"


def _audit(target: Path, *extra: str) -> tuple[str, ...]:
    return ("audit", "export", str(target), *extra)


def _workflow(target: Path, *extra: str) -> tuple[str, ...]:
    return ("workflows", "export", WORKFLOW, "--output", str(target), *extra)


def _backup(target: Path, *extra: str) -> tuple[str, ...]:
    return ("backup", str(target), *extra)


WRITERS: dict[str, Callable[..., tuple[str, ...]]] = {
    "audit export": _audit,
    "workflows export": _workflow,
    "backup": _backup,
}
#: The writers as test parameters: `backup` copies the SQLite file (pg_dump's job on PostgreSQL).
WRITER_PARAMS = [
    pytest.param(name, marks=pytest.mark.sqlite_only("backup copies the SQLite file"))
    if name == "backup"
    else name
    for name in WRITERS
]


@pytest.fixture
def demo(cli):  # type: ignore[no-untyped-def]
    assert cli("demo").code == 0
    return cli


def _register_intact(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """The database is still SQLite, opens, holds the demo and its audit chain verifies."""
    with raw_db(data_dir) as raw:
        assert raw.execute("select count(*) from policies").fetchone() == (12,)
    assert len(cli("policies", "list", "--json").json()) == 12
    assert cli("audit", "verify").code == 0


def _one_line_naming(err: str, path: Path) -> None:
    assert err.startswith("error: refusing ") and err.count("\n") == 1 and str(path) in err


@pytest.mark.parametrize("writer", WRITER_PARAMS)
@pytest.mark.parametrize("name", ["governance.db", "governance.lock", "queue.db", "logs/x.csv"])
def test_outputs_refuse_the_data_folder(demo, data_dir: Path, writer: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Aimed (with or without --force) at the database, the lock, the queue or anything in the
    data folder: one line naming the path, and the register still opens with its data."""
    target = data_dir / name
    before = target.read_bytes() if name == "governance.lock" else None
    for extra in ((), ("--force",)):
        r = demo(*WRITERS[writer](target, *extra))
        _register_intact(demo, data_dir)
        assert r.code == 1, r.out
        _one_line_naming(r.err, target)
        assert "inside the data folder" in r.err
    if before is not None:
        assert target.read_bytes() == before  # backup --force cannot replace the lock


@pytest.mark.parametrize("writer", WRITER_PARAMS)
def test_outputs_refuse_a_symlink_into_the_data_folder(  # type: ignore[no-untyped-def]
    demo, data_dir: Path, tmp_path: Path, writer: str
) -> None:
    """A link outside that points at governance.db (or at the data folder) is followed and
    refused, with or without --force."""
    link = tmp_path / "innocent.csv"
    link.symlink_to(data_dir / "governance.db")
    folder_link = tmp_path / "elsewhere"
    folder_link.symlink_to(data_dir)
    for target in (link, folder_link / "new.csv"):
        for extra in ((), ("--force",)):
            r = demo(*WRITERS[writer](target, *extra))
            assert r.code == 1, r.out
            _one_line_naming(r.err, target)
            assert "inside the data folder" in r.err
    assert link.is_symlink() and not (data_dir / "new.csv").exists()
    _register_intact(demo, data_dir)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.sqlite_only("another install's register: a folder of SQLite files")
@pytest.mark.parametrize("writer", WRITER_PARAMS)
def test_outputs_refuse_another_data_folder(demo, tmp_path: Path, writer: str) -> None:  # type: ignore[no-untyped-def]
    """Another install's register (a folder holding governance.db or governance.lock, at any
    depth above the target) is refused too, with or without --force, and left byte for byte."""
    other = tmp_path / "other"
    open_app(load_settings(data_dir=other)).close()
    (other / "sub").mkdir()
    lock_only = tmp_path / "lock-only"
    lock_only.mkdir()
    (lock_only / "governance.lock").write_text("")
    before = _snapshot(other), _snapshot(lock_only)
    targets = [
        (other / "governance.db", other),
        (other / "governance.lock", other),
        (other / "x.csv", other),
        (other / "sub" / "x.csv", other),
        (lock_only / "x.csv", lock_only),
    ]
    for target, folder in targets:
        for extra in ((), ("--force",)):
            r = demo(*WRITERS[writer](target, *extra))
            assert r.code == 1, (target, r.out)
            _one_line_naming(r.err, target)
            assert f"inside another Governance Desktop data folder {folder}" in r.err
    assert (_snapshot(other), _snapshot(lock_only)) == before
    with sqlite3.connect(other / "governance.db") as raw:
        assert raw.execute("pragma integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("writer", WRITER_PARAMS)
def test_outputs_refuse_the_default_data_folder(demo, writer: str) -> None:  # type: ignore[no-untyped-def]
    """The platform's default data folder is another install's, even before it holds one."""
    from governance_desktop.config import default_data_dir

    default = default_data_dir()
    default.mkdir(parents=True)
    target = default / "x.csv"
    for extra in ((), ("--force",)):
        r = demo(*WRITERS[writer](target, *extra))
        assert r.code == 1, r.out
        _one_line_naming(r.err, target)
        assert "another Governance Desktop data folder" in r.err
    assert list(default.iterdir()) == []


@pytest.mark.parametrize("writer", WRITER_PARAMS)
def test_empty_file_name_is_one_line(  # type: ignore[no-untyped-def]
    demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    """`audit export ''`, `--output ''`, `backup ''`: one line naming the empty argument (not
    an 'unexpected failure', and not the workflow printed as if no --output was given)."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = [*WRITERS[writer](Path("x"))]
    argv[argv.index("x")] = ""
    r = demo(*argv)
    assert r.code == 1 and r.out == "", r.out
    assert r.err.count("\n") == 1 and r.err.startswith("error: ") and "empty" in r.err, r.err
    assert "unexpected" not in r.err
    assert list(work.iterdir()) == []


@pytest.mark.sqlite_only("backup copies the SQLite file")
def test_backup_line_escapes_control_characters(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A file name with ESC is printed escaped, as every other command prints it."""
    target = tmp_path / "b\x1b[2Jack.db"
    r = demo("backup", str(target))
    assert r.code == 0 and target.exists()
    assert "\x1b" not in r.out and "\\x1b[2Jack.db" in r.out, repr(r.out)


@pytest.mark.parametrize("writer", WRITER_PARAMS)
def test_existing_file_needs_force(demo, tmp_path: Path, writer: str) -> None:  # type: ignore[no-untyped-def]
    """An existing file is kept unless --force is given; with it, it is replaced."""
    target = tmp_path / "out.file"
    target.write_text("keep me")
    r = demo(*WRITERS[writer](target))
    assert r.code == 1 and "exists" in r.err and "--force" in r.err
    _one_line_naming(r.err, target)
    assert target.read_text() == "keep me"
    assert demo(*WRITERS[writer](target, "--force")).code == 0
    assert target.read_bytes() != b"keep me"


def test_audit_export_needs_force_for_its_chain_file(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """FILE.chain.txt left from an earlier export is not replaced silently either."""
    target = tmp_path / "a.csv"
    (tmp_path / "a.csv.chain.txt").write_text("kept")
    r = demo(*_audit(target))
    assert r.code == 1 and "a.csv.chain.txt" in r.err
    assert not target.exists() and (tmp_path / "a.csv.chain.txt").read_text() == "kept"
    assert demo(*_audit(target, "--force")).code == 0


@pytest.mark.parametrize("writer", WRITER_PARAMS)
def test_folder_and_special_file_refused(demo, tmp_path: Path, writer: str) -> None:  # type: ignore[no-untyped-def]
    """A folder or a fifo (like /dev/null, a special file) is refused, even with --force."""
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, why in ((fifo, "not a regular file"), (folder, "is a folder")):
        for extra in ((), ("--force",)):
            r = demo(*WRITERS[writer](target, *extra))
            assert stat.S_ISFIFO(os.stat(fifo).st_mode) and folder.is_dir()
            assert r.code == 1 and why in r.err, r.err
            _one_line_naming(r.err, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "folder", "pipe"]


@pytest.mark.parametrize("writer", WRITER_PARAMS)
def test_outputs_are_private(demo, tmp_path: Path, writer: str) -> None:  # type: ignore[no-untyped-def]
    """Outputs hold the register: 0600 whatever the umask, also when replacing a 0644 file."""
    target = tmp_path / "out.file"
    written = [target, *([tmp_path / "out.file.chain.txt"] if writer == "audit export" else [])]
    old = os.umask(0o022)
    try:
        assert demo(*WRITERS[writer](target)).code == 0
        assert [stat.S_IMODE(p.stat().st_mode) for p in written] == [0o600] * len(written)
        target.chmod(0o644)
        assert demo(*WRITERS[writer](target, "--force")).code == 0
        assert [stat.S_IMODE(p.stat().st_mode) for p in written] == [0o600] * len(written)
    finally:
        os.umask(old)


def test_stale_temp_file_is_removed_by_the_next_run(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What a killed run left beside the target goes; other files, and a temp file another
    run still writes (it holds the lock), stay."""
    import fcntl

    target = tmp_path / "a.csv"
    stale = tmp_path / f".a.csv{PARTIAL}0123abcd"
    stale.write_text("half an export")
    (tmp_path / f".a.csv{PARTIAL}0123abcd-journal").write_text("its journal")
    busy = tmp_path / f".a.csv{PARTIAL}89abcdef"
    busy.write_text("another run is writing this")
    keep = [tmp_path / f".a.csv{PARTIAL}notmine", tmp_path / f".b.csv{PARTIAL}0123abcd"]
    for path in keep:
        path.write_text("not ours to remove")
    with busy.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert demo(*_audit(target)).code == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"data", "a.csv", "a.csv.chain.txt", busy.name, *(p.name for p in keep)}


def _seed_trail(data_dir: Path, events: int) -> None:
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        with ctx.db.transaction() as session:
            for n in range(events):
                ctx.audit.record(session, "alice", "note", "policy", "POL-001", {"n": n})
    finally:
        ctx.close()


def test_killed_export_leaves_no_partial_file(cli, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """kill -9 in the middle of a large export: no file under the CSV's name (nothing an
    auditor could take for the trail), only the recognisable temp file; the next export
    removes it."""
    _seed_trail(data_dir, 20_000)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "trail.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir), *_audit(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:  # wait until the export has written a good part of its rows, then kill it
        while proc.poll() is None and not any(p.stat().st_size > 200_000 for p in out.iterdir()):
            time.sleep(0.005)
        assert proc.poll() is None, "the export finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    left = [p.name for p in out.iterdir()]
    assert left and all(name.startswith(f".trail.csv{PARTIAL}") for name in left), left
    assert cli("audit", "export", str(target)).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["trail.csv", "trail.csv.chain.txt"]
    assert cli("audit", "verify-export", str(target)).code == 0


def test_workflow_export_output_is_the_definition(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The helper changes where and how the file is written, not what is in it."""
    target = tmp_path / "wf.json"
    r = demo(*_workflow(target))
    assert r.code == 0 and str(target) in r.out
    assert json.loads(target.read_text(encoding="utf-8"))["name"] == WORKFLOW


@pytest.mark.sqlite_only("restore replaces the SQLite file")
def test_restore_line_escapes_control_characters(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`restore`'s line names the backup file: printed escaped like every other command's."""
    source = tmp_path / "r\x1b[2Jestore.db"
    assert demo("backup", str(source)).code == 0
    r = demo("restore", str(source))
    assert r.code == 0, r.err
    assert "\x1b" not in r.out and "\\x1b[2Jestore.db" in r.out, repr(r.out)
