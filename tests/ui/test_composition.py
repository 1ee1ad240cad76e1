"""One composition root: app.py builds every service; no ui module reaches the Database or
builds a service of its own (the import of the store is lint-imports' contract)."""

from __future__ import annotations

import ast
from pathlib import Path

import governance_desktop.ui

UI = Path(governance_desktop.ui.__file__).parent


def _service_classes(tree: ast.Module) -> set[str]:
    """Names imported from services/ that name a service (…Service, …Pages)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "governance_desktop.services"
        ):
            names |= {
                alias.asname or alias.name
                for alias in node.names
                if alias.name.endswith(("Service", "Pages"))
            }
    return names


def problems(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    services = _service_classes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "db":
            found.append(f"{where}:{node.lineno}: reads .db")
        called = node.func if isinstance(node, ast.Call) else None
        if isinstance(called, ast.Name) and called.id in services:
            found.append(f"{where}:{node.lineno}: builds {called.id}")
    return found


def test_ui_never_reaches_the_database_or_builds_services() -> None:
    found = []
    for path in sorted(UI.rglob("*.py")):
        found += problems(path.read_text(encoding="utf-8"), str(path.relative_to(UI)))
    assert found == []


def test_the_check_sees_both_mistakes() -> None:
    """What the pages did before app.py built their services is caught."""
    page = (
        "from governance_desktop.services.inbox import InboxService\n"
        "inbox = InboxService(ui.app.db, ui.app.audit)\n"
    )
    assert sorted(problems(page, "page.py")) == [
        "page.py:2: builds InboxService",
        "page.py:2: reads .db",
    ]
