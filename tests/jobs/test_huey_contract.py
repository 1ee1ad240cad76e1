"""The Huey members jobs/huey_seam.py relies on are still there, with the signatures it was
written against: a Huey upgrade that moves one fails here, not in a worker thread."""

from __future__ import annotations

import ast
import importlib
import inspect
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import huey
import pytest
from huey.consumer import Consumer, Worker
from huey.serializer import Serializer
from huey.storage import RedisStorage, SqliteStorage

from governance_desktop.jobs import huey_seam
from governance_desktop.jobs.huey_seam import RELIES_ON
from governance_desktop.jobs.queue import make_huey


def _owner(dotted: str) -> tuple[type, str]:
    module, cls, member = dotted.rsplit(".", 2)
    owner: type = getattr(importlib.import_module(module), cls)
    return owner, member


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[dict[type, Any]]:
    """A real Huey on a queue file, its storage, a consumer and one of its workers, and a
    Redis queue's storage (made without connecting: no server needed)."""
    queue = make_huey(str(tmp_path / "queue.db"))
    redis_queue = make_huey("redis://127.0.0.1:9/0")
    consumer = Consumer(queue, workers=1, worker_type="thread")
    worker = Worker(queue, threading.Event(), 0.1, 1.0, 1.15)
    yield {
        huey.Huey: queue,
        SqliteStorage: queue.storage,
        RedisStorage: redis_queue.storage,
        Consumer: consumer,
        Worker: worker,
    }
    queue.storage.close()


@pytest.mark.parametrize("member", sorted(m for m, sig in RELIES_ON.items() if sig is not None))
def test_method_keeps_its_signature(member: str) -> None:
    owner, name = _owner(member)
    assert hasattr(owner, name), f"{member} is gone"
    assert str(inspect.signature(getattr(owner, name))) == RELIES_ON[member]


@pytest.mark.parametrize("member", sorted(m for m, sig in RELIES_ON.items() if sig is None))
def test_attribute_is_still_set(member: str, instances: dict[type, Any]) -> None:
    owner, name = _owner(member)
    assert hasattr(instances[owner], name), f"{member} is gone"


def test_every_huey_private_the_seam_uses_is_recorded() -> None:
    """The list cannot fall behind the code: each `_name` the seam reads or overrides that
    Huey defines is in RELIES_ON, and each entry is named in the module docstring."""
    recorded = {dotted.rsplit(".", 1)[1] for dotted in RELIES_ON}
    tree = ast.parse(inspect.getsource(huey_seam))
    used = {
        node.attr if isinstance(node, ast.Attribute) else node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute | ast.FunctionDef)
    }
    huey_privates = {name for name in used if _private(name) and _huey_defines(name)}
    assert huey_privates <= recorded
    doc = huey_seam.__doc__ or ""
    for dotted in RELIES_ON:
        assert dotted.rsplit(".", 1)[1] in doc, f"{dotted} is not in the seam's docstring"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _huey_defines(name: str) -> bool:
    return any(
        hasattr(cls, name) for cls in (huey.Huey, Consumer, Worker, SqliteStorage, Serializer)
    )
