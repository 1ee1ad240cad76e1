"""The data folder and settings (issue 13, section 4): the app changes the mode only of what it
has just made; a special file named as the database or queue, someone else's folder and an
empty data_dir are refused in one line; a bad database URL names the setting; no password
reaches the terminal or the log; output piped into `head` ends quietly. Real files, real
special files (FIFO, socket, folder, /dev/null: we are root here and in CI) and the real CLI
in a subprocess."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.actors import ME
from tests.helpers.identity import PASSWORD

GD = [sys.executable, "-m", "governance_desktop"]
SECRET = "s3cretPW"


def gd(
    folder: Path | str | None, /, *args: str, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with --data-dir `folder` (None: no flag); `env` adds GOVERNANCE_<NAME>
    variables (an empty string sets one empty)."""
    full_env = {**os.environ, **{f"GOVERNANCE_{k.upper()}": v for k, v in env.items()}}
    where = [] if folder is None else ["--data-dir", str(folder)]
    return subprocess.run(
        [*GD, *where, "--actor", ME, "--password-stdin", *args],
        input=PASSWORD + "\n",  # the signed acts (demo) sign with it; the first sets it
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=full_env,
        cwd=cwd,
    )


def one_error_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and "unexpected failure" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def logs_text(data_dir: Path) -> str:
    folder = data_dir / "logs"
    if not folder.is_dir():
        return ""
    return "".join(p.read_text(errors="replace") for p in folder.glob("*"))


# --- a database or queue path that is not a regular file ------------------------------------


@pytest.fixture
def special(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A real FIFO, bound unix socket or folder in tmp_path."""
    path = tmp_path / "sp"
    kind = request.param
    sock = None
    if kind == "fifo":
        os.mkfifo(path, 0o644)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
    else:
        path.mkdir(mode=0o755)
    try:
        yield path
    finally:
        if sock is not None:
            sock.close()


SETTINGS = {"database_url": lambda p: f"sqlite:///{p}", "queue_url": str}


@pytest.mark.parametrize("special", ["fifo", "socket", "folder"], indirect=True)
@pytest.mark.parametrize("setting", SETTINGS)
def test_special_file_as_database_or_queue_is_refused(
    special: Path, setting: str, tmp_path: Path
) -> None:
    """A FIFO, a socket or a folder named as database_url/queue_url: one line naming the
    setting and the path; the data folder is not even created, the file keeps its mode."""
    before = os.stat(special)
    data = tmp_path / "data"
    result = gd(data, "check", **{setting: SETTINGS[setting](special)})
    one_error_line(result, setting, str(special), "not a regular file")
    after = os.stat(special)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert not data.exists()


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
@pytest.mark.parametrize("setting", SETTINGS)
def test_dev_null_as_database_or_queue_is_refused_and_keeps_its_mode(
    setting: str, tmp_path: Path
) -> None:
    """The defect: queue_url = "/dev/null" made the app, as root, chmod /dev/null to 0600.
    Now refused in one line; /dev/null's mode is unchanged (and put back if it was not)."""
    before = os.stat("/dev/null").st_mode
    try:
        result = gd(tmp_path / "data", "check", **{setting: SETTINGS[setting]("/dev/null")})
        after = os.stat("/dev/null").st_mode
    finally:
        if os.stat("/dev/null").st_mode != before:  # the old code's damage: undo it at once
            os.chmod("/dev/null", stat.S_IMODE(before))
    assert after == before, f"/dev/null mode changed from {before:o} to {after:o}"
    one_error_line(result, setting, "/dev/null", "character device")
    assert not (tmp_path / "data").exists()


@pytest.mark.sqlite_only("about the modes of SQLite files (governance.db, a queue file)")
def test_existing_files_keep_their_modes(tmp_path: Path) -> None:
    """Files the app did not just make (a queue file named by queue_url, the database and
    lock file of an existing data folder) keep the mode their owner gave them."""
    data = tmp_path / "data"
    assert gd(data, "check").returncode == 0
    queue = tmp_path / "shared-queue.db"
    queue.touch(mode=0o640)
    os.chmod(queue, 0o640)
    for name in ("governance.db", "governance.lock"):
        os.chmod(data / name, 0o640)
    result = gd(data, "demo", queue_url=str(queue))  # demo opens the queue (check does not)
    assert result.returncode == 0, result.stderr
    for path in (queue, data / "governance.db", data / "governance.lock"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path


def test_new_files_are_private_even_under_umask_0(tmp_path: Path) -> None:
    """What the app makes itself is still 0700/0600 (the other half of the rule)."""
    data = tmp_path / "data"
    result = subprocess.run(
        [*GD, "--data-dir", str(data), "check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.umask(0),
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


# --- the data folder --------------------------------------------------------------------------


def test_foreign_non_empty_folder_is_refused_and_untouched(tmp_path: Path) -> None:
    """--data-dir naming someone else's folder (files, no governance.db): one line, and the
    folder keeps its mode and contents (the old code chmod-ed it 0700 and filled it)."""
    folder = tmp_path / "documents"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "notes.txt").write_text("mine")
    result = gd(folder, "check")
    one_error_line(result, str(folder), "notes.txt", "governance.db")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_existing_empty_folder_is_used_without_chmod(tmp_path: Path) -> None:
    """An existing empty folder may be the data folder; the app does not chmod it but says,
    in `check` and in the log, that others can enter it."""
    folder = tmp_path / "empty"
    folder.mkdir()
    os.chmod(folder, 0o755)
    result = gd(folder, "check", "--json")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    access = json.loads(result.stdout)["data_dir_access"]
    assert "0755" in access and "chmod 700" in access
    assert "open to other users" in logs_text(folder)
    # Its own folder (governance.db inside) opens again; a private one says "private".
    os.chmod(folder, 0o700)
    again = gd(folder, "check", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["data_dir_access"] == "private"


@pytest.mark.parametrize("source", ["flag", "env", "settings file"])
def test_empty_data_dir_is_an_error_not_the_current_folder(source: str, tmp_path: Path) -> None:
    """`--data-dir ''`, GOVERNANCE_DATA_DIR= or data_dir = "" in the settings file: one line
    naming data_dir; the current folder is left alone (Path('') used to be it)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env: dict[str, str] = {}
    if source == "env":
        env["data_dir"] = ""
    elif source == "settings file":
        settings = tmp_path / "settings.toml"
        settings.write_text('data_dir = ""\n')
        env["settings_file"] = str(settings)
    result = gd("" if source == "flag" else None, "check", cwd=cwd, **env)
    one_error_line(result, "data_dir", "empty")
    assert list(cwd.iterdir()) == []


# --- database URLs and passwords ----------------------------------------------------------------

BAD_URLS = {
    "nonsense": "nonsense",
    "unknown driver": f"postgresql+nosuchdriver://gov:{SECRET}@127.0.0.1:1/gov",
    "mysql without driver": f"mysql://gov:{SECRET}@127.0.0.1:1/gov",
    "sqlite with a host": f"sqlite://gov:{SECRET}@//tmp/x.db",
}


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_bad_database_url_is_one_line_naming_the_setting(url: str, tmp_path: Path) -> None:
    """A URL SQLAlchemy cannot parse or use, or whose driver is missing: one line naming
    database_url (not "unexpected failure"), no password, nothing created."""
    data = tmp_path / "data"
    result = gd(data, "check", database_url=url)
    one_error_line(result, "database_url")
    assert SECRET not in result.stderr + result.stdout
    assert not data.exists()


def test_postgresql_url_never_shows_its_password(tmp_path: Path) -> None:
    """postgresql:// with a password: without psycopg, the missing driver in one line; with it,
    a connection that fails (port 1). Either way no password on screen or in the log."""
    data = tmp_path / "data"
    url = f"postgresql://gov:{SECRET}@127.0.0.1:1/gov"
    result = gd(data, "check", "--json", database_url=url)
    one_error_line(result)
    if importlib.util.find_spec("psycopg") is None:
        assert "database_url" in result.stderr and "driver" in result.stderr
    assert "***" in result.stderr or "127.0.0.1" in result.stderr
    assert SECRET not in result.stderr + result.stdout + logs_text(data)


def test_check_shows_a_redis_queue_url_without_its_password(tmp_path: Path) -> None:
    """check --json with queue_url redis://:secret@…: shown as redis://:***@… (with redis
    installed: nothing connects before the output); without redis, the one-line error. The
    log never has the password."""
    data = tmp_path / "data"
    url = f"redis://:{SECRET}@127.0.0.1:1/0"
    result = gd(data, "check", "--json", queue_url=url)
    assert SECRET not in result.stdout + result.stderr + logs_text(data)
    if importlib.util.find_spec("redis") is None:
        one_error_line(result, "redis")
    else:
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["queue_url"] == "redis://:***@127.0.0.1:1/0"


def test_log_lines_and_tracebacks_redact_url_passwords(tmp_path: Path) -> None:
    """Whatever logs a URL (a message, an exception's text in a traceback), the log file gets
    it with *** for the password."""
    from governance_desktop.app import setup_logging
    from governance_desktop.data_dir import prepare_data_dir

    data = tmp_path / "data"
    prepare_data_dir(data)
    root = logging.getLogger()
    kept, level = list(root.handlers), root.level
    for handler in kept:  # an earlier in-process open_app may have set up its own log file
        root.removeHandler(handler)
    setup_logging(data)
    try:
        log = logging.getLogger("governance_desktop.test")
        log.warning("connecting to %s", f"postgresql://gov:{SECRET}@db.example/gov")
        try:
            raise ConnectionError(f"cannot reach redis://:{SECRET}@127.0.0.1:1/0")
        except ConnectionError:
            log.exception("queue failed")
    finally:
        for handler in list(root.handlers):
            handler.close()
            root.removeHandler(handler)
        for handler in kept:
            root.addHandler(handler)
        root.setLevel(level)
    text = logs_text(data)
    assert "postgresql://gov:***@db.example/gov" in text and "redis://:***@127.0.0.1" in text
    assert SECRET not in text


def test_redaction_helpers() -> None:
    """One rule: the password of any URL becomes ***; paths and password-less URLs pass."""
    from governance_desktop.store.db import redact_text, redact_url

    assert redact_url(f"redis://:{SECRET}@127.0.0.1:1/0") == "redis://:***@127.0.0.1:1/0"
    assert redact_url(f"postgresql+psycopg://gov:{SECRET}@h/db") == (
        "postgresql+psycopg://gov:***@h/db"
    )
    assert redact_url("/var/lib/queue.db") == "/var/lib/queue.db"
    assert redact_url("sqlite:////tmp/governance.db") == "sqlite:////tmp/governance.db"
    assert redact_text(f"x rediss://u:{SECRET}@@h:1 y") == "x rediss://u:***@h:1 y"
    assert redact_text(f"'not a url gov:{SECRET}@h'") == f"'not a url gov:{SECRET}@h'"


# --- output into a pipe whose reader goes away ---------------------------------------------------


@pytest.fixture(scope="module")
def big_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose `policies list` is bigger than a pipe's buffer (64 KiB)."""
    from governance_desktop.app import open_app
    from governance_desktop.config import load_settings

    root = tmp_path_factory.mktemp("big")
    data = root / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVERNANCE_SETTINGS_FILE", str(root / "settings.toml"))
        ctx = open_app(load_settings(data_dir=data))
        try:
            title = "A policy title long enough to fill a pipe quickly " * 2
            for i in range(800):
                ctx.policies.add(ME, f"POL-{i:04d}", title, owner=ME)
        finally:
            ctx.close()
    return data


PIPED = [("policies", "list"), ("workflows", "schema"), ("check",), ("--help",)]


@pytest.mark.parametrize("args", PIPED, ids=[" ".join(a) for a in PIPED])
def test_output_into_a_closed_pipe_exits_quietly(args: tuple[str, ...], big_register: Path) -> None:
    """The reader has closed the pipe before anything is written: every write fails with
    EPIPE. No "Broken pipe", no traceback, exit 0."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [*GD, "--data-dir", str(big_register), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (0, "")


@pytest.mark.parametrize("args", PIPED[:2], ids=[" ".join(a) for a in PIPED[:2]])
def test_pipe_into_head_exits_quietly(args: tuple[str, ...], big_register: Path) -> None:
    """`governance-desktop policies list | head -1` in a real shell pipeline: head prints one
    line and leaves; our side exits 0 with nothing on stderr."""
    command = " ".join([*GD, "--data-dir", str(big_register), *args])
    err, rc = big_register.parent / "err.txt", big_register.parent / "rc.txt"
    shell = f'{command} 2>"{err}" | head -1; echo "${{PIPESTATUS[0]}}" >"{rc}"'
    done = subprocess.run(
        ["bash", "-c", shell], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.count("\n") == 1, done.stdout
    assert (rc.read_text().strip(), err.read_text()) == ("0", "")


# --- what an existing database or queue file holds; URL forms (the review of issue 13 §4) ----


def _foreign_sqlite(path: Path) -> Path:
    """Someone else's SQLite database: a `contacts` table with one row."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('Ann')")
    conn.close()
    return path


def _tables(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_schema"))
    finally:
        conn.close()


def test_a_text_file_as_queue_url_is_refused_not_renamed(tmp_path: Path) -> None:
    """The defect: a copy of /etc/passwd named as queue_url was renamed pw.txt.damaged-<time>
    and replaced by a new queue. Now one line naming queue_url; the file stays as it was."""
    text = tmp_path / "pw.txt"
    text.write_text("root:x:0:0:root:/root:/bin/bash\n" * 20)
    data = tmp_path / "data"
    result = gd(data, "users", "list", queue_url=str(text))
    one_error_line(result, "queue_url", str(text), "not a queue database", "nothing was changed")
    assert text.read_text() == "root:x:0:0:root:/root:/bin/bash\n" * 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pw.txt"]


@pytest.mark.sqlite_only("about the data folder's own queue.db")
def test_the_data_folders_own_damaged_queue_is_still_rebuilt(tmp_path: Path) -> None:
    """The other half: garbage in data_dir/queue.db (the app's own file) is moved aside and
    a new queue made, as before."""
    data = tmp_path / "data"
    assert gd(data, "demo").returncode == 0  # a command that opens the queue
    (data / "queue.db").write_bytes(b"not sqlite at all" * 300)
    result = gd(data, "demo")
    assert result.returncode == 0, result.stderr
    assert len(list(data.glob("queue.db.damaged-*"))) == 1


def test_a_text_file_as_database_url_is_refused_not_called_damaged(tmp_path: Path) -> None:
    """The defect: a non-SQLite file named as database_url was "damaged" with advice to
    `restore` into the file's own folder. Now one line naming database_url; no restore advice."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    text = other / "notes.txt"
    text.write_text("shopping list\n" * 20)
    data = tmp_path / "data"
    result = gd(data, "users", "list", database_url=f"sqlite:///{text}")
    one_error_line(result, "database_url", str(text), "not a governance database")
    assert "damaged" not in result.stderr and "restore" not in result.stderr
    assert text.read_text() == "shopping list\n" * 20
    assert not data.exists()


def test_damaged_register_outside_the_data_folder_names_the_real_data_folder(
    tmp_path: Path,
) -> None:
    """database_url at the app's own register in another folder, damaged: the restore advice
    names the data folder (where its backups are), not the file's folder."""
    data = tmp_path / "data"
    register = tmp_path / "shared" / "register.db"
    url = f"sqlite:///{register}"
    assert gd(data, "users", "list", database_url=url).returncode == 0
    conn = sqlite3.connect(register)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'users'").fetchone()
    conn.close()
    raw = bytearray(register.read_bytes())
    start = (root - 1) * page  # the users table's root page smashed; the schema intact
    raw[start : start + page] = b"\xff" * page
    register.write_bytes(bytes(raw))
    result = gd(data, "users", "list", database_url=url)
    one_error_line(result, "damaged", str(register), f"--data-dir '{data}'")
    assert f"--data-dir '{register.parent}'" not in result.stderr


@pytest.mark.parametrize("setting", SETTINGS)
def test_someone_elses_sqlite_database_is_refused(setting: str, tmp_path: Path) -> None:
    """The defect: database_url at another program's SQLite file was migrated into (our
    tables beside its `contacts`), queue_url got Huey's tables. Now one line naming the
    setting and a table found; the file holds only its own table."""
    foreign = _foreign_sqlite(tmp_path / "crm.sqlite")
    data = tmp_path / "data"
    result = gd(data, "users", "list", **{setting: SETTINGS[setting](foreign)})
    one_error_line(result, setting, str(foreign), "contacts")
    assert _tables(foreign) == ["contacts"]
    assert not data.exists()


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://"])
def test_in_memory_database_url_is_refused(url: str, tmp_path: Path) -> None:
    """An in-memory database_url lost every change at exit; now refused, naming the setting."""
    data = tmp_path / "data"
    result = gd(data, "users", "add", "ann", "--role", "officer", database_url=url)
    one_error_line(result, "database_url", "in-memory")
    assert not data.exists()


BAD_QUEUE_URLS = {
    "unknown scheme": f"http://bob:{SECRET}@x",
    "relative path": "relq.db",
    "relative sqlite path": "sqlite:///dev/null",
}


@pytest.mark.parametrize("url", BAD_QUEUE_URLS.values(), ids=BAD_QUEUE_URLS.keys())
def test_queue_url_that_is_not_an_absolute_path_or_redis_is_refused(
    url: str, tmp_path: Path
) -> None:
    """The defect: these became a queue file under the current folder (the first one with
    the password in its name). Now one line naming queue_url, the password hidden, the
    current folder and the data folder untouched."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    data = tmp_path / "data"
    result = gd(data, "users", "list", cwd=cwd, queue_url=url)
    one_error_line(result, "queue_url", "absolute path")
    assert SECRET not in result.stderr
    assert list(cwd.iterdir()) == [] and not data.exists()


def test_relative_sqlite_database_url_is_refused(tmp_path: Path) -> None:
    """sqlite:///rel.db (three slashes) named a file under the current folder: refused."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    data = tmp_path / "data"
    result = gd(data, "users", "list", cwd=cwd, database_url="sqlite:///rel.db")
    one_error_line(result, "database_url", "rel.db", "absolute path")
    assert list(cwd.iterdir()) == [] and not data.exists()


def test_absolute_queue_url_forms_are_accepted(tmp_path: Path) -> None:
    """The forms that stay: sqlite:////abs/path and a plain absolute path."""
    data = tmp_path / "data"
    for url, file in (
        (f"sqlite:///{tmp_path / 'q1.db'}", tmp_path / "q1.db"),
        (str(tmp_path / "q2.db"), tmp_path / "q2.db"),
    ):
        result = gd(data, "demo", queue_url=url)  # a command that opens the queue
        assert result.returncode == 0, result.stderr
        assert file.is_file()


@pytest.mark.sqlite_only(
    "restore replaces the SQLite file; on PostgreSQL restore is pg_restore's job"
)
@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_restore_from_a_device_says_not_a_regular_file(tmp_path: Path) -> None:
    """`restore /dev/null` said "no such file"; now it says what it is, before the data
    folder is made."""
    data = tmp_path / "data"
    result = gd(data, "restore", "/dev/null")
    one_error_line(result, "/dev/null", "not a regular file", "character device")
    assert "no such file" not in result.stderr
    assert not data.exists()


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_settings_file_that_is_not_a_file_is_refused(kind: str, tmp_path: Path) -> None:
    """GOVERNANCE_SETTINGS_FILE naming a folder (or a FIFO) was silently ignored: the user's
    settings were not applied and nothing said so. Now one line naming the settings file."""
    target = tmp_path / "settings.toml"
    if kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    data = tmp_path / "data"
    result = gd(data, "check", settings_file=str(target))
    one_error_line(result, "settings file", str(target), "not a regular file")
    assert not data.exists()


def test_missing_parents_of_the_data_folder_are_private_under_umask_0(tmp_path: Path) -> None:
    """--data-dir /tmp/p2/x under umask 000 left /tmp/p2 0777; every folder made is 0700."""
    data = tmp_path / "p2" / "p3" / "x"
    result = subprocess.run(
        [*GD, "--data-dir", str(data), "check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.umask(0),
    )
    assert result.returncode == 0, result.stderr
    for folder in (tmp_path / "p2", tmp_path / "p2" / "p3", data):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.skipif(importlib.util.find_spec("redis") is not None, reason="redis installed")
def test_redis_queue_url_without_redis_leaves_no_data_folder(tmp_path: Path) -> None:
    """A refusal that comes from the settings comes before the data folder is made: a Redis
    queue_url without the redis package used to stop only after creating it."""
    data = tmp_path / "data"
    result = gd(data, "check", queue_url=f"redis://:{SECRET}@127.0.0.1:1/0")
    one_error_line(result, "queue_url", "redis")
    assert SECRET not in result.stderr
    assert not data.exists()
