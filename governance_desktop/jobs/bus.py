"""A tiny thread-safe in-process pub/sub for job events (the GUI bridges it to a Qt signal)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

logger = logging.getLogger("governance_desktop.jobs")


@dataclass(frozen=True)
class JobEvent:
    """What changed on one Job row; fields the publisher does not know are None."""

    job_id: int
    state: str
    kind: str | None = None
    execution_id: int | None = None
    attempts: int | None = None
    progress: float | None = None
    message: str | None = None
    error: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


Subscriber = Callable[[JobEvent], object]


class EventBus:
    """Publish calls every subscriber in the publisher's thread; one failing does not stop
    the others. Subscribers must be quick (the Qt bridge only emits a signal)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Add `callback`; returns a function that removes it (safe to call twice)."""
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                subs = list(self._subscribers)
                if callback in subs:
                    subs.remove(callback)
                self._subscribers = tuple(subs)

        return unsubscribe

    def publish(self, event: JobEvent) -> None:
        for callback in self._subscribers:  # a snapshot: the tuple is replaced, not mutated
            try:
                callback(event)
            except Exception:
                logger.exception("job event subscriber %r failed on %s", callback, event)
