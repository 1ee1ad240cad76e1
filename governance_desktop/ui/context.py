"""What every page gets: the services, the acting user, background calls, engine events,
and the signing session every signed act goes through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from governance_desktop.app import AppContext
from governance_desktop.jobs.runtime import QueueRuntime
from governance_desktop.ui.background import Background, OwnedCalls
from governance_desktop.ui.bridge import JobEventBridge
from governance_desktop.ui.signing.dialog import ask_in_dialog
from governance_desktop.ui.signing.session import Signed, SigningAct, SigningSession


def _no_op() -> None:
    pass


@dataclass
class UiContext:
    """`app` holds the services app.py built; pages call them, never the database."""

    app: AppContext
    runtime: QueueRuntime | None
    actor: str
    background: Background
    bridge: JobEventBridge
    #: Made from the settings' `signing_idle_minutes` when not given.
    signing: SigningSession = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.signing is None:
            self.signing = SigningSession(self.app.settings.signing_idle_minutes)

    def calls(self, owner: QObject) -> OwnedCalls:
        """Background calls bound to `owner`'s lifetime; writes announce what they changed."""
        return OwnedCalls(
            owner, self.background, self.bridge.announce, self.app.change_watch.audit_head
        )

    def sign(
        self,
        parent: QWidget,
        act: SigningAct,
        done: Callable[[Signed], None],
        cancelled: Callable[[], None] = _no_op,
    ) -> None:
        """Ask the acting user to sign ``act`` (the sign dialog); ``done`` gets the signer
        to hand to the service call, ``cancelled`` runs if they decline (nothing is done)."""
        ask = self.signing.ask
        if ask is not None:
            ask(parent, act, done, cancelled)
        else:
            ask_in_dialog(self.app, self.actor, self.signing, parent, act, done, cancelled)
