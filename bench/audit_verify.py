"""Part 7: `audit verify` over 10⁶ events ≤ 10 s, a re-check from a kept checkpoint ≤ 1 s,
with the ratio to a bare hashlib.sha256 pass over the same rows' canonical content.

    .venv/bin/python -m bench.audit_verify [--events 1000000] [--runs 3]

The register is built fast: the app's schema, then the events written straight into SQLite
with executemany, each hash computed by the app's own `event_hash` (as `AuditService.record`
writes them). Then, alternating: the full check (`check_trail`, as `audit verify` runs it,
with its checkpoint kept), the quick re-check from that checkpoint after 100 new events
(`audit verify --quick`), and the floor: sha256 over every row's canonical content, read
from the file (the same rows, content built in the same pass but not timed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Result, open_bench_app, summarize, temp_dir

PART = "7 audit verify"
ROW = (
    "INSERT INTO audit_events (occurred_at, actor, action, entity_type, entity_id, details, "
    "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _head(raw: sqlite3.Connection) -> tuple[str, datetime]:
    from governance_desktop.services.audit import GENESIS

    row = raw.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0] if row else GENESIS), datetime(2026, 1, 1, tzinfo=UTC)


def append_events(path: Path, count: int, start: int = 0) -> None:
    """``count`` chained events like the engine's, appended to the register at ``path``."""
    from governance_desktop.services.audit import event_hash

    raw = sqlite3.connect(path)
    prev, base = _head(raw)

    def rows() -> Any:
        nonlocal prev
        for n in range(start, start + count):
            at = base + timedelta(milliseconds=n, microseconds=(n % 7) * 13)
            code = f"B-{n % 5000:07d}"
            details = {
                "comment": f"step {n} reviewed",
                "from": "draft",
                "to": "in_review",
                "version": n % 9 + 1,
            }
            digest = event_hash(prev, at, "bench", "policy.status_changed", "policy", code, details)
            stored = at.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            yield (
                stored,
                "bench",
                "policy.status_changed",
                "policy",
                code,
                json.dumps(details),
                prev,
                digest,
            )
            prev = digest

    with raw:
        raw.executemany(ROW, rows())
    raw.close()


def bare_pass(path: Path) -> float:
    """Seconds for sha256 alone over every row's canonical content (built first, untimed)."""
    from governance_desktop.services.audit_chain import canonical

    raw = sqlite3.connect(path)
    contents = []
    for prev, at, actor, action, kind, entity, details in raw.execute(
        "SELECT prev_hash, occurred_at, actor, action, entity_type, entity_id, details "
        "FROM audit_events ORDER BY id"
    ):
        stamp = datetime.fromisoformat(at).replace(tzinfo=UTC).isoformat()
        content = {
            "prev": prev,
            "at": stamp,
            "actor": actor,
            "action": action,
            "entity_type": kind,
            "entity_id": entity,
            "details": json.loads(details),
        }
        contents.append(canonical(content).encode())
    raw.close()
    sha256 = hashlib.sha256
    start = time.perf_counter()
    for content in contents:
        sha256(content).hexdigest()
    return time.perf_counter() - start


def measure(events: int, runs: int) -> list[Result]:
    from governance_desktop.services.audit_verify import check_trail

    with temp_dir() as folder:
        ctx = open_bench_app(folder / "data")
        path = Path(str(ctx.db.engine.url.database))
        built = time.perf_counter()
        append_events(path, events)
        built = time.perf_counter() - built
        full: list[float] = []
        quick: list[float] = []
        bare: list[float] = []
        walked: list[int] = []
        total = events
        for run in range(runs):
            start = time.perf_counter()
            check = check_trail(ctx.db)
            full.append(time.perf_counter() - start)
            assert check.ok, check
            append_events(path, 100, start=events + 100 * run)
            total += 100
            start = time.perf_counter()
            again = check_trail(ctx.db, from_checkpoint=True)
            quick.append(time.perf_counter() - start)
            assert again.ok and again.started_from is not None, again
            walked.append(again.walked)
            bare.append(bare_pass(path))
        ctx.close()
    ratio = sorted(full)[len(full) // 2] / sorted(bare)[len(bare) // 2]
    extra = {"events": events, "build_s": built, "full": full, "quick": quick, "bare": bare}
    return [
        summarize(
            PART,
            f"full verify, {events:,} events (chain + signatures)",
            full,
            "s",
            goal="≤ 10 s",
            passed=sorted(full)[len(full) // 2] <= 10.0,
            extra=extra,
        ),
        summarize(
            PART,
            f"quick re-check from the checkpoint (walked {walked[-1]} new events)",
            quick,
            "s",
            goal="≤ 1 s",
            passed=sorted(quick)[len(quick) // 2] <= 1.0,
        ),
        summarize(
            PART,
            "bare sha256 over the same rows' canonical content (floor)",
            bare,
            "s",
            goal="verify / bare",
            ratio=ratio,
            note=f"ratio = median full verify / median bare pass; {total:,} events at the end",
        ),
    ]


def run(quick: bool) -> list[Result]:
    return measure(2_000, 1) if quick else measure(1_000_000, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_verify")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    for row in measure(args.events, args.runs):
        ratio = "" if row.ratio is None else f" ratio {row.ratio:.1f}"
        print(
            f"{row.name}: median {row.median:.3f} {row.unit} ({row.low:.3f}–{row.high:.3f})"
            f" goal {row.goal}{ratio} {'' if row.passed is None else row.passed}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
