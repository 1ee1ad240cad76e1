"""No module but jobs/huey_seam.py subclasses Huey's classes or touches a Huey `_private`
member: the seam's list (and tests/jobs/test_huey_contract.py) then covers every one."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from pathlib import Path

import huey
from huey.consumer import Consumer, Worker
from huey.serializer import Serializer

ROOT = Path(__file__).resolve().parents[2]
SEAM = ROOT / "governance_desktop" / "jobs" / "huey_seam.py"
SOURCES = ("governance_desktop", "bench", "tools", "tests", "packaging")


def _huey_privates(tmp_path: Path) -> frozenset[str]:
    """Every `_name` a live Huey, its storage, serializer, consumer or worker has."""
    queue = huey.SqliteHuey("privacy", filename=str(tmp_path / "q.db"))
    objects = [
        queue,
        queue.storage,
        Serializer(),
        Consumer(queue, workers=1, worker_type="thread"),
        Worker(queue, threading.Event(), 0.1, 1.0, 1.15),
    ]
    names = {name for obj in objects for name in dir(obj)}
    queue.storage.close()
    return frozenset(n for n in names if n.startswith("_") and not n.startswith("__"))


def _modules() -> Iterator[Path]:
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path != SEAM and ".venv" not in path.parts:
                yield path


def _huey_names(tree: ast.Module) -> set[str]:
    """Names bound by `import huey…` / `from huey… import …` in a module."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                (a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("huey")
            }
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("huey"):
            names |= {a.asname or a.name for a in node.names}
    return names


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _extends_huey(tree: ast.Module, from_huey: set[str]) -> bool:
    """Whether a module imports from Huey or from the seam (whose classes extend Huey's)."""
    seam = "governance_desktop.jobs.huey_seam"
    return bool(from_huey) or any(
        isinstance(node, ast.ImportFrom) and node.module == seam for node in ast.walk(tree)
    )


def _problems(path: Path, privates: frozenset[str], root: Path = ROOT) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    from_huey = _huey_names(tree)
    extends = _extends_huey(tree, from_huey)
    where = path.relative_to(root)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if _root_name(base) in from_huey:
                    yield f"{where}:{node.lineno}: class {node.name} subclasses a Huey class"
            for item in node.body if extends else ():
                if isinstance(item, ast.FunctionDef) and item.name in privates:
                    yield f"{where}:{item.lineno}: {node.name}.{item.name} overrides Huey's"
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in privates
            and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
        ):
            yield f"{where}:{node.lineno}: reads Huey's {node.attr}"


def test_only_the_seam_touches_huey_privates(tmp_path: Path) -> None:
    privates = _huey_privates(tmp_path)
    assert "_emit" in privates and "_create_connection" in privates  # the scan sees them
    problems = [p for path in _modules() for p in _problems(path, privates)]
    assert problems == []


def test_the_scan_finds_a_private_access(tmp_path: Path) -> None:
    """The check itself can fail: a module doing what jobs/batch.py once did is caught."""
    module = tmp_path / "offender.py"
    module.write_text(
        "from huey.consumer import Worker\n"
        "class W(Worker):\n"
        "    def _set_signal_handlers(self): pass\n"
        "def f(queue):\n"
        "    queue._emit('executing', None)\n",
        encoding="utf-8",
    )
    found = list(_problems(module, _huey_privates(tmp_path), tmp_path))
    assert len(found) == 3, found
