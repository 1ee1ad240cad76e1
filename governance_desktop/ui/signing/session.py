"""The window's signing session (21 CFR 11.200(a)(1)): the first signature of a continuous
session asks for user name and password, later ones the password only, until the person has
been idle for `signing_idle_minutes` (or the acting user changes); then both again.

Idle means no key press or mouse click anywhere in the app (`ActivityWatch`). The session
holds no password and no key: every signature still re-authenticates (`identity.signer`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

from governance_desktop.services.identity import Signer

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class SigningAct:
    """What a person is asked to sign: ``what`` names the record ("Approve POL-001 v2
    (approval 7)"), ``meaning`` is recorded with the signature ("Approved")."""

    what: str
    meaning: str
    #: The reason (the page's comment) the dialog starts with; the person may change it.
    reason: str | None = None
    #: A rejection's reason is required; approve, publish, retire: optional.
    reason_required: bool = False
    #: False where the act has no reason to record (e.g. loading the demo).
    asks_reason: bool = True


@dataclass(frozen=True)
class Signed:
    """A signature given: the re-authenticated signer and the reason they confirmed."""

    signer: Signer
    reason: str | None


#: Asks the person to sign ``act`` (normally the sign dialog); calls ``done`` with the
#: signature, or ``cancelled`` when they decline. Tests may put a prepared one in its place.
Asker = Callable[["QWidget", SigningAct, Callable[[Signed], None], Callable[[], None]], None]


class SigningSession:
    """Whether the acting user has signed in this continuous session."""

    def __init__(self, idle_minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_minutes * 60
        self._clock = clock
        self._signer: str | None = None
        self._last_activity = 0.0
        self.ask: Asker | None = None  # None: the sign dialog (ui/signing/dialog.py)
        #: Told True when a session starts and False when it ends: the window watches for
        #: activity only while there is a session to keep going (a Python event filter on
        #: every event costs the first paint about 25 ms: docs/benchmarks.md, round 13).
        self.on_active: Callable[[bool], None] | None = None

    def continues_for(self, username: str) -> bool:
        """True if ``username`` signed earlier in this session and has not been idle since:
        their next signature needs the password only."""
        if self._signer != username:
            return False
        if self._clock() - self._last_activity >= self.idle_seconds:
            self.end()
            return False
        return True

    def signed(self, username: str) -> None:
        """``username`` has just signed with user name and password (or password)."""
        started = self._signer is None
        self._signer = username
        self._last_activity = self._clock()
        if started and self.on_active is not None:
            self.on_active(True)

    def touch(self) -> None:
        """The person did something: an unexpired session goes on."""
        if self._signer is not None and self.continues_for(self._signer):
            self._last_activity = self._clock()

    def end(self) -> None:
        """The next signature asks for user name and password again."""
        ended = self._signer is not None
        self._signer = None
        if ended and self.on_active is not None:
            self.on_active(False)


class ActivityWatch(QObject):
    """Installed on the application while a signing session lasts: key presses and mouse
    clicks keep it going; nothing else does (a repainting table is not a person)."""

    _KINDS = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress)

    def __init__(self, session: SigningSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._KINDS:
            self._session.touch()
        return False
