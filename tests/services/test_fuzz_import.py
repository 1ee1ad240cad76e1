"""Hostile workflow files through the real import service on a real SQLite data dir.

- a valid file adds exactly one workflow version (and one audit event), its export imports
  back as a no-op, and a changed file adds exactly one more version;
- a batch with one broken file (any mutation of ``fuzz_strategies``, an unknown user, or
  bytes that are not a file) raises ``SourceError`` naming that file and the broken JSON path,
  and changes nothing: the counts of workflows, versions and audit events stay the same and
  the audit chain still verifies;
- the editor's ``check_definition`` never raises, reports one-line errors at paths that exist
  in the input, and finds a problem exactly when the import would refuse the file.
Cases run are counted (``fz.RUNS``) and checked against ``TARGETS`` after the module.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from governance_desktop.app import AppContext
from governance_desktop.domain.errors import ValidationError
from governance_desktop.domain.workflow.definition import parse_definition
from governance_desktop.services.definition_check import check_definition
from governance_desktop.services.dto import ImportResult
from governance_desktop.services.workflows import DefinitionSource, SourceError
from tests.helpers import fuzz_mutations as fm
from tests.helpers import fuzz_strategies as fz
from tests.helpers.actors import ME
from tests.helpers.identity import credential, signer

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=dt.timedelta(seconds=20),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one data dir for all examples: deltas are checked
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)
TARGETS = {
    "test_valid_file_adds_exactly_one_version": 150,
    "test_batch_with_one_broken_file_changes_nothing": 200,
    "test_check_definition_agrees_with_import": 700,
}
_names = itertools.count(1)


@pytest.fixture
def app(ctx: AppContext) -> AppContext:
    for user in fz.USERS:
        ctx.users.add(ME, user, user[:10], role="approver")  # type: ignore[arg-type]
    credential(ctx, ME)  # ME's password set once: signing later writes no audit event of its own
    return ctx


@pytest.fixture(scope="module", autouse=True)
def _count_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module: every fuzz test that ran ran at least its target number of cases."""
    yield
    fz.check_targets(request.config, TARGETS)


def counts(app: AppContext) -> tuple[int, int, int]:
    """(workflows, workflow versions, audit events) in the database."""
    with app.db.engine.connect() as conn:
        return tuple(
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("workflows", "workflow_versions", "audit_events")
        )


def unique_name(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` renamed so that no earlier example used the name (keeps the generated text)."""
    return {**data, "name": f"fz{next(_names)} {data['name']}"[:200]}


def source(data: dict[str, Any], how: str, origin: str) -> DefinitionSource:
    if how == "data":
        return DefinitionSource(origin, data=data)
    text_ = json.dumps(data, ensure_ascii=True)  # escapes keep lone surrogates at their path
    return DefinitionSource(origin, text=text_.encode() if how == "bytes" else text_)


def too_big(src: DefinitionSource) -> bool:
    raw = src.text.encode() if isinstance(src.text, str) else src.text
    return raw is not None and len(raw) > 1_000_000


HOW = st.sampled_from(["data", "text", "bytes"])


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_valid_file_adds_exactly_one_version"])
@given(fz.definitions(), HOW)
def test_valid_file_adds_exactly_one_version(
    app: AppContext, data: dict[str, Any], how: str
) -> None:
    """Import adds one version; export → import is a no-op; a change adds one more."""
    fz.RUNS["test_valid_file_adds_exactly_one_version"] += 1
    data = unique_name(data)
    src = source(data, how, "new.json")
    before = counts(app)
    if too_big(src):
        event("over 1 MB as text: refused")
        with pytest.raises(SourceError, match=r"^new\.json: \(root\): file is larger than 1 MB"):
            app.workflows.import_definitions(ME, [src], signer=signer(app, ME))
        assert counts(app) == before
        return
    name = parse_definition(data).name
    assert app.workflows.import_definitions(ME, [src], signer=signer(app, ME)) == [
        ImportResult(name, 1, True, True)
    ]
    w, v, a = before
    # each new version writes two audit events: the version published and its signature
    assert counts(app) == (w + 1, v + 1, a + 2)

    exported = app.workflows.export(name)
    assert parse_definition(json.loads(exported)) == parse_definition(data)
    again = DefinitionSource("export.json", text=exported.encode("utf-8"))
    assert app.workflows.import_definitions(ME, [again], signer=signer(app, ME)) == [
        ImportResult(name, 1, False, False)
    ]
    assert counts(app) == (w + 1, v + 1, a + 2)

    changed = {**data, "description": f"changed {next(_names)}"}
    result = app.workflows.import_definitions(
        ME, [source(changed, how, "changed.json")], signer=signer(app, ME)
    )
    assert result == [ImportResult(name, 2, False, True)]
    assert counts(app) == (w + 1, v + 2, a + 4)
    assert app.audit.verify().ok


@st.composite
def broken_sources(draw: st.DrawFn) -> tuple[DefinitionSource, str | None]:
    """A broken source and the path its rejection must name (None: (root) or line/column)."""
    kind = draw(st.sampled_from(["mutation", "mutation", "mutation", "unknown_user", "bytes"]))
    if kind == "bytes":
        raw = draw(
            st.binary(max_size=200)
            | st.sampled_from([b"", b"[]", b"\xff\xfe{}", b'{"a":1,"a":2}', b"[" * 100_000])
        )
        return DefinitionSource("bad.json", text=raw), None
    if kind == "unknown_user":
        data = draw(fz.definitions())
        i = len(data["actions"])
        data = {**data, "actions": [*data["actions"], {"type": "assign", "user": "nobody"}]}
        return source(data, draw(HOW), "bad.json"), fm.json_path(("actions", i, "user"))
    m = draw(
        fm.mutations(
            [
                fm.unknown_key,
                fm.missing_key,
                fm.lone_surrogate,
                fm.nul,
                fm.placeholder_attack,
                fm.regex_attack,
                fm.deep_nesting,
                fm.bad_value,
            ]
        )
    )
    how = "data" if m.kind == "deep" else draw(HOW)  # json.dumps cannot write 800 levels
    return source(m.data, how, "bad.json"), fm.json_path(m.expected)


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_batch_with_one_broken_file_changes_nothing"])
@given(st.lists(fz.definitions(), max_size=3), broken_sources(), st.integers(0, 3), HOW)
def test_batch_with_one_broken_file_changes_nothing(
    app: AppContext,
    good: list[dict[str, Any]],
    broken: tuple[DefinitionSource, str | None],
    position: int,
    how: str,
) -> None:
    """All or nothing: one broken file in a batch, and no row or audit event is written."""
    fz.RUNS["test_batch_with_one_broken_file_changes_nothing"] += 1
    bad, path = broken
    sources = [source(unique_name(d), "data", f"good{i}.json") for i, d in enumerate(good)]
    sources.insert(min(position, len(sources)), bad)
    before = counts(app)
    names_before = {w.name for w in app.workflows.list()}
    with pytest.raises(SourceError) as info:
        app.workflows.import_definitions(ME, sources, signer=signer(app, ME))
    exc = info.value
    assert str(exc).startswith("bad.json: ") and "\n" not in str(exc), str(exc)[:200]
    if path is not None and not too_big(bad):
        assert exc.path == path, f"{exc} (expected {path})"
    event(f"refused at {'a JSON path' if exc.path not in ('(root)',) else '(root)'}")
    assert counts(app) == before
    assert {w.name for w in app.workflows.list()} == names_before
    assert app.audit.verify().ok


@pytest.mark.slow
@settings(FUZZ, max_examples=TARGETS["test_check_definition_agrees_with_import"])
@given(fm.mutations() | fz.definitions().map(lambda d: fm.Mutation(d, "valid", (), ())))
def test_check_definition_agrees_with_import(m: fm.Mutation) -> None:
    """The editor's check never raises; its paths exist; it finds a problem iff import would."""
    fz.RUNS["test_check_definition_agrees_with_import"] += 1
    if not isinstance(m.data, dict):
        return  # the editor always hands over an object
    errors = check_definition(m.data, None)
    try:
        parse_definition(m.data)
        refused: ValidationError | None = None
    except ValidationError as exc:
        refused = exc
    event(f"{m.kind}: {len(errors)} error(s)")
    assert bool(errors) == (refused is not None), (errors[:3], refused)
    for error in errors:
        line = str(error)
        assert line.isprintable() and len(line) <= 1000, line[:200]
        assert fm.path_resolves(m.data, error.path), line[:200]
    if refused is not None:
        assert refused.path in {e.path for e in errors}, (refused, errors[:5])
