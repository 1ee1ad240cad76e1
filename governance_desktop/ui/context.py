"""What every page gets: the services, the acting user, background calls, engine events."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject

from governance_desktop.app import AppContext
from governance_desktop.jobs.runtime import QueueRuntime
from governance_desktop.ui.background import Background, OwnedCalls
from governance_desktop.ui.bridge import JobEventBridge


@dataclass
class UiContext:
    """`app` holds the services app.py built; pages call them, never the database."""

    app: AppContext
    runtime: QueueRuntime | None
    actor: str
    background: Background
    bridge: JobEventBridge

    def calls(self, owner: QObject) -> OwnedCalls:
        """Background calls bound to `owner`'s lifetime; writes announce what they changed."""
        return OwnedCalls(owner, self.background, self.bridge.announce)
