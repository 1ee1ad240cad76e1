"""What each command opens: read-only commands neither create nor open queue.db; commands
that enqueue jobs do; importing the CLI loads no Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only("which commands create queue.db")

READ_ONLY = [
    ("policies", "list"),
    ("users", "list"),
    ("check",),
    ("check", "--json"),
    ("workflows", "list"),
    ("workflows", "schema"),
    ("approvals", "list"),
    ("executions", "list"),
    ("jobs", "list"),
    ("tasks", "list"),
    ("notifications", "list"),
    ("audit", "verify"),
]


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_read_only_commands_make_no_queue(cli, data_dir: Path, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.code == 0, result.err
    assert (data_dir / "governance.db").is_file()
    assert not (data_dir / "queue.db").exists()


def test_policies_list_after_writes_leaves_the_queue_alone(cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """A read on a data dir whose queue exists does not open it: queue.db stays as it was.
    (The settings check may still look at it read-only, for someone else's tables.)"""
    assert cli("demo").code == 0
    queue = data_dir / "queue.db"
    before = queue.read_bytes(), queue.stat().st_mtime_ns
    assert cli("policies", "list").code == 0
    assert (queue.read_bytes(), queue.stat().st_mtime_ns) == before


@pytest.mark.parametrize(
    "args",
    [("demo",), ("policies", "add", "POL-900", "--title", "Queue test")],
    ids=" ".join,
)
def test_commands_that_enqueue_open_the_queue(cli, data_dir: Path, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    assert cli(*args).code == 0
    assert (data_dir / "queue.db").is_file()


def test_importing_the_cli_loads_no_qt() -> None:
    """The window's modules are imported by the gui command only, inside its handler."""
    code = (
        "import sys; from governance_desktop.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('PySide6', 'governance_desktop.ui'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == "[]"
