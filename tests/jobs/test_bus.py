"""EventBus: every subscriber gets the event; a failing one is logged and isolated."""

from __future__ import annotations

import threading

import pytest

from governance_desktop.jobs.bus import EventBus, JobEvent


def test_failing_subscriber_does_not_stop_others(caplog: pytest.LogCaptureFixture) -> None:
    """Subscribers after a failing one still receive the event; the failure is logged."""
    bus = EventBus()
    got: list[JobEvent] = []
    bus.subscribe(lambda e: got.append(e))
    bus.subscribe(lambda e: 1 / 0)
    bus.subscribe(lambda e: got.append(e))
    event = JobEvent(1, "running", kind="EXECUTE_WORKFLOW")
    bus.publish(event)
    assert got == [event, event]
    assert "subscriber" in caplog.text and "ZeroDivisionError" in caplog.text


def test_unsubscribe_stops_delivery() -> None:
    """The function subscribe returns removes the callback (twice is harmless)."""
    bus = EventBus()
    got: list[JobEvent] = []
    unsubscribe = bus.subscribe(got.append)
    bus.publish(JobEvent(1, "queued"))
    unsubscribe()
    unsubscribe()
    bus.publish(JobEvent(2, "queued"))
    assert [e.job_id for e in got] == [1]


def test_publish_from_many_threads() -> None:
    """Concurrent publishers and subscribers neither lose events nor raise."""
    bus = EventBus()
    got: list[int] = []
    lock = threading.Lock()

    def record(event: JobEvent) -> None:
        with lock:
            got.append(event.job_id)

    bus.subscribe(record)

    def publish_many(n: int) -> None:
        for _ in range(100):
            bus.publish(JobEvent(n, "queued"))

    threads = [threading.Thread(target=publish_many, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(50):
        bus.subscribe(lambda e: None)()
    for thread in threads:
        thread.join()
    assert len(got) == 800
