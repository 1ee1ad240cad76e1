"""Hostile workflow files (issue 5, item 3): generated files, valid and broken, never crash.

Properties, each over thousands of generated cases (counted in ``fz.RUNS``, checked at the end
of the module against ``TARGETS``, and printed):
- parsing raises nothing but ``ValidationError``, whose text is one printable line;
- a rejection names the JSON path the mutation broke (see ``fuzz_mutations`` for the exact
  notation); for arbitrary bytes the path is ``(root)``, ``line L column C`` or walks into the
  decoded JSON;
- a valid file round-trips: parse(export(parse(x))) == parse(x), and the export is UTF-8;
- conditions and placeholders run no code: while they are checked, evaluated and rendered, an
  audit hook sees no eval/exec/compile of a string and no process start, a marker file that
  the hostile text would create stays absent, and only allow-listed fields are read.
Regular expressions with catastrophic backtracking run against 1 MB subjects and must finish
(RE2 is linear); hypothesis' deadline is generous (10 s) and there is no timed assert.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from governance_desktop.domain.errors import ValidationError
from governance_desktop.domain.workflow.conditions import evaluate, explain
from governance_desktop.domain.workflow.definition import (
    WorkflowDefinition,
    definition_to_json,
    parse_definition,
    parse_definition_json,
)
from governance_desktop.domain.workflow.placeholders import (
    PLACEHOLDER_FIELDS,
    check_template,
    render,
)
from tests.helpers import fuzz_mutations as fm
from tests.helpers import fuzz_strategies as fz

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=dt.timedelta(seconds=10),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)
TARGETS = {
    "test_valid_files_parse_and_round_trip": 800,
    "test_broken_files_are_refused_at_the_broken_path": 1900,
    "test_deeply_nested_text_is_refused": 600,
    "test_arbitrary_bytes_never_crash": 1200,
    "test_conditions_evaluate_to_a_bool_and_run_no_code": 1200,
    "test_backtracking_patterns_finish_on_long_subjects": 500,
    "test_placeholders_render_only_allowed_fields": 2600,
    "test_code_in_any_text_is_never_run": 300,
}
LINE_COLUMN = re.compile(r"line \d+ column \d+")
MARKER_NAME = "FUZZ-MARKER-must-not-exist"

# --- "no code runs" instruments -------------------------------------------------------------

_WATCHED = {"os.system", "subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn", "os.fork"}
_audit: dict[str, Any] = {"on": False, "seen": []}


def _hook(name: str, args: tuple[Any, ...]) -> None:
    if not _audit["on"]:
        return
    if name == "exec" and args and getattr(args[0], "co_filename", "").startswith("<"):
        _audit["seen"].append((name, args[0].co_filename))  # code from a string, not a module
    elif name == "compile" and len(args) > 1 and not str(args[1]).endswith(".py"):
        _audit["seen"].append((name, str(args[1])))
    elif name in _WATCHED or (name == "open" and MARKER_NAME in str(args[0] if args else "")):
        _audit["seen"].append((name, repr(args)[:80]))


sys.addaudithook(_hook)  # cannot be removed; it does nothing while _audit["on"] is False


@contextmanager
def no_code_runs(marker: Path) -> Iterator[None]:
    """Fail if the block evals/execs/compiles a string, starts a process or makes ``marker``."""
    _audit["seen"] = []
    _audit["on"] = True
    try:
        yield
    finally:
        _audit["on"] = False
    assert _audit["seen"] == [], _audit["seen"]
    assert not marker.exists()


class Tripwire(str):
    """A field value that creates the marker if anyone formats it or reaches for attributes."""

    marker: Path | None = None

    def __format__(self, spec: str) -> str:
        self._trip()
        return str.__format__(self, spec)

    def __getattr__(self, name: str) -> Any:
        self._trip()
        raise AttributeError(name)

    def _trip(self) -> None:
        if Tripwire.marker is not None:
            Tripwire.marker.touch()


class Recording(dict[str, object]):
    """Facts or placeholder values that remember which keys were asked for."""

    def __init__(self, data: dict[str, object]) -> None:
        super().__init__(data)
        self.asked: set[object] = set()

    def get(self, key: str, default: object = None) -> object:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> object:
        self.asked.add(key)
        return super().__getitem__(key)


@pytest.fixture(scope="module")
def marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / MARKER_NAME
    Tripwire.marker = path
    return path


@pytest.fixture(scope="module", autouse=True)
def _count_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module: every fuzz test that ran ran at least its target number of cases."""
    yield
    fz.check_targets(request.config, TARGETS)


def _ran(name: str) -> None:
    fz.RUNS[name] += 1


# --- helpers ------------------------------------------------------------------------------


def refusal(parse: Any, value: object) -> ValidationError | None:
    """The ValidationError ``parse(value)`` raises, or None; anything else propagates."""
    try:
        parse(value)
    except ValidationError as exc:
        text = str(exc)
        assert exc.path, text
        assert text.isprintable() and len(text) <= 1000, text[:300]
        return exc
    return None


def parse_text(text: str | bytes) -> WorkflowDefinition | ValidationError:
    """``parse_definition_json(text)``; a file over 1 MB must be refused at ``(root)``."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    exc = refusal(parse_definition_json, text)
    if size > 1_000_000:
        assert exc is not None and exc.path == "(root)" and "larger than 1 MB" in exc.message
    return exc if exc is not None else parse_definition_json(text)


def assert_round_trip(defn: WorkflowDefinition) -> None:
    exported = definition_to_json(defn)
    exported.encode("utf-8")  # an accepted file can be written out as UTF-8
    again = parse_text(exported.encode("utf-8"))
    if isinstance(again, WorkflowDefinition):
        assert again == defn
        assert definition_to_json(again) == exported


def path_matches(actual: str, expected: fm.Path, extra_key_ok: bool = False) -> bool:
    if actual == fm.json_path(expected):
        return True
    return extra_key_ok and any(
        actual == fm.json_path((*expected, key))
        for key in [seg for seg, _cut in fm.parse_path(actual)[-1:] if isinstance(seg, str)]
    )


# --- properties -------------------------------------------------------------------------------


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_valid_files_parse_and_round_trip"])
@given(fz.definitions(), st.booleans())
def test_valid_files_parse_and_round_trip(data: dict[str, Any], ascii_only: bool) -> None:
    """Every generated valid file parses, from data and from text, and export is a no-op."""
    _ran("test_valid_files_parse_and_round_trip")
    defn = parse_definition(data)
    from_text = parse_text(json.dumps(data, ensure_ascii=ascii_only))
    assert from_text == defn or isinstance(from_text, ValidationError)  # (over 1 MB)
    assert_round_trip(defn)


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_broken_files_are_refused_at_the_broken_path"])
@given(fm.mutations(), st.booleans())
def test_broken_files_are_refused_at_the_broken_path(m: fm.Mutation, ascii_only: bool) -> None:
    """A broken file is refused naming the broken path, as data, as text and as bytes."""
    _ran("test_broken_files_are_refused_at_the_broken_path")
    exc = refusal(parse_definition, m.data)
    event(f"{m.kind}: {'refused' if exc else 'accepted'}")
    if exc is None:
        assert not m.must_fail, f"{m.kind} at {fm.json_path(m.at)} was accepted"
        assert_round_trip(parse_definition(m.data))
    else:
        assert path_matches(exc.path, m.expected, m.extra_key_ok), (
            f"{m.kind} at {fm.json_path(m.at)}: error names {exc.path!r}, "
            f"expected {fm.json_path(m.expected)!r} ({exc.message[:120]})"
        )
    try:
        text = json.dumps(m.data, ensure_ascii=ascii_only)
    except RecursionError:
        event("too deep for json.dumps: text variant skipped")
        return
    for variant in (
        text,
        text.encode("utf-8", "surrogatepass") if not ascii_only else text.encode(),
    ):
        from_text = refusal(parse_definition_json, variant)
        size = len(
            variant if isinstance(variant, bytes) else variant.encode("utf-8", "surrogatepass")
        )
        if size > 1_000_000:
            assert from_text is not None and from_text.path == "(root)"
        elif (
            isinstance(variant, bytes)
            and not ascii_only
            and exc is not None
            and exc.message.endswith("not valid text")
        ):
            assert from_text is not None and from_text.path == "(root)"  # not UTF-8 at all
        elif exc is None:
            assert from_text is None
        else:
            assert from_text is not None and from_text.path == exc.path, from_text


_OPENERS = {"[": (0,), '{"a":': ("a",), '{"not":': ("not",), '{"all":[': ("all", 0)}
_CLOSERS = {"[": "]", '{"a":': "}", '{"not":': "}", '{"all":[': "]}"}


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_deeply_nested_text_is_refused"])
@given(
    st.lists(st.sampled_from(list(_OPENERS)), min_size=1, max_size=5),
    st.integers(20, 40) | st.sampled_from([100, 1000, 10_000, 100_000]),
    st.booleans(),
    st.booleans(),
)
def test_deeply_nested_text_is_refused(
    pattern: list[str], repeat: int, embedded: bool, closed: bool
) -> None:
    """10,000 ``[`` (and friends) as a whole file or as the conditions: one clean error."""
    _ran("test_deeply_nested_text_is_refused")
    openers = (pattern * (repeat // len(pattern) + 1))[:repeat]
    inner = "".join(openers) + '{"field":"title","op":"eq","value":"x"}'
    if closed:
        inner += "".join(_CLOSERS[o] for o in reversed(openers))
    prefix: fm.Path = ()
    if embedded:
        text = (
            '{"schema_version":1,"name":"n","trigger":{"type":"manual"},'
            '"actions":[{"type":"assign","user":"alice"}],"conditions":' + inner + "}"
        )
        prefix = ("conditions",)
    else:
        text = inner
    exc = refusal(parse_definition_json, text)
    segments = prefix + tuple(seg for o in openers for seg in _OPENERS[o])
    levels = len(segments) + 1  # containers down to the innermost leaf, which is one too
    if len(text) > 1_000_000:  # (all ASCII) the size is checked before anything is read
        assert exc is not None and exc.path == "(root)" and "larger than 1 MB" in exc.message
        event("over 1 MB")
        return
    if exc is None:
        assert closed and embedded and levels <= fz.MAX_DEPTH
        event("a valid chain of not/all")
        return
    if not closed:
        assert exc.path == "(root)" or LINE_COLUMN.fullmatch(exc.path), exc
        return
    try:
        data = json.loads(text)
    except RecursionError:
        event("deeper than the JSON reader goes")
        assert exc.path == "(root)" and "nested deeper than 32 levels" in exc.message
        return
    if not isinstance(data, dict):
        assert exc.path == "(root)"
    elif levels > fz.MAX_DEPTH:
        event("decoded, refused at depth 33")
        assert exc.path == fm.json_path(segments[: fz.MAX_DEPTH]), exc
    else:
        assert fm.path_resolves(data, exc.path), exc


_BAD_BYTES = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\x00", b"NaN"]


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    """Random bytes, or a valid file's bytes damaged: cut, re-encoded, bytes inserted."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    text = json.dumps(draw(fz.definitions()), ensure_ascii=draw(st.booleans()))
    how = draw(st.sampled_from(["cut", "insert", "encoding", "bom", "replace", "duplicate"]))
    raw = text.encode("utf-8")
    pos = draw(st.integers(0, len(raw)))
    if how == "cut":
        return raw[:pos]
    if how == "insert":
        return (
            raw[:pos]
            + draw(st.sampled_from(_BAD_BYTES) | st.binary(min_size=1, max_size=4))
            + raw[pos:]
        )
    if how == "encoding":
        return text.encode(
            draw(st.sampled_from(["utf-16", "utf-32", "utf-16-le", "cp1252"])), "replace"
        )
    if how == "bom":
        return b"\xef\xbb\xbf" + raw
    if how == "replace":
        return raw[:pos] + draw(st.binary(min_size=1, max_size=3)) + raw[pos + 3 :]
    return raw[:1] + b'"name": "dup", ' + raw[1:]


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_arbitrary_bytes_never_crash"])
@given(hostile_bytes())
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    """Bytes that are not JSON, not UTF-8, or almost a file: refused with a path, or valid."""
    _ran("test_arbitrary_bytes_never_crash")
    exc = refusal(parse_definition_json, raw)
    if exc is None:
        event("accepted")
        assert_round_trip(parse_definition_json(raw))
        return
    if exc.path == "(root)" or LINE_COLUMN.fullmatch(exc.path):
        event(f"refused at {'(root)' if exc.path == '(root)' else 'line/column'}")
        return
    event("refused at a JSON path")
    data = json.loads(raw.decode("utf-8-sig"))
    assert fm.path_resolves(data, exc.path), exc


# --- no code runs -----------------------------------------------------------------------------

_fact_values = (
    fz.subjects
    | fz.any_text
    | fz.numbers
    | st.none()
    | st.booleans()
    | st.dates()
    | st.datetimes()
    | fz.iso_dates
    | st.sampled_from(fz.STATUSES)
    | st.lists(fz.any_text, max_size=3)
    | fz.any_text.map(Tripwire)
)
facts = st.fixed_dictionaries({}, optional={f: _fact_values for f in fz.CONDITION_FIELDS})


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_conditions_evaluate_to_a_bool_and_run_no_code"])
@given(fz.conditions, facts)
def test_conditions_evaluate_to_a_bool_and_run_no_code(
    marker: Path, condition: dict[str, Any], fact_data: dict[str, object]
) -> None:
    """Any valid condition on any facts: a bool, explain agrees, only condition fields read."""
    _ran("test_conditions_evaluate_to_a_bool_and_run_no_code")
    known = Recording(fact_data)
    with no_code_runs(marker):
        defn = parse_definition(
            {
                "schema_version": 1,
                "name": "c",
                "trigger": {"type": "manual"},
                "conditions": condition,
                "actions": [{"type": "assign", "user": "alice"}],
            }
        )
        outcome = evaluate(defn.conditions, known)
        traces = explain(defn.conditions, known)
    assert outcome in (True, False)
    assert traces[0].passed is outcome
    assert known.asked <= set(fz.CONDITION_FIELDS)


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_backtracking_patterns_finish_on_long_subjects"])
@given(st.sampled_from(fz.BACKTRACKING) | fz.patterns, fz.subjects, st.booleans())
def test_backtracking_patterns_finish_on_long_subjects(
    marker: Path, pattern: str, subject: str, negate: bool
) -> None:
    """``(a+)+$`` and friends against 1 MB of ``a`` and a spoiler: an answer, at once."""
    _ran("test_backtracking_patterns_finish_on_long_subjects")
    leaf: dict[str, Any] = {"field": "body", "op": "matches", "value": pattern}
    condition = {"not": leaf} if negate else leaf
    with no_code_runs(marker):
        defn = parse_definition(
            {
                "schema_version": 1,
                "name": "r",
                "trigger": {"type": "manual"},
                "conditions": condition,
                "actions": [{"type": "assign", "user": "alice"}],
            }
        )
        outcome = evaluate(defn.conditions, {"body": subject})
    assert outcome in (True, False)
    if pattern == "(a+)+$":  # only the first 1,000,000 characters are searched
        assert outcome is (subject[:1_000_000].endswith("a") ^ negate)


placeholder_values = st.fixed_dictionaries(
    {},
    optional={
        f: st.none()
        | fz.any_text
        | fz.any_text.map(Tripwire)
        | st.integers()
        | st.dates()
        | fz.long_text(100_000, 100_100)
        for f in PLACEHOLDER_FIELDS
    },
)


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_placeholders_render_only_allowed_fields"])
@given(fz.templates, placeholder_values, fz.bad_placeholder, st.booleans())
def test_placeholders_render_only_allowed_fields(
    marker: Path,
    template: fz.Template,
    values: dict[str, object],
    attack: str,
    attack_at_end: bool,
) -> None:
    """A good template renders exactly (independently computed); an attack is refused."""
    _ran("test_placeholders_render_only_allowed_fields")
    known = Recording(values)
    hostile = template.text + attack if attack_at_end else attack + template.text
    with no_code_runs(marker):
        check_template(template.text)
        rendered = render(template.text, known)
        with pytest.raises(ValueError, match=r"unknown placeholder|unbalanced"):
            check_template(hostile)
        with pytest.raises(ValueError, match=r"unknown placeholder|unbalanced"):
            render(hostile, known)
    assert rendered == template.rendered(values)
    assert known.asked <= set(PLACEHOLDER_FIELDS)


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_code_in_any_text_is_never_run"])
@given(fz.definitions(), st.sampled_from(fz.EVIL), st.data())
def test_code_in_any_text_is_never_run(
    marker: Path, data: dict[str, Any], evil: str, draw: st.DataObject
) -> None:
    """Code-like text in any string of a file: parsed, evaluated, rendered, exported; never run."""
    _ran("test_code_in_any_text_is_never_run")
    payload = evil.replace("{marker}", str(marker))
    spots = [p for p, node in fm.walk(data) if isinstance(node, str)]
    at = draw.draw(st.sampled_from(spots))
    changed = fm.put(data, at, payload)
    changed["conditions"] = {
        "any": [{"field": "title", "op": op, "value": payload} for op in ("eq", "contains", "ne")]
        + [{"field": "title", "op": "matches", "value": re.escape(payload)[:500]}]
    }
    facts_ = Recording({"title": Tripwire(payload), "code": Tripwire(payload)})
    with no_code_runs(marker):
        exc = refusal(parse_definition, changed)
        if exc is None:
            defn = parse_definition(changed)
            assert evaluate(defn.conditions, facts_) is True
            explain(defn.conditions, facts_)
            for action in defn.actions:
                for key in ("title", "body", "description"):
                    text = getattr(action, key, None)
                    if isinstance(text, str):
                        render(text, Recording({f: Tripwire(payload) for f in PLACEHOLDER_FIELDS}))
            definition_to_json(defn)
    event("refused" if exc else "accepted")


def test_the_instruments_catch_code_that_runs(marker: Path) -> None:
    """Guard for the guards: an eval of a string and a format() of a tripwire are both caught."""
    with pytest.raises(AssertionError), no_code_runs(marker):
        eval("1 + 1")  # the point of this test
    with pytest.raises(AssertionError), no_code_runs(marker):
        format(Tripwire("policy"), ">10")
    marker.unlink()
