"""The benchmark suite, one command: prints a table and writes JSON.

    .venv/bin/python -m bench.run [--quick] [--json FILE] [--only engine,latency]

Each part is a module ``bench.<name>`` exposing ``run(quick: bool) -> list[Result]``
(``bench.common.Result``); a part whose module does not exist is skipped, a part that fails
is reported and makes the exit code 1. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import sqlite3
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import Result, Skipped, fmt

PARTS = [
    "queue_ceiling",
    "engine",
    "latency",
    "triggers",
    "monitor",
    "startup",
    "audit_verify",
    "register",
    "team_scaling",  # only with GOVERNANCE_TEST_POSTGRES and GOVERNANCE_TEST_REDIS
]


def machine() -> dict[str, Any]:
    import huey
    import sqlalchemy

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "huey": huey.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }


def table(results: list[Result]) -> str:
    head = ["part", "figure", "median", "spread (min–max)", "unit", "n", "goal", "ratio", "ok"]
    rows = [head]
    for r in results:
        ok = {True: "pass", False: "MISS", None: ""}[r.passed]
        rows.append(
            [
                r.part,
                r.name,
                fmt(r.median),
                f"{fmt(r.low)}–{fmt(r.high)}",
                r.unit,
                str(r.n),
                r.goal,
                "" if r.ratio is None else f"{r.ratio:.2f}",
                ok,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny N, short idles (CI smoke)")
    parser.add_argument("--json", type=Path, default=None, help="write results here")
    parser.add_argument("--only", default="", help=f"comma-separated parts of {PARTS}")
    args = parser.parse_args(argv)
    chosen = [p.strip() for p in args.only.split(",") if p.strip()] or PARTS
    unknown = set(chosen) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    results: list[Result] = []
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    skipped: list[str] = []
    for name in chosen:
        module_name = f"bench.{name}"
        if importlib.util.find_spec(module_name) is None:
            skipped.append(name)
            continue
        print(f"running {name} …", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(module_name)
            if not callable(getattr(module, "run", None)):
                skipped.append(name)  # a part still being written: no run() yet
                continue
            results.extend(module.run(args.quick))
        except Skipped as exc:
            skipped.append(f"{name} ({exc})")
            print(f"part {name} skipped: {exc}", file=sys.stderr)
        except Exception:
            errors[name] = traceback.format_exc()
            print(f"part {name} failed:\n{errors[name]}", file=sys.stderr)
        timings[name] = time.perf_counter() - start
    print(table(results))
    if skipped:
        print(f"\nskipped (no module, no run(), or cannot run here): {', '.join(skipped)}")
    if errors:
        print(f"\nFAILED parts: {', '.join(errors)}")
    if args.json is not None:
        report = {
            "quick": args.quick,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": machine(),
            "seconds": timings,
            "skipped": skipped,
            "errors": errors,
            "results": [r.as_dict() for r in results],
        }
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
