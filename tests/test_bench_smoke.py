"""The benchmark suite keeps working: a tiny-N run exits 0 and writes valid JSON.

Asserts nothing about speed (speed lives in `python -m bench.run`, docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_run_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["quick"] is True
    assert not report["errors"]
    assert report["machine"]["nproc"] >= 1
    assert report["results"], "no figures"
    for row in report["results"]:
        assert {"name", "median", "low", "high", "unit", "n", "goal", "ratio", "passed"} <= set(row)
        assert row["n"] >= 1


def test_register_part_runs_at_tiny_size(tmp_path: Path) -> None:
    """`bench.register --quick` (2,000 policies) measures the page and the bare view."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.register", "--quick", "--cache", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "first paint" in proc.stdout and "bare" in proc.stdout
