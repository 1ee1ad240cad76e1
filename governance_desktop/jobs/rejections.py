"""Rejected queue payloads: the error that drops one, and a count the job monitor shows."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

logger = logging.getLogger("governance_desktop.jobs")


class RejectedMessage(Exception):
    """A queue payload that is not our JSON; it is dropped and never executed."""


@dataclass(frozen=True)
class Rejection:
    reason: str
    size: int
    at: datetime


class Rejections:
    """Thread-safe count and recent list of rejected payloads, with listeners (the monitor)."""

    def __init__(self, keep: int = 50) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._recent: deque[Rejection] = deque(maxlen=keep)
        self._listeners: list[Callable[[Rejection], object]] = []

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def recent(self) -> list[Rejection]:
        with self._lock:
            return list(self._recent)

    def add_listener(self, listener: Callable[[Rejection], object]) -> Callable[[], None]:
        """Call `listener` for each rejection (from a worker thread); returns an unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def record(self, reason: str, size: int) -> Rejection:
        rejection = Rejection(reason, size, datetime.now(UTC))
        with self._lock:
            self._count += 1
            self._recent.append(rejection)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(rejection)
            except Exception:
                logger.exception("rejected-message listener failed")
        return rejection
