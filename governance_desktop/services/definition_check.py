"""Check a workflow definition being edited and report every problem with its JSON path.

``parse_definition`` stops at the first problem. An editor wants one message per field, so
each part (top level, trigger, each condition leaf, each action) is validated on its own
inside a known-good skeleton, and the paths are mapped back to the full definition.

The users a definition names are checked against the directory (``Directory``): each must be
an active user, and the approvers (and escalation user) of an approval step must hold a role
that may answer approvals (docs/authority.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from governance_desktop.domain.authority import Permission, allows, roles_allowed
from governance_desktop.domain.errors import ValidationError
from governance_desktop.domain.workflow.definition import parse_definition

_SKELETON: dict[str, Any] = {
    "schema_version": 1,
    "name": "skeleton",
    "trigger": {"type": "manual"},
    "actions": [{"type": "set_status", "status": "draft"}],
}
_USER_KEYS = {
    "notify": ("users", True),
    "approval": ("approvers", True),
    "assign": ("user", False),
    "create_task": ("assignee", False),
}


@dataclass(frozen=True)
class FieldError:
    """One problem: where (``actions[1].title``) and what, in one line."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _first_error(data: dict[str, Any]) -> ValidationError | None:
    try:
        parse_definition(data)
    except ValidationError as exc:
        return exc
    return None


def _check_part(
    data: dict[str, Any], inner: str, outer: str, out: list[FieldError], seen: set[str]
) -> bool:
    """Validate ``data`` (a skeleton holding one part); map path ``inner`` to ``outer``."""
    exc = _first_error(data)
    if exc is None:
        return True
    path = exc.path
    if path == inner or path.startswith((inner + ".", inner + "[")):
        path = outer + path[len(inner) :]
    if path not in seen:
        seen.add(path)
        out.append(FieldError(path, exc.message))
    return False


def _leaves(node: Any, path: str) -> Iterable[tuple[str, Any]]:
    """Every leaf condition (a dict that is no group) with its path."""
    if not isinstance(node, dict):
        return
    for key in ("all", "any"):
        if key in node and isinstance(node[key], list):
            for i, child in enumerate(node[key]):
                yield from _leaves(child, f"{path}.{key}[{i}]")
            return
    if "not" in node:
        yield from _leaves(node["not"], f"{path}.not")
        return
    yield path, node


@dataclass(frozen=True)
class Directory:
    """Who a definition may name: active users with their roles, and the deactivated ones."""

    roles: Mapping[str, str]  # active username → role
    inactive: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, users: Iterable[Any]) -> Directory:
        """From ``UserInfo``-like rows (username, role, active)."""
        rows = list(users)
        return cls(
            {u.username: u.role for u in rows if u.active},
            frozenset(u.username for u in rows if not u.active),
        )


def _named(actions: list[Any]) -> Iterator[tuple[str, str, bool]]:
    """(path, username, answers approvals) for every user the raw actions name."""
    for i, action in enumerate(actions):
        if not isinstance(action, dict) or action.get("type") not in _USER_KEYS:
            continue
        kind = str(action["type"])
        key, many = _USER_KEYS[kind]
        value = action.get(key)
        names = value if many and isinstance(value, list) else [value]
        for j, name in enumerate(names):
            if isinstance(name, str) and name:
                yield f"actions[{i}].{key}" + (f"[{j}]" if many else ""), name, kind == "approval"
        escalate = action.get("escalate_to") if kind == "approval" else None
        if isinstance(escalate, str) and escalate:
            yield f"actions[{i}].escalate_to", escalate, True


def _user_problem(name: str, approves: bool, directory: Directory) -> str | None:
    role = directory.roles.get(name)
    if role is None:
        if name in directory.inactive:
            return f"user '{name}' is deactivated and cannot be named (rule: active users)"
        return f"unknown user '{name}'"
    if approves and not allows(role, Permission.ANSWER_APPROVALS):
        allowed = " or ".join(roles_allowed(Permission.ANSWER_APPROVALS))
        return f"'{name}' is {role}; only {allowed} may answer approvals (rule: role)"
    return None


def user_problems(actions: Any, directory: Directory | set[str]) -> list[FieldError]:
    """An error for every user an action names who is unknown, deactivated, or (for an
    approval step) holds a role that may not answer approvals. A plain set of names counts
    them all as active approvers."""
    if isinstance(directory, set):
        directory = Directory(dict.fromkeys(directory, "admin"))
    found: list[FieldError] = []
    if not isinstance(actions, list):
        return found
    for path, name, approves in _named(actions):
        problem = _user_problem(name, approves, directory)
        if problem is not None:
            found.append(FieldError(path, problem))
    return found


def check_definition(
    data: dict[str, Any], known_users: Directory | set[str] | None
) -> list[FieldError]:
    """Every problem found in ``data``; empty when it would import (users checked if given)."""
    out: list[FieldError] = []
    seen: set[str] = set()
    top = {k: v for k, v in data.items() if k not in ("trigger", "conditions", "actions")}
    top["trigger"] = _SKELETON["trigger"]
    top["actions"] = _SKELETON["actions"]
    if "actions" in data and not (isinstance(data["actions"], list) and data["actions"]):
        top["actions"] = data["actions"]
    _check_part(top, "", "", out, seen)
    if "trigger" in data:
        _check_part({**_SKELETON, "trigger": data["trigger"]}, "trigger", "trigger", out, seen)
    conditions = data.get("conditions")
    if conditions is not None:
        leaves_ok = True
        for path, leaf in _leaves(conditions, "conditions"):
            probe = {**_SKELETON, "conditions": leaf}
            leaves_ok = _check_part(probe, "conditions", path, out, seen) and leaves_ok
        if leaves_ok:
            probe = {**_SKELETON, "conditions": conditions}
            _check_part(probe, "conditions", "conditions", out, seen)
    actions = data.get("actions")
    if isinstance(actions, list):
        for i, action in enumerate(actions):
            probe = {**_SKELETON, "actions": [action]}
            _check_part(probe, "actions[0]", f"actions[{i}]", out, seen)
        if known_users is not None:
            out.extend(e for e in user_problems(actions, known_users) if e.path not in seen)
    if not out:
        _check_part(data, "", "", out, seen)  # anything only the whole file shows
    return out
