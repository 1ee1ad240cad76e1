"""GUI fixtures: a real data dir with demo data, the real queue, real widgets, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from governance_desktop.app import AppContext, attach_queue, open_app
from governance_desktop.config import load_settings
from governance_desktop.ui.background import Background
from governance_desktop.ui.bridge import JobEventBridge
from governance_desktop.ui.context import UiContext
from tests.helpers.actors import ME
from tests.helpers.demo import seed


@pytest.fixture
def demo_dir(data_dir: Path) -> Path:
    """A data dir filled by `demo`."""
    seed(data_dir)
    return data_dir


@pytest.fixture
def ui_ctx(qtbot, demo_dir: Path) -> Iterator[UiContext]:  # type: ignore[no-untyped-def]
    """Services, the real queue with its embedded consumer running, background calls."""
    app: AppContext = open_app(load_settings(data_dir=demo_dir))
    runtime = attach_queue(app, background_dispatch=True)
    runtime.start()
    background = Background()
    bridge = JobEventBridge(runtime.bus)
    yield UiContext(app, runtime, ME, background, bridge)
    runtime.stop(timeout=5)
    background.wait()
    bridge.close()
    runtime.close()
    app.close()


@pytest.fixture
def window(qtbot, demo_dir: Path):  # type: ignore[no-untyped-def]
    """The real main window on demo data, with its embedded worker."""
    from governance_desktop.ui.launch import create_main_window

    win = create_main_window(demo_dir, embedded_worker=True)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()
