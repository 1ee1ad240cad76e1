"""Part 2: engine throughput — a 3-action workflow (assign, create_task, notify) through the
embedded consumer (``QueueRuntime`` started in-process, the app's default 2 thread workers).

One run: a fresh data dir, the workflow imported, N draft policies seeded; the consumer is
started and paused; N status changes commit in one transaction (N executions, N first jobs,
N queue messages); then the consumer resumes and the clock runs until the bus has reported
3·N finished action steps. Every execution is then checked to be ``completed``.
Each execution is 4 queue jobs (start + 3 steps), so steps/s = ¾ of the engine's jobs/s.

Goal: steps/s ≥ 0.6 × the bare Huey no-op drain (part 1's figure), measured here in the same
run, alternating with the engine runs, on the same filesystem and queue settings.
"""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.common import (
    Result,
    import_workflows,
    me,
    open_bench_app,
    seed_policies,
    summarize,
    temp_dir,
    three_actions,
    workflow,
)
from bench.queue_ceiling import bare_drain

PART = "2 engine"
STEPS = 3


def engine_drain(directory: Path, n: int) -> dict[str, float]:
    """Run N executions of the 3-action workflow; returns rates and the elapsed seconds."""
    from governance_desktop.app import attach_queue
    from governance_desktop.domain.enums import ExecutionStatus, JobKind
    from governance_desktop.services.policy_rows import require_policy_row
    from governance_desktop.store.models import WorkflowExecution

    data = directory / f"engine-{time.monotonic_ns()}"
    ctx = open_bench_app(data)
    runtime = None
    try:
        import_workflows(ctx, [workflow("Bench three actions", three_actions(me()))])
        codes = seed_policies(ctx, n)
        runtime = attach_queue(ctx, embedded=True)
        steps_done = itertools.count(1)
        finished = threading.Event()

        def on_event(event: Any) -> None:
            step = event.kind == JobKind.EXECUTE_WORKFLOW_ACTION and event.state == "succeeded"
            if step and next(steps_done) >= n * STEPS:
                finished.set()

        runtime.bus.subscribe(on_event)
        runtime.start()
        runtime.pause()
        time.sleep(0.3)  # let the workers notice the pause
        with ctx.db.transaction() as session:
            for code in codes:
                row = require_policy_row(session, code)
                ctx.policies.apply_status(session, row, "in_review", me())
        start = time.perf_counter()
        runtime.resume()
        if not finished.wait(60 + n * 0.05):
            raise RuntimeError("engine did not finish its executions in time")
        elapsed = time.perf_counter() - start
        with ctx.db.reading() as session:
            completed = session.scalar(
                select(func.count())
                .select_from(WorkflowExecution)
                .where(WorkflowExecution.status == ExecutionStatus.COMPLETED)
            )
        if completed != n:
            raise RuntimeError(f"only {completed} of {n} executions completed")
        return {
            "elapsed": elapsed,
            "executions_per_s": n / elapsed,
            "steps_per_s": n * STEPS / elapsed,
            "jobs_per_s": n * (STEPS + 1) / elapsed,
        }
    finally:
        if runtime is not None:
            runtime.stop(10.0)
            runtime.close()
        ctx.close()


def run(quick: bool) -> list[Result]:
    plan = [(50, 2)] if quick else [(2000, 2), (10000, 1)]
    results: list[Result] = []
    with temp_dir() as tmp:
        for n, k in plan:
            runs: list[dict[str, float]] = []
            drains: list[float] = []
            for _ in range(k):  # alternate: the ceiling and the engine see the same noise
                drains.append(bare_drain(tmp, min(n * (STEPS + 1), 8000)))
                runs.append(engine_drain(tmp, n))
            ceiling = summarize(PART, "", drains, "jobs/s").median
            steps = summarize(
                PART, f"steps/s, N={n:,} executions", [r["steps_per_s"] for r in runs], "steps/s"
            )
            ratio = steps.median / ceiling
            steps.goal = "≥ 0.6 × bare Huey no-op drain"
            steps.ratio = ratio
            steps.passed = ratio >= 0.6
            steps.note = f"bare drain in this run {ceiling:,.0f} jobs/s (median of {len(drains)})"
            steps.extra = {"bare_drain_jobs_per_s": drains, "runs": runs}
            results.append(
                summarize(
                    PART,
                    f"executions/s, N={n:,}",
                    [r["executions_per_s"] for r in runs],
                    "exec/s",
                    note=f"4 queue jobs each; engine jobs/s median "
                    f"{sorted(r['jobs_per_s'] for r in runs)[len(runs) // 2]:,.0f}",
                )
            )
            results.append(steps)
    return results


def probe(n: int, batch: int = 1) -> None:
    """No queue: one thread runs ``runner.run_batch`` on the executions' start jobs, `batch`
    at a time (each whole execution chained; one commit a batch); prints steps/s, CPU and
    SQL statements per step."""
    from sqlalchemy import event

    from governance_desktop.domain.enums import JobKind
    from governance_desktop.services.policy_rows import require_policy_row
    from governance_desktop.store.models import Job

    with temp_dir() as tmp:
        ctx = open_bench_app(tmp / "probe")
        try:
            import_workflows(ctx, [workflow("Bench three actions", three_actions(me()))])
            codes = seed_policies(ctx, n)
            with ctx.db.transaction() as session:
                for code in codes:
                    row = require_policy_row(session, code)
                    ctx.policies.apply_status(session, row, "in_review", me())
            with ctx.db.reading() as session:
                starts = list(
                    session.scalars(select(Job.id).where(Job.kind == JobKind.EXECUTE_WORKFLOW))
                )
            statements = itertools.count()
            event.listen(ctx.db.engine, "before_cursor_execute", lambda *_: next(statements))
            wall, cpu = time.perf_counter(), time.process_time()
            for at in range(0, len(starts), batch):
                for outcomes in ctx.runner.run_batch(starts[at : at + batch], "probe"):
                    if len(outcomes) != STEPS + 1 or outcomes[-1].execution_status != "completed":
                        raise RuntimeError(f"an execution did not complete: {outcomes}")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            steps = len(starts) * STEPS
            print(
                f"probe N={len(starts)}, batch {batch}: {steps / wall:,.0f} steps/s, "
                f"{cpu / steps * 1000:.2f} ms CPU and {next(statements) / steps:.1f} "
                "SQL statements per step"
            )
        finally:
            ctx.close()


def main() -> None:
    """``python -m bench.engine [--n 500] [--runs 2]``: part 2 at one size, for a loaded
    machine where N=2,000 would not finish in the suite's time limit; same alternation."""
    import argparse
    import statistics

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--probe", type=int, metavar="N", help="no queue: see probe()")
    parser.add_argument("--batch", type=int, default=1, help="jobs per transaction in --probe")
    args = parser.parse_args()
    if args.probe:
        probe(args.probe, args.batch)
        return
    drains: list[float] = []
    steps: list[float] = []
    with temp_dir() as tmp:
        for _ in range(args.runs):
            drains.append(bare_drain(tmp, min(args.n * (STEPS + 1), 8000)))
            steps.append(engine_drain(tmp, args.n)["steps_per_s"])
            print(f"bare drain {drains[-1]:,.0f} jobs/s, engine {steps[-1]:,.1f} steps/s")
    ratio = statistics.median(steps) / statistics.median(drains)
    print(
        f"N={args.n:,}: steps/s median {statistics.median(steps):,.1f}, bare drain median "
        f"{statistics.median(drains):,.0f} jobs/s, ratio {ratio:.3f} (goal ≥ 0.6)"
    )


if __name__ == "__main__":
    main()
