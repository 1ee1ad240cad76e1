"""JSON for Huey messages: ids and plain values only; anything else is rejected, never run.

Huey's default serializer is pickle, so a row written into the queue file would run code in
the consumer. This one never calls pickle: it writes a versioned JSON object and, on read,
accepts only that shape with a task name from our allow-list (``names.TASK_NAMES``).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from huey.registry import Message
from huey.utils import ChordConfig

from governance_desktop.jobs.huey_seam import MessageSerializer
from governance_desktop.jobs.names import TASK_NAMES, TASK_NAMESPACE
from governance_desktop.jobs.rejections import RejectedMessage, Rejections

logger = logging.getLogger("governance_desktop.jobs")

FORMAT_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024
_MAX_DEPTH = 8
_PLAIN_SCALARS = (str, int, float, bool, type(None))


class UnsafeMessage(TypeError):
    """Refused at enqueue time: a message may carry only ids and plain JSON values."""


class JsonSerializer(MessageSerializer):
    """Huey serializer writing ``{"v": 1, "type": "message"|"data", ...}`` as UTF-8 JSON."""

    def __init__(
        self, task_names: Collection[str] = TASK_NAMES, rejections: Rejections | None = None
    ) -> None:
        super().__init__()
        self.task_names = frozenset(task_names)
        self.rejections = rejections or Rejections()

    # -- writing ---------------------------------------------------------------------------

    def encode(self, data: Any) -> bytes:
        if isinstance(data, Message):
            body: dict[str, Any] = {
                "v": FORMAT_VERSION,
                "type": "message",
                "message": self._encode_message(data),
            }
        else:
            body = {"v": FORMAT_VERSION, "type": "data", "data": _encode_value(data, 0)}
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")

    def _encode_message(self, msg: Message) -> dict[str, Any]:
        prefix = TASK_NAMESPACE + "."
        name = msg.name if isinstance(msg.name, str) else ""
        short = name[len(prefix) :] if name.startswith(prefix) else ""
        if short not in self.task_names:
            raise UnsafeMessage(f"task {msg.name!r} is not an allowed task name")
        chord = None
        if msg.chord_config is not None:
            cid, size, idx, callback = msg.chord_config
            chord = [
                _plain(cid, 0),
                _plain(size, 0),
                _plain(idx, 0),
                self._encode_message(callback),
            ]
        return {
            "id": _plain(msg.id, 0),
            "task": short,
            "eta": _iso(msg.eta),
            "retries": _plain(msg.retries, 0),
            "retry_delay": _plain(msg.retry_delay, 0),
            "priority": _plain(msg.priority, 0),
            "args": [_plain(arg, 1) for arg in (msg.args or ())],
            "kwargs": _plain(dict(msg.kwargs or {}), 0),
            "on_complete": self._encode_optional(msg.on_complete),
            "on_error": self._encode_optional(msg.on_error),
            "expires": _encode_expires(msg.expires),
            "expires_resolved": _iso(msg.expires_resolved),
            "timeout": _plain(msg.timeout, 0),
            "chord_config": chord,
            "retry_backoff": _plain(msg.retry_backoff, 0),
        }

    def _encode_optional(self, msg: Message | None) -> dict[str, Any] | None:
        return None if msg is None else self._encode_message(msg)

    # -- reading ---------------------------------------------------------------------------

    def decode(self, data: Any) -> Any:
        raw = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else b""
        try:
            return self._parse(raw)
        except RejectedMessage as exc:
            self.rejections.record(str(exc), len(raw))
            logger.warning(
                "rejected queue message (%d bytes, starts %r): %s", len(raw), raw[:24], exc
            )
            raise

    def _parse(self, raw: bytes) -> Any:
        if not raw:
            raise RejectedMessage("empty or non-bytes payload")
        if len(raw) > MAX_MESSAGE_BYTES:
            raise RejectedMessage("payload too large")
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise RejectedMessage("not JSON") from None
        if not isinstance(body, dict) or body.get("v") != FORMAT_VERSION:
            raise RejectedMessage("not a versioned governance message")
        if body.get("type") == "message" and set(body) == {"v", "type", "message"}:
            return self._decode_message(body["message"])
        if body.get("type") == "data" and set(body) == {"v", "type", "data"}:
            return _decode_value(body["data"], 0)
        raise RejectedMessage("unknown message type")

    def _decode_message(self, obj: Any) -> Message:
        if not isinstance(obj, dict) or set(obj) != _MESSAGE_KEYS:
            raise RejectedMessage("wrong message shape")
        task = obj["task"]
        if not isinstance(task, str) or task not in self.task_names:
            raise RejectedMessage(f"unknown task {str(task)[:40]!r}")
        args, kwargs = obj["args"], obj["kwargs"]
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise RejectedMessage("args must be a list and kwargs an object")
        _check_plain(args, 0)
        _check_plain(kwargs, 0)
        chord = obj["chord_config"]
        if chord is not None:
            if not (isinstance(chord, list) and len(chord) == 4):
                raise RejectedMessage("bad field 'chord_config'")
            chord = ChordConfig(
                _typed(chord[0], str, "chord_config"),
                _typed(chord[1], int, "chord_config"),
                _typed(chord[2], int, "chord_config"),
                self._decode_message(chord[3]),
            )
        return Message(
            id=_typed(obj["id"], str, "id"),
            name=f"{TASK_NAMESPACE}.{task}",
            eta=_parse_iso(obj["eta"], "eta"),
            retries=_typed(obj["retries"], int, "retries"),
            retry_delay=_number(obj["retry_delay"], "retry_delay"),
            priority=_number(obj["priority"], "priority"),
            args=tuple(args),
            kwargs=kwargs,
            on_complete=self._decode_optional(obj["on_complete"]),
            on_error=self._decode_optional(obj["on_error"]),
            expires=_decode_expires(obj["expires"]),
            expires_resolved=_parse_iso(obj["expires_resolved"], "expires_resolved"),
            timeout=_number(obj["timeout"], "timeout"),
            chord_config=chord,
            retry_backoff=_number(obj["retry_backoff"], "retry_backoff"),
        )

    def _decode_optional(self, obj: Any) -> Message | None:
        return None if obj is None else self._decode_message(obj)


_MESSAGE_KEYS = frozenset(
    {
        "id",
        "task",
        "eta",
        "retries",
        "retry_delay",
        "priority",
        "args",
        "kwargs",
        "on_complete",
        "on_error",
        "expires",
        "expires_resolved",
        "timeout",
        "chord_config",
        "retry_backoff",
    }
)


def _plain(value: Any, depth: int) -> Any:
    """`value` as JSON (tuples become lists); UnsafeMessage for anything not plain."""
    if depth > _MAX_DEPTH:
        raise UnsafeMessage("value nested too deeply")
    if isinstance(value, float) and not math.isfinite(value):
        raise UnsafeMessage("non-finite float")
    if isinstance(value, _PLAIN_SCALARS):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item, depth + 1) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _plain(item, depth + 1) for key, item in value.items()}
    raise UnsafeMessage(f"{type(value).__name__} is not a plain JSON value")


def _check_plain(value: Any, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise RejectedMessage("value nested too deeply")
    if isinstance(value, list):
        for item in value:
            _check_plain(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _check_plain(item, depth + 1)


def _encode_value(value: Any, depth: int) -> Any:
    """Key/value data (locks, revocations): plain values plus tagged datetimes."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, list | tuple) and depth <= _MAX_DEPTH:
        return [_encode_value(item, depth + 1) for item in value]
    return _plain(value, depth)


def _decode_value(value: Any, depth: int) -> Any:
    _check_plain(value, depth)
    if isinstance(value, dict) and set(value) == {"$datetime"}:
        return _parse_iso(value["$datetime"], "data")
    if isinstance(value, list):
        return [_decode_value(item, depth + 1) for item in value]
    return value


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise UnsafeMessage("expected a datetime")
    return value.isoformat()


def _parse_iso(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise RejectedMessage(f"bad field {field!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise RejectedMessage(f"bad field {field!r}") from None


def _encode_expires(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, timedelta):
        return {"seconds": value.total_seconds()}
    return _plain(value, 0) if isinstance(value, int | float | type(None)) else _bad(value)


def _decode_expires(value: Any) -> datetime | timedelta | float | None:
    if isinstance(value, dict) and set(value) == {"datetime"}:
        return _parse_iso(value["datetime"], "expires")
    if isinstance(value, dict) and set(value) == {"seconds"}:
        return timedelta(seconds=_number(value["seconds"], "expires") or 0.0)
    return _number(value, "expires")


def _bad(value: Any) -> Any:
    raise UnsafeMessage(f"{type(value).__name__} is not a plain JSON value")


def _typed(value: Any, kind: type, field: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise RejectedMessage(f"bad field {field!r}")
    return value


def _number(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RejectedMessage(f"bad field {field!r}")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")
