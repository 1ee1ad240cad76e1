"""Mutations of valid workflow files that know the JSON path they break, and path helpers.

"Names its path" means: ``ValidationError.path`` equals ``json_path(segments)``, the notation of
docs/workflow-format.md ("Error messages"): ``actions[2].type``, keys that are not short
identifiers as ``['a b']`` (Python quoting, cut to 40 characters with "…"), ``(root)`` for
the whole file; malformed JSON gives ``line L column C``.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.helpers.fuzz_strategies import (
    CONDITION_FIELDS,
    KNOWN_KEYS,
    MAX_DEPTH,
    OPS,
    REFUSED_PATTERNS,
    STATUSES,
    USERS,
    any_text,
    bad_placeholder,
    definitions,
    leaves,
    long_text,
    scalars,
)

Segment = str | int
Path = tuple[Segment, ...]


# --- paths -------------------------------------------------------------------------------


def _short(key: str) -> str:
    """The key quoted; if that is over 40 characters, its longest prefix that fits in 39, + …"""
    if len(repr(key)) <= 40:
        return repr(key)
    prefix = next(key[:n] for n in range(min(len(key), 37), -1, -1) if len(repr(key[:n])) <= 39)
    return repr(prefix) + "…"


def json_path(segments: Path) -> str:
    """The documented notation for a path (see the module docstring)."""
    text = ""
    for seg in segments:
        if isinstance(seg, int):
            text += f"[{seg}]"
        elif len(seg) <= 40 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", seg):
            text += "." + seg
        else:
            text += f"[{_short(seg)}]"
    return text.removeprefix(".") or "(root)"


def parse_path(text: str) -> list[tuple[Segment, bool]]:
    """Read a path back: ``[(segment, shortened)]``; raises ValueError if it is not one."""
    if text == "(root)":
        return []
    out: list[tuple[Segment, bool]] = []
    i = 0
    while i < len(text):
        if text[i] == "[" and text[i + 1 : i + 2].isdigit():
            end = text.index("]", i)
            out.append((int(text[i + 1 : end]), False))
            i = end + 1
        elif text[i] == "[":
            quote, j = text[i + 1], i + 2
            while text[j] != quote:
                j += 2 if text[j] == "\\" else 1
            key = ast.literal_eval(text[i + 1 : j + 1])
            cut = text.startswith("…", j + 1)
            j += 2 if cut else 1
            if text[j] != "]":
                raise ValueError(f"bad path {text!r}")
            out.append((key, cut))
            i = j + 1
        else:
            if text[i] == ".":
                if not out:
                    raise ValueError(f"bad path {text!r}")
                i += 1
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
            if m is None:
                raise ValueError(f"bad path {text!r}")
            out.append((m.group(), False))
            i = m.end()
    return out


def path_resolves(data: object, text: str) -> bool:
    """True if path ``text`` walks into ``data`` (its last segment may be a missing key)."""
    node = data
    segments = parse_path(text)
    for n, (seg, cut) in enumerate(segments):
        last = n == len(segments) - 1
        if isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            node = node[seg]
        elif isinstance(node, dict) and isinstance(seg, str):
            keys = [k for k in node if (k.startswith(seg) if cut else k == seg)]
            if keys:
                node = node[keys[0]]
            elif not (last and not cut):
                return False
        else:
            return False
    return True


def walk(data: object, path: Path = ()) -> Iterator[tuple[Path, object]]:
    """Every node of ``data`` with its path, parents first."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from walk(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from walk(v, (*path, i))


def get(data: Any, path: Path) -> Any:
    for seg in path:
        data = data[seg]
    return data


def put(data: Any, path: Path, value: Any) -> Any:
    """``data`` with the node at ``path`` replaced (a copy; the root if ``path`` is empty)."""
    if not path:
        return value
    data = copy.deepcopy(data)
    get(data, path[:-1])[path[-1]] = value
    return data


def leaf_value_path(data: object, path: Path) -> Path | None:
    """If ``path`` is a condition leaf's ``value`` or inside it, the path of that ``value``."""
    if not path or path[0] != "conditions":
        return None
    for n in range(1, len(path) + 1):
        if path[n - 1] == "value" and isinstance(get(data, path[: n - 1]), dict):
            parent = get(data, path[: n - 1])
            if "field" in parent or "op" in parent:
                return path[:n]
    return None


# --- mutations ---------------------------------------------------------------------------------


@dataclass
class Mutation:
    """A broken file: the data, the mutated path, what was done, the path a rejection names.

    ``must_fail`` is False where the change may still be valid (e.g. null for an optional key,
    another scalar as a condition value).
    """

    data: Any
    kind: str
    at: Path
    expected: Path
    must_fail: bool = True
    extra_key_ok: bool = False  # a replaced object may be reported one key deeper


REPLACEMENTS: list[Any] = [None, True, False, 0, -1, 1.5, "x", "", [], [1], {}, {"k": "v"}]


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


@st.composite
def wrong_type(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    nodes = list(walk(data))
    at, old = draw(st.sampled_from(nodes))
    new = draw(st.sampled_from([r for r in REPLACEMENTS if _json_kind(r) != _json_kind(old)]))
    inside_value = leaf_value_path(data, at)
    return Mutation(
        put(data, at, new),
        "wrong_type",
        at,
        inside_value or at,
        must_fail=False,
        extra_key_ok=isinstance(new, dict),
    )


def _dicts(data: object) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, n) for p, n in walk(data) if isinstance(n, dict)]


@st.composite
def unknown_key(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    at, node = draw(st.sampled_from(_dicts(data)))
    key = draw(
        (
            any_text
            | long_text(100_000, 110_000)
            | st.sampled_from(["__class__", "colour", "a b", "$ref"])
        ).filter(lambda k: k not in KNOWN_KEYS and k not in node)
    )
    value = draw(st.none() | scalars | st.lists(st.integers(), max_size=2))
    changed = copy.deepcopy(data)
    get(changed, at)[key] = value
    return Mutation(changed, "unknown_key", (*at, key), (*at, key))


_ACTION_REQUIRED = {
    "set_status": ["status"],
    "notify": ["users", "title"],
    "assign": ["user"],
    "create_task": ["title"],
    "approval": ["approvers"],
}


def required_keys(at: Path, node: dict[str, Any]) -> list[tuple[str, bool]]:
    """Keys of ``node`` that must be present, and whether losing it is reported on ``node``."""
    if at == ():
        return [(k, False) for k in ("schema_version", "name", "trigger", "actions")]
    if at == ("trigger",):
        return [("type", False)] + ([("cron", False)] if node.get("type") == "on_schedule" else [])
    if len(at) == 2 and at[0] == "actions":
        return [("type", False)] + [(k, False) for k in _ACTION_REQUIRED[node["type"]]]
    if at[-1] == "rule":
        return [("at_least", False)]
    if at[0] == "conditions":
        for group in ("all", "any", "not"):
            if group in node:
                return [(group, True)]
        needed = ["field", "op"] + ([] if node["op"] == "is_null" else ["value"])
        return [(k, False) for k in needed]
    return []


@st.composite
def missing_key(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    options = [
        (at, key, on_node)
        for at, node in _dicts(data)
        for key, on_node in required_keys(at, node)
        if key in node
    ]
    at, key, on_node = draw(st.sampled_from(options))
    changed = copy.deepcopy(data)
    del get(changed, at)[key]
    return Mutation(changed, "missing_key", (*at, key), at if on_node else (*at, key))


def _strings(data: object) -> list[Path]:
    return [p for p, n in walk(data) if isinstance(n, str)]


@st.composite
def huge_string(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    at = draw(st.sampled_from(_strings(data)))
    inside_value = leaf_value_path(data, at)
    new = draw(long_text(100_000, 150_000))
    # Only a condition's eq/ne/in/not_in/contains value may be that long.
    return Mutation(
        put(data, at, new), "huge_string", at, inside_value or at, must_fail=not inside_value
    )


@st.composite
def lone_surrogate(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    surrogate = draw(st.characters(categories=("Cs",)))
    if draw(st.booleans()):
        at = draw(st.sampled_from(_strings(data)))
        old: str = get(data, at)
        pos = draw(st.integers(0, len(old)))
        return Mutation(put(data, at, old[:pos] + surrogate + old[pos:]), "surrogate", at, at)
    parent, _node = draw(st.sampled_from(_dicts(data)))
    key = "x" + surrogate
    changed = copy.deepcopy(data)
    get(changed, parent)[key] = 1
    return Mutation(changed, "surrogate_key", (*parent, key), (*parent, key))


@st.composite
def nul(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    """A NUL in any string or key: refused (PostgreSQL cannot store it), at its path."""
    if draw(st.booleans()):
        at = draw(st.sampled_from(_strings(data)))
        old: str = get(data, at)
        pos = draw(st.integers(0, len(old)))
        return Mutation(put(data, at, old[:pos] + "\x00" + old[pos:]), "nul", at, at)
    parent, _node = draw(st.sampled_from(_dicts(data)))
    key = "x\x00"
    changed = copy.deepcopy(data)
    get(changed, parent)[key] = 1
    return Mutation(changed, "nul_key", (*parent, key), (*parent, key))


_TEXT_KEYS = {"title", "body", "description"}


@st.composite
def placeholder_attack(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    spots = [p for p in _strings(data) if len(p) == 3 and p[0] == "actions" and p[2] in _TEXT_KEYS]
    if not spots:
        data = copy.deepcopy(data)
        data["actions"].append({"type": "notify", "users": ["alice"], "title": "x"})
        spots = [("actions", len(data["actions"]) - 1, "title")]
    at = draw(st.sampled_from(spots))
    old: str = get(data, at)
    pos = draw(st.sampled_from([0, len(old)]))  # never splits an existing {policy.x}
    evil = draw(bad_placeholder)
    return Mutation(put(data, at, old[:pos] + evil + old[pos:]), "placeholder", at, at)


@st.composite
def regex_attack(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    bad = draw(st.sampled_from(REFUSED_PATTERNS))
    field = draw(st.sampled_from(CONDITION_FIELDS))
    others = draw(st.lists(leaves(), max_size=3))
    pos = draw(st.integers(0, len(others)))
    items = [*others[:pos], {"field": field, "op": "matches", "value": bad}, *others[pos:]]
    changed = {**data, "conditions": {"all": items}}
    at: Path = ("conditions", "all", pos, "value")
    return Mutation(changed, "regex", at, at)


@st.composite
def deep_nesting(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    """A chain of all/any/not hundreds of levels deep, in place of the conditions."""
    kinds = draw(st.lists(st.sampled_from(["all", "any", "not"]), min_size=40, max_size=800))
    node: Any = {"field": "title", "op": "eq", "value": "x"}
    for kind in reversed(kinds):
        node = {kind: node} if kind == "not" else {kind: [node]}
    segments: list[Segment] = ["conditions"]
    for kind in kinds:
        segments += [kind] if kind == "not" else [kind, 0]
    changed = {**data, "conditions": node}
    # The first container deeper than 32 levels sits 32 segments below the root.
    return Mutation(changed, "deep", tuple(segments), tuple(segments[:MAX_DEPTH]))


@st.composite
def bad_value(draw: st.DrawFn, data: dict[str, Any]) -> Mutation:
    """A value of the right type but out of its set or range."""
    changed = copy.deepcopy(data)
    choice = draw(
        st.sampled_from(
            [
                "schema",
                "status",
                "due",
                "user",
                "at_least",
                "dup",
                "many",
                "op",
                "field",
                "cron",
                "type",
            ]
        )
    )
    i = len(changed["actions"])
    if choice == "schema":
        changed["schema_version"] = draw(st.sampled_from([0, 2, -1, 10**30]))
        return Mutation(changed, "bad_value", ("schema_version",), ("schema_version",))
    if choice == "status":
        changed["actions"].append(
            {"type": "set_status", "status": draw(any_text.filter(lambda s: s not in STATUSES))}
        )
        return Mutation(changed, "bad_value", ("actions", i, "status"), ("actions", i, "status"))
    if choice == "due":
        due = draw(st.integers(max_value=-1) | st.integers(min_value=3651))
        changed["actions"].append({"type": "create_task", "title": "t", "due_in_days": due})
        return Mutation(
            changed, "bad_value", ("actions", i, "due_in_days"), ("actions", i, "due_in_days")
        )
    if choice == "user":
        bad = draw(
            st.just("")
            | st.just("Z" * 65)
            | any_text.filter(lambda s: not re.fullmatch(r"[A-Za-z0-9._@-]+", s))
        )
        changed["actions"].append({"type": "assign", "user": bad})
        return Mutation(changed, "bad_value", ("actions", i, "user"), ("actions", i, "user"))
    if choice == "at_least":
        n = draw(st.integers(1, 4))
        changed["actions"].append(
            {
                "type": "approval",
                "approvers": USERS[:n],
                "rule": {"at_least": draw(st.integers(n + 1, 10**40))},
            }
        )
        return Mutation(changed, "bad_value", ("actions", i, "rule"), ("actions", i, "rule"))
    if choice == "dup":
        changed["actions"].append({"type": "approval", "approvers": ["alice", "bob", "alice"]})
        return Mutation(
            changed, "bad_value", ("actions", i, "approvers"), ("actions", i, "approvers")
        )
    if choice == "many":
        changed["actions"] = changed["actions"] * 51
        return Mutation(changed, "bad_value", ("actions",), ("actions",))
    if choice in ("op", "field"):
        leaf = {"field": "title", "op": "eq", "value": "x"}
        leaf[choice] = draw(any_text.filter(lambda s: s not in OPS + CONDITION_FIELDS))
        changed["conditions"] = {"not": leaf}
        return Mutation(
            changed, "bad_value", ("conditions", "not", choice), ("conditions", "not", choice)
        )
    if choice == "cron":
        changed["trigger"] = {
            "type": "on_schedule",
            "cron": draw(
                st.sampled_from(
                    [
                        "61 * * * *",
                        "* * * *",
                        "@daily",
                        "0 0 30 2 *",
                        "*/0 * * * *",
                        "5-1 * * * *",
                        "0 0 * JAN *",
                        "١ * * * *",
                        "x" * 300,
                    ]
                )
            ),
        }
        return Mutation(changed, "bad_value", ("trigger", "cron"), ("trigger", "cron"))
    changed["trigger"] = {
        "type": draw(
            any_text.filter(
                lambda s: (
                    s not in ("on_create", "on_update", "on_status_change", "on_schedule", "manual")
                )
            )
        )
    }
    return Mutation(changed, "bad_value", ("trigger", "type"), ("trigger", "type"))


MUTATORS: list[Callable[[dict[str, Any]], st.SearchStrategy[Mutation]]] = [
    wrong_type,
    unknown_key,
    missing_key,
    huge_string,
    lone_surrogate,
    nul,
    placeholder_attack,
    regex_attack,
    deep_nesting,
    bad_value,
]


@st.composite
def mutations(draw: st.DrawFn, kinds: list[Callable[..., Any]] | None = None) -> Mutation:
    """A valid definition broken by one mutator (any of them unless ``kinds`` is given)."""
    data = draw(definitions())
    mutator = draw(st.sampled_from(kinds or MUTATORS))
    return draw(mutator(data))
