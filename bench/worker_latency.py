"""Enqueue → start latency with the worker in its own process, after idle gaps.

    .venv/bin/python bench/worker_latency.py [--samples 20] [--idle 1.0]

Another process commits a status change; we read when the job row went `running`.
Prints p50/p99 in milliseconds. Huey's default polling back-off alone would give up to 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from governance_desktop.app import attach_queue, open_app
from governance_desktop.config import load_settings
from governance_desktop.services.users import os_username
from governance_desktop.services.workflows import DefinitionSource
from governance_desktop.store.models import Job


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--idle", type=float, default=1.0, help="seconds idle before each")
    args = parser.parse_args()
    me = os_username()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        ctx = open_app(load_settings(data_dir=data))
        ctx.workflows.import_definitions(
            me,
            [
                DefinitionSource(
                    "b.json",
                    data={
                        "schema_version": 1,
                        "name": "Bench",
                        "trigger": {"type": "on_status_change", "to_status": "in_review"},
                        "actions": [{"type": "assign", "user": me}],
                    },
                )
            ],
        )
        for n in range(args.samples):
            ctx.policies.add(me, f"B-{n}", f"Bench {n}")
        runtime = attach_queue(ctx)
        worker = subprocess.Popen(
            [sys.executable, "-m", "governance_desktop", "--data-dir", str(data), "worker"],
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)
        delays = []
        try:
            for n in range(args.samples):
                time.sleep(args.idle)
                ctx.policies.change_status(me, f"B-{n}", "in_review")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    with ctx.db.reading() as session:
                        job = session.scalars(
                            select(Job)
                            .where(Job.kind == "EXECUTE_WORKFLOW")
                            .order_by(Job.id.desc())
                        ).first()
                    if (
                        job is not None
                        and job.started_at is not None
                        and (job.payload.get("entity") == f"B-{n}")
                    ):
                        delays.append((job.started_at - job.enqueued_at).total_seconds())
                        break
                    time.sleep(0.002)
        finally:
            worker.terminate()
            worker.wait()
            runtime.close()
            ctx.close()
    ms = sorted(d * 1000 for d in delays)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"worker process, idle {args.idle}s: n={len(ms)} p50={statistics.median(ms):.1f} ms "
        f"p99={p99:.1f} ms max={ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
