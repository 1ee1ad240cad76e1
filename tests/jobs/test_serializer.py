"""JsonSerializer: round trips, refuses unsafe values, rejects anything that is not ours."""

from __future__ import annotations

import json
import logging
import pickle
from datetime import datetime, timedelta

import pytest
from huey.registry import Message

from governance_desktop.jobs.names import registry_name
from governance_desktop.jobs.rejections import RejectedMessage, Rejection
from governance_desktop.jobs.serializer import JsonSerializer, UnsafeMessage


def message(**changes: object) -> Message:
    base = Message(
        id="4a6f",
        name=registry_name("EXECUTE_WORKFLOW"),
        eta=datetime(2030, 1, 2, 3, 4, 5, 6),
        retries=0,
        retry_delay=0,
        priority=None,
        args=(42,),
        kwargs={},
        on_complete=None,
        on_error=None,
        expires=None,
        expires_resolved=None,
        timeout=None,
        chord_config=None,
        retry_backoff=0,
    )
    return base._replace(**changes)


def test_round_trip_keeps_every_field() -> None:
    """A message comes back equal, datetimes and tuples included."""
    ser = JsonSerializer()
    msg = message(
        kwargs={"note": "x", "n": [1, 2.5, None, True]},
        expires=timedelta(seconds=30),
        expires_resolved=datetime(2030, 1, 2, 3, 5),
        on_complete=message(id="next", name=registry_name("EXECUTE_WORKFLOW_ACTION"), eta=None),
        priority=5,
        timeout=3.5,
    )
    raw = ser.serialize(msg)
    assert json.loads(raw)["message"]["task"] == "EXECUTE_WORKFLOW"
    assert ser.deserialize(raw) == msg


def test_non_message_data_round_trips() -> None:
    """Key/value data Huey stores (locks, revocations) survives, datetimes included."""
    ser = JsonSerializer()
    until = datetime(2031, 5, 6, 7, 8)
    assert ser.deserialize(ser.serialize("1")) == "1"
    assert ser.deserialize(ser.serialize((until, False))) == [until, False]


@pytest.mark.parametrize(
    "changes",
    [
        {"args": (object(),)},
        {"args": (b"bytes",)},
        {"kwargs": {"when": datetime(2030, 1, 1)}},
        {"args": (float("nan"),)},
        {"name": "some.module.other_task"},
    ],
)
def test_refuses_unsafe_messages_at_enqueue(changes: dict[str, object]) -> None:
    """Only ids and plain JSON values, for our own task names, can be written."""
    with pytest.raises(UnsafeMessage):
        JsonSerializer().serialize(message(**changes))


def _shape(**changes: object) -> bytes:
    body = json.loads(JsonSerializer().serialize(message()))
    body["message"].update(changes)
    return json.dumps(body).encode()


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("pwned",))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (pickle.dumps(Evil()), "not JSON"),
        (pickle.dumps(message(), protocol=0), "not JSON"),
        (b"\x00\xffgarbage", "not JSON"),
        (b"", "empty"),
        (b'{"v": 2, "type": "message", "message": {}}', "versioned"),
        (b"[1, 2]", "versioned"),
        (_shape(task="os.system"), "unknown task"),
        (_shape(args={"a": 1}), "args must be a list"),
        (_shape(extra=1), "wrong message shape"),
        (_shape(eta="yesterday"), "bad field 'eta'"),
        (_shape(retries="3"), "bad field 'retries'"),
        (b'{"v": 1, "type": "message", "message": {}, "x": 1}', "unknown message type"),
        (b'{"v": 1, "type": "data", "data": NaN}', "not JSON"),
        (b"[" * 100_000, "too large"),
    ],
)
def test_rejects_foreign_payloads(
    payload: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Anything but our JSON raises RejectedMessage, is logged and counted."""
    ser = JsonSerializer()
    seen: list[Rejection] = []
    ser.rejections.add_listener(seen.append)
    with (
        caplog.at_level(logging.WARNING, "governance_desktop.jobs"),
        pytest.raises(RejectedMessage, match=reason),
    ):
        ser.deserialize(payload)
    assert ser.rejections.count == 1 and len(seen) == 1
    assert "rejected queue message" in caplog.text


def test_failing_rejection_listener_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """A broken listener does not hide the rejection or stop other listeners."""
    ser = JsonSerializer()
    seen: list[Rejection] = []
    ser.rejections.add_listener(lambda r: 1 / 0)
    remove = ser.rejections.add_listener(seen.append)
    with pytest.raises(RejectedMessage):
        ser.deserialize(b"junk")
    remove()
    with pytest.raises(RejectedMessage):
        ser.deserialize(b"junk")
    assert len(seen) == 1 and ser.rejections.count == 2
    assert "listener failed" in caplog.text
