"""Hypothesis strategies for hostile workflow files, shared by the fuzz tests.

``definitions()`` draws valid files (every trigger, every op in nested all/any/not, every
action); ``fuzz_mutations`` breaks them. The format's names are written out here from
docs/workflow-format.md, not imported, so a change to the code cannot silently change what
the tests expect.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Segment = str | int
Path = tuple[Segment, ...]

#: Examples actually run, per test (each fuzz test bumps its own entry).
RUNS: Counter[str] = Counter()


def check_targets(config: Any, targets: dict[str, int]) -> None:
    """Report the cases each test ran; fail if one that ran fell short of its target."""
    ran = {name: RUNS[name] for name in targets if name in RUNS}
    report(config, ran)
    short = {k: v for k, v in ran.items() if v < targets[k]}
    assert not short, f"fewer cases than targeted: {short}"


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

#: RTL override and marks, combining marks, BOM, line/paragraph separators, non-BMP, DEL…
#: Not NUL: no text field may hold it (PostgreSQL cannot); ``fuzz_mutations.nul`` puts it in.
ODD = (
    "\x1f\x7f\u202e\u200f\u200b\u0301\u0336\ufeff\u2028\u2029\u3000\ufffd"
    "\U0001f600\U00010348\U0010ffff"
)
CHARS = st.sampled_from(ODD) | st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TEXT_CHARS = st.sampled_from(ODD) | st.characters(
    exclude_categories=("Cs",), exclude_characters="{}\x00"
)
#: What a workflow name may hold: printable (combining marks, emoji, CJK…), no invisible or
#: bidi control characters (domain.text.check_name).
NAME_CHARS = st.sampled_from("\u0301\u0336\ufffd\U0001f600\U00010348 ") | st.characters(
    categories=("L", "M", "N", "P", "S")
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


LONG_UNITS = ["a", "é", " ", "\x1f", "\U0001f600", "ab\u0301", "{", "\u202e"]
NAME_UNITS = ["a", "é", " ", "\U0001f600", "ab\u0301", "{"]


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
    st.text(NAME_CHARS, min_size=1, max_size=60).filter(lambda s: s.strip() != "")
    | long_text(200, 200, NAME_UNITS).filter(lambda s: s.strip() != "")
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
