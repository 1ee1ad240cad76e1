"""Hostile environments: a read-only data dir, a full disk, a path with spaces and non-ASCII
characters, and private file modes. We are root here and in CI, and root ignores file modes,
so read-only and full disks are real mounts (tmpfs); they are skipped, with the reason, only
when not root or when mounting fails."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.helpers.actors import ME
from tests.helpers.identity import PASSWORD

pytestmark = pytest.mark.sqlite_only(
    "read-only and full disks under the data folder's SQLite files"
)

GD = [sys.executable, "-m", "governance_desktop"]


def gd(data_dir: Path, *args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GD, "--data-dir", str(data_dir), "--actor", ME, "--password-stdin", *args],
        input=PASSWORD + "\n",  # the signed acts (demo) sign with it; the first sets it
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def one_error_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` and its content hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def kickoffs(data_dir: Path) -> list[str]:
    """The statuses of the workflow executions the test started (not the demo's own Standard
    approvals, which approved its published texts)."""
    executions = json.loads(gd(data_dir, "executions", "list", "--json").stdout)
    return sorted(e["status"] for e in executions if e["workflow"] != "Standard approval")


def integrity(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


Mounter = Callable[[str], Path]


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Mounter]:
    """mount(size) -> a fresh tmpfs of that size; always unmounted afterwards."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("needs root to mount a tmpfs (CI runs as root)")
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        if subprocess.run(["umount", str(point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(point)], check=False)


def remount(point: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(point)], check=True)


def fill(point: Path) -> Path:
    """Write a filler file until the file system says it is full."""
    filler = point / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC
    return filler


# --- read-only ------------------------------------------------------------------------


def test_read_only_data_dir_gives_one_line_and_changes_nothing(
    tmpfs: Mounter, tmp_path: Path
) -> None:
    """Every command that opens or writes: one line naming the read-only folder, exit 1."""
    point = tmpfs("16m")
    data = point / "data"
    assert gd(data, "demo").returncode == 0
    copy = tmp_path / "copy.db"
    assert gd(data, "backup", str(copy)).returncode == 0
    before = snapshot(point)
    remount(point, "ro")
    try:
        for args in (
            ("policies", "set-status", "POL-002", "in_review"),
            ("policies", "list"),
            ("worker", "--burst"),
            ("backup", str(tmp_path / "other.db")),
            ("restore", str(copy)),
        ):
            one_error_line(gd(data, *args), str(data), "read-only")
    finally:
        remount(point, "rw")
    assert snapshot(point) == before


# --- full disk ------------------------------------------------------------------------

#: Room for the demo's setup (its write-ahead log peaks a little above 2 MB); each test then
#: fills what is left, so the write under test still meets a full disk.
FULL_DISK_SIZE = "4m"
#: The demo's published policy the status changes move (POL-001 has a revision in review).
PUBLISHED = "POL-002"


def _status_and_audit(db: Path, code: str) -> tuple[str, int, int]:
    with closing(sqlite3.connect(db)) as conn:
        status = conn.execute("SELECT status FROM policies WHERE code = ?", (code,)).fetchone()[0]
        events = conn.execute(
            "SELECT details FROM audit_events WHERE action = 'policy.status_changed'"
            " AND entity_id = ?",
            (code,),
        ).fetchall()
        executions = conn.execute(
            "SELECT count(*) FROM workflow_executions e JOIN policies p"
            " ON p.id = e.entity_id WHERE e.entity_type = 'policy' AND p.code = ?",
            (code,),
        ).fetchone()[0]
    moves = [json.loads(d[0]) for d in events if json.loads(d[0]).get("to") == "in_review"]
    return status, len(moves), executions


@pytest.mark.parametrize("held", [False, True], ids=["closed", "files-held-open"])
def test_full_disk_write_is_refused_whole(tmpfs: Mounter, held: bool) -> None:
    """A status change on a full disk: one line "disk is full" naming the data dir; the
    database passes integrity_check and holds the change whole or not at all. With the
    database files held open by another process, the failure comes at the commit itself."""
    point = tmpfs(FULL_DISK_SIZE)
    data = point / "data"
    assert gd(data, "demo").returncode == 0
    db = data / "governance.db"
    before = _status_and_audit(db, PUBLISHED)
    assert before[0] == "published"
    holders = [sqlite3.connect(data / n) for n in ("governance.db", "queue.db")] if held else []
    for conn in holders:  # their WAL and shared-memory files stay in place
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
    filler = fill(point)
    try:
        result = gd(data, "policies", "set-status", PUBLISHED, "in_review")
        one_error_line(result, "disk is full", str(data))
    finally:
        for conn in holders:
            conn.close()
        filler.unlink()
    assert integrity(db) == [("ok",)]
    after = _status_and_audit(db, PUBLISHED)
    changed = ("in_review", before[1] + 1, before[2] + 1)  # with its audit event and execution
    assert after in (before, changed)  # whole or absent
    if after == before:
        assert gd(data, "policies", "set-status", PUBLISHED, "in_review").returncode == 0
    assert gd(data, "audit", "verify").returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("held", [False, True], ids=["at-start", "while-running"])
def test_worker_on_full_disk_fails_no_job_for_good(tmpfs: Mounter, held: bool) -> None:
    """A worker on a full disk leaves its jobs queued (or retrying), never failed; a later
    run with space finishes them."""
    point = tmpfs(FULL_DISK_SIZE)
    data = point / "data"
    assert gd(data, "demo").returncode == 0
    for code in (PUBLISHED, "POL-003", "POL-007"):  # three "Review kickoff" executions
        assert gd(data, "policies", "set-status", code, "in_review").returncode == 0
    holders = [sqlite3.connect(data / n) for n in ("governance.db", "queue.db")] if held else []
    for conn in holders:  # lets the worker open, so it meets the full disk while running
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
    filler = fill(point)
    try:
        if held:
            worker = subprocess.Popen(
                [*GD, "--data-dir", str(data), "worker"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(5)  # let it try (and fail) to run the jobs
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        else:
            one_error_line(gd(data, "worker", "--burst"), "disk is full", str(data))
    finally:
        for conn in holders:
            conn.close()
        filler.unlink()
    assert integrity(data / "governance.db") == [("ok",)]
    jobs = json.loads(gd(data, "jobs", "list", "--json").stdout)
    assert jobs and not [j for j in jobs if j["state"] in ("failed", "cancelled")], jobs

    assert gd(data, "worker", "--burst").returncode == 0
    assert kickoffs(data) == ["awaiting_approval"] * 3
    jobs = json.loads(gd(data, "jobs", "list", "--json").stdout)
    assert {j["state"] for j in jobs} == {"succeeded"}


# --- awkward paths and file modes ----------------------------------------------------


def test_path_with_spaces_and_non_ascii_works_everywhere(tmp_path: Path) -> None:
    """CLI, worker, backup and restore in `Données de conformité ✓/x`."""
    data = tmp_path / "Données de conformité ✓" / "x"
    assert gd(data, "demo").returncode == 0
    assert gd(data, "policies", "set-status", "POL-003", "in_review").returncode == 0
    assert gd(data, "worker", "--burst").returncode == 0
    assert kickoffs(data) == ["awaiting_approval"]
    copy = data.parent / "sauvegarde du jour ✓.db"
    assert gd(data, "backup", str(copy)).returncode == 0
    assert gd(data, "policies", "set-status", "POL-002", "in_review").returncode == 0
    restored = gd(data, "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    shown = json.loads(gd(data, "policies", "show", "POL-002", "--json").stdout)
    assert shown["status"] == "published"
    check = json.loads(gd(data, "check", "--json").stdout)
    assert check["integrity"] == "ok" and check["data_dir"] == str(data)


def test_data_dir_files_are_private_even_with_umask_0(tmp_path: Path) -> None:
    """With umask 0 (nothing withheld by the environment) every folder is 0700 and every
    file 0600: database, WAL, queue, lock, logs and all kinds of backups."""
    data = tmp_path / "data"
    assert gd(data, "demo", umask=0).returncode == 0
    manual = tmp_path / "manual.db"  # outside: `backup` never writes into the data folder
    assert gd(data, "backup", str(manual), umask=0).returncode == 0
    assert stat.S_IMODE(manual.stat().st_mode) == 0o600
    worker = subprocess.Popen(
        [*GD, "--data-dir", str(data), "worker"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.umask(0),
    )
    try:
        deadline = time.monotonic() + 60
        while not list((data / "backups").glob("governance-auto-*.db")):
            assert time.monotonic() < deadline, "no automatic backup"
            time.sleep(0.05)
        copy = next((data / "backups").glob("governance-auto-*.db"))
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    assert gd(data, "restore", str(copy), umask=0).returncode == 0
    assert gd(data, "demo", umask=0).returncode == 0  # opens the queue: a new, empty queue.db
    names = {p.name for p in data.rglob("*")}
    assert {"governance.db", "queue.db", "governance.lock", "governance.log"} <= names
    assert any(n.startswith("governance-before-restore-") for n in names)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
