"""What every page gets: the services, the acting user, background calls, engine events."""

from __future__ import annotations

from dataclasses import dataclass

from governance_desktop.app import AppContext
from governance_desktop.jobs.runtime import QueueRuntime
from governance_desktop.ui.background import Background
from governance_desktop.ui.bridge import JobEventBridge


@dataclass
class UiContext:
    app: AppContext
    runtime: QueueRuntime | None
    actor: str
    background: Background
    bridge: JobEventBridge
