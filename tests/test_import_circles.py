"""The package has no import circle, TYPE_CHECKING imports included (issue 14: one was
app ↔ ui.launch ↔ commands ↔ ui.main_window)."""

from __future__ import annotations

import pytest


def test_no_module_imports_itself_through_others() -> None:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("governance_desktop")
    circles = sorted(
        f"{importer} -> {imported}"
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert circles == []
