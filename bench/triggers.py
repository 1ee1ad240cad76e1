"""Part 4: trigger cost — ``PolicyService.change_status`` with 10, 100 and 1,000 enabled
workflows, of which 10 match.

All workflows trigger on a status change to ``in_review`` — so the indexed lookup
(entity, trigger, enabled, to_status) cannot rule any of them out and every one is a
candidate; the 10 matching ones have no conditions, the others a condition that is false
(``code eq NO-MATCH-n``). That is the worst case for the engine's per-candidate cost.
Each timed call moves a draft policy to ``in_review`` (10 executions and 10 job rows in the
same transaction, FULL sync commit); the policy is moved back untimed. No queue is attached
(the jobs stay rows), so this is the service's cost, not the enqueue's (that is part 3).

Goal: p99 ≤ 10 ms at 1,000, and p99 at 1,000 ≤ 1.5 × p99 at 10 (same run, alternating).
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import (
    Result,
    import_workflows,
    me,
    open_bench_app,
    percentile,
    seed_policies,
    summarize,
    temp_dir,
)

PART = "4 triggers"
MATCHING = 10


def _definitions(total: int) -> list[dict[str, Any]]:
    out = []
    for n in range(total):
        data: dict[str, Any] = {
            "schema_version": 1,
            "name": f"Trigger bench {n:04d}",
            "entity_type": "policy",
            "trigger": {"type": "on_status_change", "to_status": "in_review"},
            "actions": [{"type": "notify", "users": [me()], "title": "{policy.code}"}],
        }
        if n >= MATCHING:
            data["conditions"] = {"all": [{"field": "code", "op": "eq", "value": f"NO-MATCH-{n}"}]}
        out.append(data)
    return out


class Setup:
    def __init__(self, directory: Any, total: int, policies: int) -> None:
        self.ctx = open_bench_app(directory / f"triggers-{total}")
        import_workflows(self.ctx, _definitions(total))
        self.codes = seed_policies(self.ctx, policies)
        self.next = 0

    def sample(self) -> float:
        code = self.codes[self.next % len(self.codes)]
        self.next += 1
        start = time.perf_counter()
        self.ctx.policies.change_status(me(), code, "in_review")
        elapsed = (time.perf_counter() - start) * 1000
        self.ctx.policies.change_status(me(), code, "draft")
        return elapsed


def run(quick: bool) -> list[Result]:
    sizes = [10, 100] if quick else [10, 100, 1000]
    # 200 calls a round: a p99 of 60 calls was the round's largest call or next to it.
    rounds, per_round = (2, 15) if quick else (5, 200)
    results: list[Result] = []
    with temp_dir() as tmp:
        setups = {size: Setup(tmp, size, 20) for size in sizes}
        for setup in setups.values():  # warm-up: caches, statement compilation
            for _ in range(5):
                setup.sample()
        p50s: dict[int, list[float]] = {size: [] for size in sizes}
        p99s: dict[int, list[float]] = {size: [] for size in sizes}
        for _ in range(rounds):  # alternate sizes so they share the noise
            for size, setup in setups.items():
                values = [setup.sample() for _ in range(per_round)]
                p50s[size].append(percentile(values, 50))
                p99s[size].append(percentile(values, 99))
        for setup in setups.values():
            setup.ctx.close()
    base = summarize(PART, "", p99s[sizes[0]], "ms").median
    for size in sizes:
        note = f"{rounds} rounds × {per_round} calls; median and min–max of the rounds' figures"
        results.append(
            summarize(PART, f"change_status p50, {size:,} workflows", p50s[size], "ms", note=note)
        )
        p99 = summarize(PART, f"change_status p99, {size:,} workflows", p99s[size], "ms", note=note)
        if size == 1000:
            p99.goal = "≤ 10 ms and ≤ 1.5 × p99 at 10"
            p99.ratio = p99.median / base
            p99.passed = p99.median <= 10.0 and p99.ratio <= 1.5
            p99.note += f"; p99 at 10 workflows {base:.1f} ms"
        results.append(p99)
    return results


def main() -> None:
    """``python -m bench.triggers [--sizes 10,1000] [--calls 300]``: p50/p99 of
    `change_status` per size after 10 warm-up calls, one size after the other."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,1000")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with temp_dir() as tmp:
        for index, size in enumerate(int(n) for n in args.sizes.split(",")):
            setup = Setup(tmp / str(index), size, 50)
            for _ in range(10):
                setup.sample()
            values = [setup.sample() for _ in range(args.calls)]
            setup.ctx.close()
            p50, p99 = percentile(values, 50), percentile(values, 99)
            print(f"{size:,} workflows: change_status p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
