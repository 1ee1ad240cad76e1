"""The lazy SQL-sorted table model: valid Qt model, sorted and filtered in SQL, no cap."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from governance_desktop.app import AppContext, open_app
from governance_desktop.config import load_settings
from governance_desktop.services.dto import PolicyInfo
from governance_desktop.services.policy_pages import PolicyFilter
from governance_desktop.ui.background import Background
from governance_desktop.ui.sorted_model import Column, SortedTableModel
from tests.helpers.demo import seed
from tests.helpers.register import seed_policies

COUNT = 3000  # the old register held at most 2,000 rows
COLUMNS = ("code", "title", "status", "owner", "assignee", "next_review", "updated")
FIELD = {"next_review": "next_review_date", "updated": "updated_at"}


class Register(SortedTableModel[PolicyInfo]):
    columns = tuple(Column(name, name) for name in COLUMNS)

    def cell(self, row: PolicyInfo, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return str(getattr(row, FIELD.get(COLUMNS[column], COLUMNS[column])))

    def key(self, row: PolicyInfo) -> Hashable:
        return row.code


@pytest.fixture(scope="module")
def register_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("register") / "data"
    seed(data_dir)
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        seed_policies(ctx.db, COUNT)
    finally:
        ctx.close()
    return data_dir


@pytest.fixture
def app(register_dir: Path):  # type: ignore[no-untyped-def]
    ctx: AppContext = open_app(load_settings(data_dir=register_dir))
    yield ctx
    ctx.close()


def all_rows(model: Register, qtbot) -> list[PolicyInfo]:  # type: ignore[no-untyped-def]
    rows = []
    for number in range(model.rowCount()):
        if model.row_item(number) is None:
            qtbot.waitUntil(lambda n=number: model.row_item(n) is not None, timeout=10_000)
        item = model.row_item(number)
        assert item is not None
        rows.append(item)
    return rows


def make(qtbot, app: AppContext, background: Background, flt: PolicyFilter | None = None):  # type: ignore[no-untyped-def]
    model = Register(background, app.policy_pages, flt or PolicyFilter())
    with qtbot.waitSignal(model.reloaded, timeout=10_000):
        model.refresh()
    return model


def test_model_passes_modeltester_and_has_no_cap(qtbot, qtmodeltester, app) -> None:  # type: ignore[no-untyped-def]
    """Every policy is a row (3,012 > the old 2,000 cap), few are held, and Qt accepts it."""
    background = Background()
    model = make(qtbot, app, background)
    assert model.rowCount() == COUNT + 12
    assert model.loaded_rows() < 1000
    qtmodeltester.check(model)
    background.wait()


@pytest.mark.parametrize("column", range(len(COLUMNS)))
def test_every_column_sorts_in_sql(qtbot, app, column: int) -> None:  # type: ignore[no-untyped-def]
    """Sorting a column asks SQL for the order (id breaks ties): both directions read right."""
    background = Background()
    model = make(qtbot, app, background, PolicyFilter(text="topic 3"))
    name = COLUMNS[column]
    field = FIELD.get(name, name)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        with qtbot.waitSignal(model.reloaded, timeout=10_000):
            model.sort(column, order)
        rows = all_rows(model, qtbot)
        values = [getattr(r, field) for r in rows]
        present = [v for v in values if v is not None]
        expected = sorted(present, reverse=order == Qt.SortOrder.DescendingOrder)
        assert present == expected
        nulls = [i for i, v in enumerate(values) if v is None]
        if nulls:  # NULLs sit together at one end
            assert nulls == list(range(nulls[0], nulls[0] + len(nulls)))
            assert nulls[0] == 0 or nulls[-1] == len(values) - 1
    background.wait()


def test_filter_runs_in_sql_and_follow_finds_the_row(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    """A filter object narrows the count in SQL; a followed key is located after a re-sort."""
    background = Background()
    model = make(qtbot, app, background)
    with qtbot.waitSignal(model.reloaded, timeout=10_000):
        model.set_filter(PolicyFilter(text="BIG-0012", status="draft"))
    codes = {r.code for r in all_rows(model, qtbot)}
    assert codes and all(c.startswith("BIG-0012") for c in codes)
    assert model.rowCount() == len(codes) < 20
    model.follow("BIG-001200")
    with qtbot.waitSignal(model.located, timeout=10_000) as located:
        model.sort(0, Qt.SortOrder.DescendingOrder)
    row = located.args[0]
    assert model.row_item(row) is not None and model.row_item(row).code == "BIG-001200"  # type: ignore[union-attr]
    background.wait()


def test_stale_results_are_dropped(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    """Two snapshots asked back to back: only the newer is applied."""
    background = Background()
    model = make(qtbot, app, background)
    model.set_filter(PolicyFilter(status="retired"))
    with qtbot.waitSignal(model.reloaded, timeout=10_000):
        model.set_filter(PolicyFilter(text="POL-00"))
    background.wait()
    qtbot.wait(50)
    assert model.rowCount() == 9
    assert model.filter == PolicyFilter(text="POL-00")


def test_refresh_with_same_count_keeps_the_rows_in_place(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    """A refresh that changes no row count updates cells without a reset."""
    background = Background()
    model = make(qtbot, app, background)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.reloaded, timeout=10_000):
        model.refresh()
    assert not resets
    assert model.row_item(0) is not None
    background.wait()
