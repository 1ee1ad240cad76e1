"""Shared fixtures: every test gets its own data dir; nothing touches the real user's files."""

from __future__ import annotations

import faulthandler
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from governance_desktop.app import AppContext
from tests.helpers.backends import BACKENDS, TeamDatabases, TeamServers

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: Fixture modules shared by several suites.
pytest_plugins = ["tests.helpers.fixtures"]

#: A `slow` test (crash chaos, soaks, fuzzing) may run this long on a loaded machine; every
#: other test gets pyproject's `timeout` (pytest-timeout).
SLOW_TIMEOUT_S = 1800
#: The watchdog below fires this long after pytest-timeout should have.
WATCHDOG_GRACE_S = 60
_real_stderr: TextIO | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    """--backends: the stores every test runs on (tests/helpers/backends.py). Without
    pytest-qt (CI's run with PySide6 absent) its ini keys in pyproject.toml are
    declared here, so that --strict-config still holds for every other key."""
    parser.addoption(
        "--backends",
        default="sqlite",
        help="comma-separated stores to run each test on: sqlite (default), team "
        "(PostgreSQL + Redis named by GOVERNANCE_TEST_POSTGRES and GOVERNANCE_TEST_REDIS)",
    )
    if importlib.util.find_spec("pytestqt") is None:
        parser.addini("qt_api", "pytest-qt's binding (pytest-qt not installed)")
        parser.addini("qt_log_level_fail", "pytest-qt's log level (pytest-qt not installed)")
        parser.addini("qt_log_ignore", "pytest-qt's ignores (not installed)", type="linelist")


def _terminal_stderr(config: pytest.Config) -> TextIO | None:
    """The terminal's stderr (pytest captures fd 2 during tests), opened once, for the hang
    watchdog's stack dump. Taken inside a test with capture disabled: taking it while pytest
    configures itself broke pytest's own report of a collection error."""
    global _real_stderr
    if _real_stderr is None:
        capman = config.pluginmanager.getplugin("capturemanager")
        if capman is None:
            return None
        with capman.global_and_fixture_disabled():
            _real_stderr = open(os.dup(sys.stderr.fileno()), "w")  # noqa: SIM115 (process-long)
    return _real_stderr


def _backends(config: pytest.Config) -> list[str]:
    names = [name.strip() for name in str(config.getoption("backends")).split(",") if name]
    unknown = sorted(set(names) - set(BACKENDS))
    if unknown or not names:
        raise pytest.UsageError(f"--backends: unknown {unknown or names}; choose from {BACKENDS}")
    return names


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): about the SQLite files; skipped on the team backend"
    )
    config.addinivalue_line("markers", "team_only(reason): needs PostgreSQL and Redis")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test takes the autouse `backend` fixture: run it once per --backends entry."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _backends(metafunc.config), indirect=True, scope="function")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        only = item.get_closest_marker("sqlite_only")
        if backend == "team" and only:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {only.args[0]}"))
        if backend == "sqlite" and item.get_closest_marker("team_only"):
            item.add_marker(pytest.mark.skip(reason="needs the team backend (--backends team)"))
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))


@pytest.fixture(autouse=True)
def _hang_watchdog(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test still running WATCHDOG_GRACE_S after its timeout is hung where no Python code
    can run (a deadlock that holds the GIL, which pytest-timeout cannot interrupt): dump every
    thread's stack to the terminal from C and end the run with exit code 1."""
    marker = request.node.get_closest_marker("timeout")
    limit = (
        float(marker.args[0])
        if marker and marker.args
        else float(request.config.getini("timeout") or 0)
    )
    stderr = _terminal_stderr(request.config) if limit > 0 else None
    if stderr is None:
        yield
        return
    faulthandler.dump_traceback_later(limit + WATCHDOG_GRACE_S, exit=True, file=stderr)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def team_databases(request: pytest.FixtureRequest) -> Iterator[TeamDatabases]:
    """The team servers' per-test databases (only made when a team test runs)."""
    databases = TeamDatabases(TeamServers.from_env())
    yield databases
    databases.close()


@pytest.fixture(autouse=True)
def backend(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, _isolated_home: None
) -> Iterator[str]:
    """The store this test runs on (parametrised by --backends). On `team` the test's
    database and queue URLs name a fresh PostgreSQL database and an empty Redis database."""
    name = getattr(request, "param", "sqlite")
    if name != "team":
        yield name
        return
    databases: TeamDatabases = request.getfixturevalue("team_databases")
    database_url, queue_url = databases.fresh()
    monkeypatch.setenv("GOVERNANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("GOVERNANCE_QUEUE_URL", queue_url)
    yield name
    _collect_left_connections(request.node.nodeid)
    databases.drop(database_url)


def _collect_left_connections(nodeid: str) -> None:
    """Collect what the test left behind while its database still exists. A psycopg
    connection the garbage collector finds still open warns (ResourceWarning), and under
    `filterwarnings = error` that warning became an error in whichever later test the
    collector happened to run (a setup error on an unrelated test, about 1 run in 3).
    Collected here, such a connection is named in the log instead of failing a stranger."""
    import gc
    import logging
    import warnings

    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    left = [w for w in leaked if "psycopg" in str(w.message)]
    for other in leaked:
        if other not in left:  # anything else is as fatal as before
            warnings.warn(other.message, other.category, stacklevel=1)
    if left:
        logging.getLogger("tests").warning("%s left %d connection(s) open", nodeid, len(left))


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point settings file and default data dir lookups at a temp folder (before `backend`
    sets the team URLs)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("GOVERNANCE_SETTINGS_FILE", str(home / "settings.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in (
        "GOVERNANCE_DATA_DIR",
        "GOVERNANCE_DATABASE_URL",
        "GOVERNANCE_QUEUE_URL",
        "GOVERNANCE_WORKERS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def ctx(data_dir: Path) -> Iterator[AppContext]:
    from governance_desktop.app import open_app
    from governance_desktop.config import load_settings

    context = open_app(load_settings(data_dir=data_dir))
    yield context
    context.close()


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> object:
        import json

        return json.loads(self.out)


#: Commands that sign (approve, reject, publish, retire, deactivate, import a workflow, demo):
#: the `cli` fixture gives their actor PASSWORD first.
_SIGNING = {"approve", "reject", "deactivate", "import", "published", "retired", "demo"}


@pytest.fixture
def cli(data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run the real CLI entry point in-process against the test's data dir.

    Passwords come from `--password-stdin` (``stdin``, by default PASSWORD once): a user the
    command acts as, or who signs, first gets PASSWORD (tests/helpers/identity.py)."""
    import io

    from governance_desktop.cli import main
    from tests.helpers.actors import ME
    from tests.helpers.identity import PASSWORD, credential_in

    ready: set[str] = set()

    def run(*args: str, actor: str | None = None, stdin: str | bytes | None = None) -> CliResult:
        argv = ["--data-dir", str(data_dir), "--password-stdin"]
        if actor:
            argv += ["--actor", actor]
        who = actor or ME
        needs_password = who != ME or _SIGNING & set(args)
        if who not in ready and needs_password and credential_in(data_dir, who):
            ready.add(who)
        data = PASSWORD + "\n" if stdin is None else stdin
        raw = data.encode() if isinstance(data, str) else data  # bytes: `--body-file -`
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
        capsys.readouterr()
        try:
            code = main([*argv, *args])
        except SystemExit as exc:  # argparse usage errors and --help
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its lowest cost in this process (stored with each hash and key, so the
    same code verifies them); subprocesses keep the real cost."""
    from governance_desktop.services import identity

    monkeypatch.setattr(identity, "COST", identity.KdfCost(1, 8, 1))


@pytest.fixture(autouse=True)
def _gc_on_gui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that has a QApplication collects garbage on the GUI thread only, as the app
    does (ui/gc_guard.py): a collection in a worker thread that frees a Qt object can hang
    the whole test run. Other tests keep Python's automatic collection.

    Such a test also fails if it leaves a thread, a busy thread pool or an active QTimer
    behind (tests/helpers/leaks.py): checked after every other fixture's teardown."""
    if "qapp" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("qapp")
    from governance_desktop.ui.gc_guard import collect_on_gui_thread
    from tests.helpers.leaks import assert_nothing_left

    before = set(threading.enumerate())
    collector = collect_on_gui_thread()
    yield
    collector.stop()
    assert_nothing_left(before)
