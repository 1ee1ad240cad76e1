"""Hypothesis strategies for hostile workflow files, shared by the fuzz tests.

``definitions()`` draws valid files (every trigger, every op in nested all/any/not, every
action). ``mutations()`` breaks one of them at a place it knows and returns the JSON path a
rejection must name. The format's names are written out here from docs/workflow-format.md, not
imported, so a change to the code cannot silently change what the tests expect.

"Names its path" means: ``ValidationError.path`` equals ``json_path(segments)``, the notation of
docs/workflow-format.md ("Error messages"): ``actions[2].type``, keys that are not short
identifiers as ``['a b']`` (Python quoting, cut to 40 characters with "…"), ``(root)`` for
the whole file; malformed JSON gives ``line L column C``.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Segment = str | int
Path = tuple[Segment, ...]

#: Examples actually run, per test (each fuzz test bumps its own entry).
RUNS: Counter[str] = Counter()


def report(config: Any, ran: dict[str, int]) -> None:
    """Print the cases run per test on the terminal (past pytest's output capture)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for name, count in ran.items():
            reporter.write_line(f"fuzz cases run: {name}: {count}")
        reporter.write_line(f"fuzz cases run: total: {sum(ran.values())}")


STATUSES = ["draft", "in_review", "awaiting_approval", "approved", "published", "retired"]
POLICY_FIELDS = [
    "code",
    "title",
    "body",
    "status",
    "owner",
    "assignee",
    "review_interval_days",
    "next_review_date",
    "version",
    "created_by",
    "updated_by",
]
CONDITION_FIELDS = [*POLICY_FIELDS, "old_status"]
STATUS_FIELDS = {"status", "old_status"}
PLACEHOLDERS = [
    "code",
    "title",
    "status",
    "owner",
    "assignee",
    "next_review_date",
    "version",
    "review_interval_days",
]
OPS = ["eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "is_null", "matches"]
#: Users the service tests create; usernames are 1-64 of letters, digits, . _ @ -.
USERS = ["alice", "bob", "carol", "d.e-f_g@h", "Z" * 64]
MAX_DEPTH = 32
KNOWN_KEYS = {
    "schema_version",
    "name",
    "description",
    "entity_type",
    "enabled",
    "trigger",
    "conditions",
    "actions",
    "allow_triggered_by_workflows",
    "allow_self_approval",
    "type",
    "fields",
    "from_status",
    "to_status",
    "cron",
    "all",
    "any",
    "not",
    "field",
    "op",
    "value",
    "status",
    "users",
    "title",
    "body",
    "user",
    "assignee",
    "due_in_days",
    "approvers",
    "rule",
    "at_least",
}

# --- text -----------------------------------------------------------------------------------

#: NUL, RTL override and marks, combining marks, BOM, line/paragraph separators, non-BMP, DEL…
ODD = (
    "\x00\x1f\x7f\u202e\u200f\u200b\u0301\u0336\ufeff\u2028\u2029\u3000\ufffd"
    "\U0001f600\U00010348\U0010ffff"
)
CHARS = st.sampled_from(ODD) | st.characters(exclude_categories=("Cs",))
TEXT_CHARS = st.sampled_from(ODD) | st.characters(
    exclude_categories=("Cs",), exclude_characters="{}"
)
plain_text = st.text(TEXT_CHARS, max_size=12)
any_text = st.text(CHARS, max_size=12)
#: Strings that would do something if anything ever eval'd, exec'd or format()'ed them.
EVIL = [
    "__import__('pathlib').Path('{marker}').touch()",
    "exec(\"open('{marker}', 'w').close()\")",
    "{0.__class__.__mro__[1].__subclasses__()}",
    "${{jndi:ldap://x}}",
    "'; DROP TABLE workflows; --",
    "{{7*7}}",
]


LONG_UNITS = ["a", "é", " ", "\x00", "\U0001f600", "ab\u0301", "{", "\u202e"]


def long_text(
    min_size: int, max_size: int, units: list[str] = LONG_UNITS
) -> st.SearchStrategy[str]:
    """A long string (one repeated odd or plain unit), cheap to draw at 100 kB+."""
    unit = st.sampled_from(units)
    return st.builds(
        lambda u, n: (u * (n // len(u) + 1))[:n], unit, st.integers(min_size, max_size)
    )


@dataclass(frozen=True)
class Template:
    """A text with placeholders and the pieces it was built from (to render independently)."""

    pieces: tuple[tuple[str, str], ...]  # ("text", s) | ("open"|"close", "") | ("field", f)

    @property
    def text(self) -> str:
        out = {"open": "{{", "close": "}}"}
        return "".join(
            out.get(kind) or ("{policy." + v + "}" if kind == "field" else v)
            for kind, v in self.pieces
        )

    def rendered(self, values: dict[str, object]) -> str:
        def show(value: object) -> str:
            if value is None:
                return ""
            if isinstance(value, dt.date):
                return value.isoformat()
            return str(value)

        out = {"open": "{", "close": "}"}
        return "".join(
            out.get(kind) or (show(values.get(v)) if kind == "field" else v)
            for kind, v in self.pieces
        )


templates = st.lists(
    st.tuples(st.just("text"), plain_text)
    | st.tuples(st.sampled_from(["open", "close"]), st.just(""))
    | st.tuples(st.just("field"), st.sampled_from(PLACEHOLDERS)),
    max_size=5,
).map(lambda ps: Template(tuple(ps)))
texts = templates.map(lambda t: t.text) | st.builds(
    lambda fill, f: fill + "{policy." + f + "}",
    long_text(1900, 1970, [u for u in LONG_UNITS if u != "{"]),
    st.sampled_from(PLACEHOLDERS),
)

#: Placeholders that reach for attributes, items, conversions, format specs or other names.
BAD_PLACEHOLDERS = [
    "{policy.__class__}",
    "{policy.body.__len__}",
    "{0.__globals__}",
    "{policy.code!r}",
    "{policy.code!s}",
    "{policy.code:>10}",
    "{policy.code:{policy.title}}",
    "{policy.title.__init__.__globals__[os]}",
    "{policy.__class__.__mro__[1].__subclasses__()}",
    "{policy[code]}",
    "{policy.body}",
    "{policy.CODE}",
    "{ policy.code}",
    "{policy.code }",
    "{policy.code\x00}",
    "{policy.\u0441ode}",  # Cyrillic es
    "{policy.code.upper}",
    "{policy}",
    "{}",
    "{0}",
    "{__import__('os').system('id')}",
    "{",
    "}",
    "{policy.code",
    "policy.code}",
    "{{policy.code}",
    "{policy.{code}}",
]
bad_placeholder = st.sampled_from(BAD_PLACEHOLDERS) | st.builds(
    lambda name: "{" + name + "}",
    st.text(TEXT_CHARS, max_size=20).filter(lambda s: s[7:] not in PLACEHOLDERS),
)

# --- regular expressions ---------------------------------------------------------------------

#: Valid in RE2, catastrophic for a backtracking engine.
BACKTRACKING = [
    "(a+)+$",
    "^(a+)+$",
    "(a|aa)*b",
    "(a*)*b",
    "(a|a)*c",
    "((a+)*)+b",
    "(x+x+)+y",
    "(.*a){20}",
    "^(([a-z])+.)+[A-Z]([a-z])+$",
    "(\\w+\\s?)*$",
    "(?i)(A+)+B",
    "^(\\d+)*\\.$",
    "(.*){1,100}[bc]",
    "(?s)(.*?,){11}P",
]
#: Refused by RE2 (back-references, look-around) or by our limits.
REFUSED_PATTERNS = [
    "(a)\\1",
    "(a+)+\\1",
    "(?=a)a",
    "(?!a)b",
    "(?<=a)b",
    "(?<!a)b",
    "(?P<n>a)(?P=n)",
    "a{1001}",
    "((a{1000}){1000}){1000}",
    "[z-a]",
    "(",
    ")",
    "\\",
    "*",
    "a**",
    "\\p{Nope}",
    "(?P<\n>a)",
    "(?P<x\u202e>a)",
    "\\8",
    "x" * 501,
    "(a|b" * 100,
]


@st.composite
def regexes(draw: st.DrawFn, depth: int = 3) -> str:
    """A random pattern RE2 accepts (groups, alternation, classes, repetition)."""
    atom = st.sampled_from(
        ["a", "b", "x", "é", "\U0001f600", ".", "\\d", "\\w", "\\s", "[a-z]", "[^b]", "\\."]
    )
    if depth == 0 or draw(st.booleans()):
        return draw(atom)
    kind = draw(st.sampled_from(["cat", "alt", "star", "plus", "opt", "rep"]))
    left = draw(regexes(depth - 1))
    if kind == "cat":
        return left + draw(regexes(depth - 1))
    if kind == "alt":
        return f"(?:{left}|{draw(regexes(depth - 1))})"
    if kind == "rep":
        low = draw(st.integers(0, 5))
        return f"(?:{left}){{{low},{low + draw(st.integers(0, 5))}}}"
    return f"({left}){ {'star': '*', 'plus': '+', 'opt': '?'}[kind] }"


patterns = st.sampled_from(BACKTRACKING) | regexes() | regexes().map(lambda p: f"^{p}$")
#: Subjects that make backtracking engines explode: long runs with a spoiler at the end.
subjects = st.builds(
    lambda unit, n, tail: unit * n + tail,
    st.sampled_from(["a", "x", "ab", "aa", "1", "\U0001f600", "a,"]),
    st.sampled_from([0, 30, 1000, 100_000, 1_000_050]),
    st.sampled_from(["", "!", "b", "y", "\ud800", "\x00"]),
)

# --- values --------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
numbers = st.integers(-(10**20), 10**20) | finite | st.sampled_from([10**4000, -(10**299), 0])
scalars = any_text | numbers | st.booleans()
huge = long_text(100_000, 120_000)
iso_dates = st.dates().map(dt.date.isoformat) | st.builds(
    lambda d, tz: d.replace(tzinfo=tz).isoformat(),
    st.datetimes(),
    st.none() | st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m))),
)


def _value_for(field: str, op: str) -> st.SearchStrategy[Any]:
    status = field in STATUS_FIELDS
    scalar = st.sampled_from(STATUSES) if status else scalars
    if op in ("eq", "ne"):
        return scalar
    if op in ("in", "not_in"):
        return st.lists(scalar, max_size=4)
    if op == "contains":
        return any_text
    if op in ("gt", "gte", "lt", "lte"):
        return numbers.filter(lambda v: not isinstance(v, bool)) | iso_dates
    if op == "is_null":
        return st.booleans()
    return patterns


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(CONDITION_FIELDS))
    op = draw(st.sampled_from(OPS))
    leaf: dict[str, Any] = {"field": field, "op": op}
    if op != "is_null" or draw(st.booleans()):
        leaf["value"] = draw(_value_for(field, op))
    return leaf


def _groups(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(inner, min_size=1, max_size=4).map(lambda xs: {"all": xs})
        | st.lists(inner, min_size=1, max_size=4).map(lambda xs: {"any": xs})
        | inner.map(lambda x: {"not": x})
    )


@st.composite
def deep_valid_condition(draw: st.DrawFn) -> dict[str, Any]:
    """A chain of all/any/not as deep as the 32-level limit allows (leaf depth ≤ 31)."""
    node: Any = draw(leaves())
    budget = 27  # root (1) + conditions (1) + leaf value list (1) + chain ≤ 31
    while budget > 0:
        kind = draw(st.sampled_from(["all", "any", "not"]))
        cost = 1 if kind == "not" else 2
        if cost > budget:
            break
        node = {kind: node} if kind == "not" else {kind: [node]}
        budget -= cost
    return node  # type: ignore[no-any-return]


def depth(node: object) -> int:
    """Nesting of containers in ``node`` (a scalar is 0)."""
    if isinstance(node, dict):
        return 1 + max((depth(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((depth(v) for v in node), default=0)
    return 0


conditions = (
    st.recursive(leaves(), _groups, max_leaves=6).filter(lambda c: depth(c) <= 30)
    | deep_valid_condition()
)

# --- triggers and actions ------------------------------------------------------------------------


def _cron_field(low: int, high: int) -> st.SearchStrategy[str]:
    pair = st.tuples(st.integers(low, high), st.integers(low, high))
    span = pair.map(lambda ab: f"{min(ab)}-{max(ab)}")
    step = st.tuples(st.just("*") | span, st.integers(1, high - low + 1)).map(
        lambda t: f"{t[0]}/{t[1]}"
    )
    item = st.integers(low, high).map(str) | span | step
    return st.just("*") | st.lists(item, min_size=1, max_size=3).map(",".join)


crons = st.builds(
    lambda parts, sep: sep.join(parts),
    st.tuples(
        _cron_field(0, 59),
        _cron_field(0, 23),
        _cron_field(1, 28),
        _cron_field(1, 12),
        _cron_field(0, 7),
    ),
    st.sampled_from([" ", "  ", "\t", " \u3000 "]),
)


def _maybe(d: dict[str, Any], key: str, draw: st.DrawFn, values: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        d[key] = draw(values)


@st.composite
def triggers(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["on_create", "on_update", "on_status_change", "on_schedule", "manual"])
    )
    trig: dict[str, Any] = {"type": kind}
    if kind == "on_update":
        _maybe(
            trig, "fields", draw, st.lists(st.sampled_from(POLICY_FIELDS), min_size=1, max_size=5)
        )
    elif kind == "on_status_change":
        _maybe(trig, "from_status", draw, st.sampled_from(STATUSES))
        _maybe(trig, "to_status", draw, st.sampled_from(STATUSES))
    elif kind == "on_schedule":
        trig["cron"] = draw(crons)
    return trig


users = st.sampled_from(USERS)
days = st.integers(0, 3650)


@st.composite
def actions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["set_status", "notify", "assign", "create_task", "approval"]))
    act: dict[str, Any] = {"type": kind}
    if kind == "set_status":
        act["status"] = draw(st.sampled_from(STATUSES))
    elif kind == "notify":
        act["users"] = draw(st.lists(users, min_size=1, max_size=6))
        act["title"] = draw(texts)
        _maybe(act, "body", draw, texts)
    elif kind == "assign":
        act["user"] = draw(users)
    elif kind == "create_task":
        act["title"] = draw(texts)
        _maybe(act, "description", draw, texts)
        _maybe(act, "assignee", draw, users)
        _maybe(act, "due_in_days", draw, days)
    else:
        approvers = draw(st.lists(users, min_size=1, max_size=5, unique=True))
        act["approvers"] = approvers
        _maybe(
            act,
            "rule",
            draw,
            st.sampled_from(["all", "any"])
            | st.integers(1, len(approvers)).map(lambda n: {"at_least": n}),
        )
        _maybe(act, "due_in_days", draw, days)
        _maybe(act, "title", draw, texts)
    return act


names = (
    st.text(CHARS, min_size=1, max_size=60).filter(lambda s: s.strip() != "")
    | long_text(200, 200).filter(lambda s: s.strip() != "")
    | st.sampled_from([e.replace("{marker}", "MARKER") for e in EVIL])
)


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid workflow file as decoded JSON (keys in the documented order)."""
    data: dict[str, Any] = {"schema_version": 1, "name": draw(names)}
    _maybe(data, "description", draw, texts)
    _maybe(data, "entity_type", draw, st.just("policy"))
    _maybe(data, "enabled", draw, st.booleans())
    data["trigger"] = draw(triggers())
    _maybe(data, "conditions", draw, st.none() | conditions)
    if draw(st.integers(0, 9)) == 0:  # now and then a 100 kB+ value where one is allowed
        op = draw(st.sampled_from(["eq", "ne", "contains", "in", "not_in"]))
        big = draw(huge)
        leaf = {"field": "body", "op": op, "value": [big] if op.endswith("in") else big}
        data["conditions"] = (
            {"all": [leaf]}
            if data.get("conditions") is None
            else {"any": [data["conditions"], leaf]}
        )
    data["actions"] = draw(st.lists(actions(), min_size=1, max_size=3))
    _maybe(data, "allow_triggered_by_workflows", draw, st.booleans())
    _maybe(data, "allow_self_approval", draw, st.booleans())
    return data


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
