"""Backups and integrity: online `backup` under a running worker, `restore`, a damaged file
on open (CLI and window), and automatic backups with retention."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from governance_desktop.services.signature_check import verify_signatures
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.autobackup import STAMP, list_backups, take_automatic_backup
from governance_desktop.store.integrity import DamagedDatabaseError
from governance_desktop.store.models import (
    AuditEvent,
    Notification,
    Signature,
    Task,
    WorkflowExecution,
    WorkflowStepRun,
)
from tests.helpers.actors import ME
from tests.helpers.identity import signer
from tests.helpers.processes import start_worker
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.sqlite_only(
    "backup, restore and damaged-file handling of the SQLite register"
    " (on PostgreSQL: pg_dump and pg_restore, docs/team-mode.md)"
)

GD = [sys.executable, "-m", "governance_desktop"]
POLICIES = 40
STEPS = [
    {"type": "create_task", "title": "Review {policy.code}"},
    {"type": "notify", "users": ["bob"], "title": "{policy.code} in review"},
    {"type": "assign", "user": "carol"},
]
WORKFLOW = {
    "schema_version": 1,
    "name": "Backup load",
    "trigger": {"type": "on_status_change", "to_status": "in_review"},
    "actions": STEPS,
}


def run_cli(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in its own process, as an administrator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(ctx: AppContext, model: type, *where: Any) -> int:
    with ctx.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def setup_load(ctx: AppContext) -> None:
    for name in ("alice", "bob", "carol"):
        ctx.users.add(ME, name, name.title(), "approver")  # type: ignore[arg-type]
    for n in range(POLICIES):
        ctx.policies.add(ME, f"POL-{n:03}", f"Policy {n}", owner="alice")
    ctx.workflows.import_definitions(
        ME, [DefinitionSource("load.json", data=WORKFLOW)], signer=signer(ctx, ME)
    )


def integrity(path: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


def open_copy(copy: Path, where: Path) -> AppContext:
    """Open a backup file with the app, as its own data dir."""
    where.mkdir(parents=True)
    shutil.copyfile(copy, where / "governance.db")
    return open_app(load_settings(data_dir=where, backup_interval_hours=0))


def assert_consistent(ctx: AppContext) -> None:
    """What one transaction wrote is all there or all absent: every move to in_review has
    its audit event and its execution; every task and notification its step row."""
    assert ctx.audit.verify().ok
    with ctx.db.reading() as session:
        moves = [
            d
            for d in session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "policy.status_changed")
            )
            if d["to"] == "in_review"
        ]
    assert count(ctx, WorkflowExecution) == len(moves)
    assert count(ctx, Task) == count(ctx, WorkflowStepRun, WorkflowStepRun.step_index == 0)
    assert count(ctx, Notification) == count(ctx, WorkflowStepRun, WorkflowStepRun.step_index == 1)


@pytest.mark.slow
def test_backup_is_online_while_a_worker_runs_and_writes_go_on(
    ctx: AppContext, data_dir: Path, tmp_path: Path
) -> None:
    """`backup FILE` three times while status changes trigger workflows that a separate
    worker process runs: each copy is 0600, passes integrity_check, opens with the app and
    holds a consistent state (audit chain intact, no half-written change)."""
    setup_load(ctx)
    stop_driving = threading.Event()
    moves = [0]

    def drive() -> None:
        codes = itertools.cycle(f"POL-{n:03}" for n in range(POLICIES))
        while not stop_driving.is_set():
            code = next(codes)
            status = ctx.policies.get(code).status
            ctx.policies.change_status(ME, code, "draft" if status == "in_review" else "in_review")
            moves[0] += 1

    worker = start_worker(data_dir, env={"GOVERNANCE_BACKUP_INTERVAL_HOURS": "0"})
    driver = threading.Thread(target=drive)
    driver.start()
    copies = []
    try:
        for n in range(3):
            before = moves[0]
            target = tmp_path / f"online copy {n}.db"
            result = run_cli(data_dir, "backup", str(target))
            assert result.returncode == 0, result.stderr
            assert moves[0] > before or not driver.is_alive()  # writes went on meanwhile
            copies.append(target)
    finally:
        stop_driving.set()
        driver.join(timeout=60)
        stop(worker)
    assert not driver.is_alive()
    assert worker.returncode == 0
    for n, copy in enumerate(copies):
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        assert not Path(f"{copy}.partial").exists()
        assert integrity(copy) == [("ok",)]
        restored = open_copy(copy, tmp_path / f"opened-{n}")
        try:
            assert_consistent(restored)
        finally:
            restored.close()
    assert_consistent(ctx)


def test_backup_refuses_the_live_database(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """`backup` never writes over governance.db (or the queue), even with --force."""
    assert cli("demo").code == 0
    before = digest(data_dir / "governance.db")
    for name in ("governance.db", "queue.db"):
        r = cli("backup", str(data_dir / name), "--force")
        assert r.code == 1 and "inside the data folder" in r.err and "\n" not in r.err[:-1]
    assert digest(data_dir / "governance.db") == before


def test_restore_round_trip_keeps_the_replaced_file(
    cli,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    """restore puts the backup back, keeps the replaced file in backups/, empties the queue."""
    assert cli("demo").code == 0
    copy = tmp_path / "before.db"
    assert cli("backup", str(copy)).code == 0
    assert cli("policies", "set-status", "POL-002", "in_review").code == 0
    assert (data_dir / "queue.db").exists()

    r = cli("restore", str(copy))
    assert r.code == 0, r.err
    assert "restored" in r.out and "before-restore" in r.out
    assert cli("policies", "show", "POL-002", "--json").json()["status"] == "published"
    kept = [b for b in list_backups(data_dir / "backups") if b.kind == "restore"]
    assert len(kept) == 1 and stat.S_IMODE(kept[0].path.stat().st_mode) == 0o600
    with closing(sqlite3.connect(kept[0].path)) as conn:
        row = conn.execute("SELECT status FROM policies WHERE code = 'POL-002'").fetchone()
    assert row == ("in_review",)  # the replaced state is not lost
    assert stat.S_IMODE((data_dir / "governance.db").stat().st_mode) == 0o600
    assert integrity(data_dir / "governance.db") == [("ok",)]
    assert cli("audit", "verify").code == 0
    assert cli("jobs", "list", "--json").json() == []


def test_restore_refuses_bad_files_and_changes_nothing(
    cli,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    """Not SQLite, SQLite but not ours, damaged, newer schema, missing: one line, no change."""
    assert cli("demo").code == 0
    live = digest(data_dir / "governance.db")
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, but long enough to have a header" * 4)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    newer = tmp_path / "newer.db"
    assert cli("backup", str(newer)).code == 0
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'zz99'")
    damaged = tmp_path / "damaged.db"
    assert cli("backup", str(damaged)).code == 0
    corrupt_table_root(damaged, "policies")
    cases = {
        text: "is not a governance database",
        other: "not a governance database",
        newer: "zz99",
        damaged: "damaged",
        tmp_path / "missing.db": "no such file",
    }
    for source, expected in cases.items():
        r = cli("restore", str(source))
        assert r.code == 1 and expected in r.err, (source, r.err)
        assert r.err.count("\n") == 1 and r.err.startswith("error: ")
    assert digest(data_dir / "governance.db") == live
    assert not [b for b in list_backups(data_dir / "backups") if b.kind == "restore"]


def test_restore_is_refused_while_a_worker_holds_the_data_dir(
    cli,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    """A running worker holds the data dir: restore says so and changes nothing."""
    assert cli("demo").code == 0
    copy = tmp_path / "copy.db"
    assert cli("backup", str(copy)).code == 0
    live = digest(data_dir / "governance.db")
    worker = start_worker(data_dir, env={"GOVERNANCE_BACKUP_INTERVAL_HOURS": "24"})
    try:
        assert wait_for(lambda: bool(autos(data_dir)), timeout=60), "no automatic backup"
        r = cli("restore", str(copy))
        assert r.code == 1 and "in use by the app or a worker" in r.err
        assert digest(data_dir / "governance.db") == live
    finally:
        stop(worker)
    assert cli("restore", str(copy)).code == 0


# --- a damaged file on open -------------------------------------------------------------


def corrupt_table_root(path: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage (a real torn/garbled page)."""
    with closing(sqlite3.connect(path)) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)
        ).fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


def corrupt_header(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.write(b"this is no longer a database!!!")


@pytest.fixture
def damaged(cli, data_dir: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A data dir with demo data, one automatic backup of it, then a later change."""
    assert cli("demo").code == 0
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        made = take_automatic_backup(
            ctx.db.engine, ctx.backups_dir, interval=timedelta(hours=24), keep=7
        )
    finally:
        ctx.close()
    assert made is not None
    assert cli("policies", "set-status", "POL-002", "in_review").code == 0
    yield made


@pytest.mark.parametrize("damage", ["header", "pages"])
def test_damaged_database_gives_one_line_naming_the_backup(
    cli,
    data_dir: Path,
    damaged: Path,
    damage: str,
) -> None:
    """Garbage header or a garbled table page: exit 1, one line naming the file, the latest
    automatic backup and the restore command; the file is left as it was."""
    db = data_dir / "governance.db"
    if damage == "header":
        corrupt_header(db)
    else:
        corrupt_table_root(db, "policies")
    before = digest(db)
    for args in (("policies", "list"), ("check",), ("worker", "--burst")):
        r = cli(*args)
        assert r.code == 1, (args, r.out)
        assert r.err.count("\n") == 1 and "Traceback" not in r.err
        assert r.err.startswith("error: governance.db is damaged (")
        assert str(db) in r.err and str(damaged) in r.err and " restore " in r.err
    if damage == "header":
        assert "file is not a database" in r.err
    assert digest(db) == before

    r = cli("restore", str(damaged))  # the command the message names
    assert r.code == 0, r.err
    assert cli("policies", "show", "POL-002", "--json").json()["status"] == "published"


def test_check_runs_the_full_integrity_check(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Damage the cheap open check cannot see (an index page) is found by `check`."""
    assert cli("demo").code == 0
    assert cli("check", "--json").json()["integrity"] == "ok"
    corrupt_table_root(data_dir / "governance.db", "ix_audit_events_entity")
    assert cli("policies", "list").code == 0  # opens: the tables themselves are fine
    r = cli("check")
    assert r.code == 1 and "failed its integrity check" in r.err and "restore" in r.err


def test_window_offers_the_latest_backup_and_restores_it(
    qtbot,
    data_dir: Path,
    damaged: Path,
) -> None:
    """The window's open path shows "governance.db is damaged … Restore the automatic backup
    from <time>?"; Restore brings the backup back and opens it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from governance_desktop.ui.damaged_dialog import DamagedDatabaseDialog
    from governance_desktop.ui.launch import open_for_gui

    corrupt_header(data_dir / "governance.db")
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, DamagedDatabaseDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append(f"{dialog.text()} {dialog.informativeText()}")
        assert dialog.restore_button is not None
        QTimer.singleShot(0, sign_restore)
        qtbot.mouseClick(dialog.restore_button, qtbot_left())

    QTimer.singleShot(0, answer)
    ctx = open_for_gui(load_settings(data_dir=data_dir))
    try:
        assert ctx.policies.get("POL-002").status == "published"
        assert ctx.audit.verify().ok
        with ctx.db.reading() as session:  # the restore is signed in the database kept
            meanings = list(session.scalars(select(Signature.meaning)))
            assert "Restored from backup" in meanings
            assert not verify_signatures(session)[1]
    finally:
        ctx.close()
    taken = list_backups(data_dir / "backups")[0].taken_at.astimezone()
    assert seen and seen[0].startswith("governance.db is damaged")
    assert f"Restore the automatic backup from {taken:%Y-%m-%d %H:%M}" in seen[0]
    assert [b.kind for b in list_backups(data_dir / "backups")].count("restore") == 1


def test_window_quit_leaves_the_damaged_file_alone(
    qtbot,
    data_dir: Path,
    damaged: Path,
) -> None:
    """Quit: the one-line error is raised for the command line; nothing is changed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from governance_desktop.ui.damaged_dialog import DamagedDatabaseDialog
    from governance_desktop.ui.launch import open_for_gui

    db = data_dir / "governance.db"
    corrupt_header(db)
    before = digest(db)

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, DamagedDatabaseDialog):
            QTimer.singleShot(20, answer)
            return
        qtbot.mouseClick(dialog.quit_button, qtbot_left())

    QTimer.singleShot(0, answer)
    with pytest.raises(DamagedDatabaseError) as raised:
        open_for_gui(load_settings(data_dir=data_dir))
    assert str(damaged) in str(raised.value)
    assert digest(db) == before
    assert not [b for b in list_backups(data_dir / "backups") if b.kind == "restore"]


def test_window_restore_refused_while_a_worker_holds_the_data_dir(
    qtbot,
    data_dir: Path,
    damaged: Path,
) -> None:
    """Restore while another process holds the data dir: the window says why, then exits
    through the one-line error; the damaged file is left as it was."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from governance_desktop.store.lock import DataDirBusyError, DataDirLock
    from governance_desktop.ui.damaged_dialog import DamagedDatabaseDialog
    from governance_desktop.ui.launch import open_for_gui

    db = data_dir / "governance.db"
    corrupt_header(db)
    before = digest(db)
    messages: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, DamagedDatabaseDialog) and dialog.restore_button is not None:
            QTimer.singleShot(0, sign_restore)
            qtbot.mouseClick(dialog.restore_button, qtbot_left())
            QTimer.singleShot(20, answer)
        elif isinstance(dialog, QMessageBox) and not isinstance(dialog, DamagedDatabaseDialog):
            messages.append(dialog.text())
            dialog.accept()
        else:
            QTimer.singleShot(20, answer)

    holder = DataDirLock(data_dir)  # what a running worker holds
    holder.acquire_shared()
    try:
        QTimer.singleShot(0, answer)
        with pytest.raises(DataDirBusyError):
            open_for_gui(load_settings(data_dir=data_dir))
    finally:
        holder.release()
    assert messages and "in use by the app or a worker" in messages[0]
    assert digest(db) == before


def sign_restore() -> None:
    """Answer the window's "Restore is a signed act" password prompt with the OS user's
    password in the backup (PASSWORD), once it shows."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    from tests.helpers.identity import PASSWORD

    dialog = QApplication.activeModalWidget()
    if not isinstance(dialog, QInputDialog):
        QTimer.singleShot(20, sign_restore)
        return
    dialog.setTextValue(PASSWORD)
    dialog.accept()


def qtbot_left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


# --- automatic backups ------------------------------------------------------------------


def autos(data_dir: Path) -> list[Path]:
    return [b.path for b in list_backups(data_dir / "backups") if b.kind == "auto"]


def test_automatic_backups_follow_interval_and_retention(ctx: AppContext) -> None:
    """Due only when the newest is older than the interval; only `keep` are kept; the
    pre-migration and before-restore copies are never deleted."""
    folder = ctx.backups_dir
    for name in (
        "governance-rev0000-20200101T000000Z.db",
        "governance-before-restore-20200101T000000Z.db",
    ):
        (folder / name).write_bytes(b"")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    taken = []
    for hour in range(0, 30, 3):  # every 3 h, interval 6 h: every other one is due
        made = take_automatic_backup(
            ctx.db.engine,
            folder,
            interval=timedelta(hours=6),
            keep=3,
            now=start + timedelta(hours=hour),
        )
        taken.append(made is not None)
    assert taken == [True, False] * 5
    kinds = [(b.kind, b.taken_at.hour) for b in list_backups(folder)]
    assert ("migration", 0) in kinds and ("restore", 0) in kinds
    assert [b.taken_at for b in list_backups(folder) if b.kind == "auto"] == [
        start + timedelta(hours=h) for h in (12, 18, 24)
    ]
    for path in autos(ctx.settings.data_dir):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and integrity(path) == [("ok",)]


def test_only_one_process_takes_a_due_backup(ctx: AppContext) -> None:
    """While another process holds the backup lock, a due backup is left to it."""
    import fcntl

    lock = os.open(ctx.backups_dir / ".auto-backup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert (
            take_automatic_backup(
                ctx.db.engine, ctx.backups_dir, interval=timedelta(hours=1), keep=3
            )
            is None
        )
    finally:
        os.close(lock)
    assert (
        take_automatic_backup(ctx.db.engine, ctx.backups_dir, interval=timedelta(hours=1), keep=3)
        is not None
    )


@pytest.mark.slow
def test_worker_backs_up_on_open_and_on_schedule(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A worker takes a backup when it opens the data dir (none yet) and then whenever the
    interval has passed, keeping the newest `keep`, while a second worker takes none twice."""
    assert cli("demo").code == 0
    env = {"GOVERNANCE_BACKUP_INTERVAL_HOURS": str(1.5 / 3600), "GOVERNANCE_BACKUP_KEEP": "2"}
    first, second = start_worker(data_dir, env=env), start_worker(data_dir, env=env)
    seen: set[Path] = set()
    try:

        def enough() -> bool:
            seen.update(autos(data_dir))
            return len(seen) >= 4

        assert wait_for(enough, timeout=60), "not four automatic backups"
    finally:
        stop(first)
        stop(second)
    left = autos(data_dir)
    every = sorted(seen | set(left), key=lambda p: p.name)  # names sort by time
    assert len(every) >= 4 and left == every[-2:]  # the newest two kept, older ones deleted
    taken = [datetime.strptime(p.name[-19:-3], STAMP) for p in every]
    assert all(  # never two backups for one due moment, though two workers were running
        later - earlier >= timedelta(seconds=1) for earlier, later in itertools.pairwise(taken)
    )
    for path in left:
        assert integrity(path) == [("ok",)]
