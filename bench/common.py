"""Shared pieces of the benchmark suite: the Result row, timing and seeding helpers.

Every part module exposes ``run(quick: bool) -> list[Result]``; ``bench.run`` collects them.
The machine is shared and noisy, so a figure is the median of several runs with its spread
(min–max), and a goal is a ratio of two figures measured in the same run.
"""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Keep the app's settings file on the developer's machine out of every benchmark.
os.environ.setdefault("GOVERNANCE_SETTINGS_FILE", os.devnull)


class Skipped(Exception):
    """Raised by a part's ``run()`` that cannot run here (e.g. no team servers); the
    message says why, and ``bench.run`` lists the part as skipped with it."""


@dataclass
class Result:
    """One row of the table."""

    part: str  # "1 ceilings", "2 engine", …
    name: str
    median: float
    low: float  # spread: min of the runs (or p-low of the samples, see `note`)
    high: float  # spread: max of the runs
    unit: str
    n: int  # how many runs (or samples) the median is over
    goal: str = ""
    ratio: float | None = None  # the goal's ratio, measured in the same run
    passed: bool | None = None  # None: no goal for this row
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(part: str, name: str, values: Sequence[float], unit: str, **kwargs: Any) -> Result:
    """A Result over several runs: median with min–max spread."""
    vals = list(values)
    if not vals:
        raise ValueError(f"{name}: no values")
    return Result(
        part=part,
        name=name,
        median=statistics.median(vals),
        low=min(vals),
        high=max(vals),
        unit=unit,
        n=len(vals),
        **kwargs,
    )


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of nothing")
    rank = max(1, min(len(ordered), round(p / 100.0 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def repeat(fn: Callable[[], float], k: int) -> list[float]:
    """Call `fn` k times (a collection before each) and return its k results."""
    out = []
    for _ in range(k):
        gc.collect()
        out.append(fn())
    return out


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


@contextmanager
def temp_dir(prefix: str = "gd-bench-") -> Iterator[Path]:
    """A fresh directory on the same filesystem as the default temp dir; removed after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return predicate()


# --- the app, seeded --------------------------------------------------------------------------


def open_bench_app(data_dir: Path, **settings: Any) -> Any:
    """open_app on `data_dir` with default settings but `settings` (the OS user becomes
    admin)."""
    from governance_desktop.app import open_app
    from governance_desktop.config import load_settings

    return open_app(load_settings(data_dir=data_dir, **settings))


def me() -> str:
    from governance_desktop.services.users import os_username

    return os_username()


def workflow(
    name: str,
    actions: list[dict[str, Any]],
    *,
    to_status: str = "in_review",
    conditions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A workflow definition (the import file format) on a status change to `to_status`."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "name": name,
        "entity_type": "policy",
        "enabled": True,
        "trigger": {"type": "on_status_change", "to_status": to_status},
        "actions": actions,
    }
    if conditions is not None:
        data["conditions"] = conditions
    return data


def three_actions(user: str) -> list[dict[str, Any]]:
    """The part-2 workflow: assign, create_task, notify."""
    return [
        {"type": "assign", "user": user},
        {
            "type": "create_task",
            "title": "Review {policy.code}",
            "assignee": user,
            "due_in_days": 7,
        },
        {"type": "notify", "users": [user], "title": "{policy.code} is in review"},
    ]


#: The password the benchmarks give the OS user (signing is not what they measure).
BENCH_PASSWORD = "Bench-Passw0rd!"


def bench_signer(ctx: Any) -> Any:
    """The OS user re-authenticated for one signed act (given BENCH_PASSWORD first)."""
    if not ctx.identity.has_password(me()):
        ctx.identity.change_own(me(), None, BENCH_PASSWORD)
    return ctx.identity.signer(me(), BENCH_PASSWORD)


def import_workflows(ctx: Any, definitions: list[dict[str, Any]]) -> None:
    from governance_desktop.services.workflows import DefinitionSource

    ctx.workflows.import_definitions(
        me(),
        [DefinitionSource(f"{d['name']}.json", data=d) for d in definitions],
        signer=bench_signer(ctx),
    )


def seed_policies(ctx: Any, count: int, prefix: str = "B") -> list[str]:
    """`count` draft policies added in ONE transaction (seeding is not what we measure).

    Rows are inserted directly (no triggers fire: no on_create workflows exist when seeding).
    """
    from governance_desktop.domain.enums import PolicyStatus
    from governance_desktop.store.models import Policy
    from governance_desktop.store.types import utcnow

    user = me()
    now = utcnow()
    codes = [f"{prefix}-{n:07d}" for n in range(count)]
    with ctx.db.transaction() as session:
        session.add_all(
            Policy(
                code=code,
                title=f"Bench policy {code}",
                body="",
                status=PolicyStatus.DRAFT,
                owner=user,
                assignee=None,
                review_interval_days=365,
                next_review_date=None,
                version=1,
                created_by=user,
                created_at=now,
                updated_by=user,
                updated_at=now,
            )
            for code in codes
        )
    return codes


def fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
