"""`python -m tests.jobs.lease_worker ARGS…`: the app's own CLI (`worker`), where each job
first waits LEASE_TEST_SLOW seconds (outside its transaction, as a long job's work would), so
a test can kill -9 the process while a job is running."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from governance_desktop.cli.entry import main
from governance_desktop.services.runner import JobRunner

SLOW = float(os.environ.get("LEASE_TEST_SLOW", "0"))


def _slow(original: Any) -> Any:
    def wrapper(self: JobRunner, job_ids: Any, *args: Any, **kwargs: Any) -> Any:
        time.sleep(SLOW)
        return original(self, job_ids, *args, **kwargs)

    return wrapper


if SLOW:
    JobRunner.run_chained = _slow(JobRunner.run_chained)  # type: ignore[method-assign]
    JobRunner.run_batch = _slow(JobRunner.run_batch)  # type: ignore[method-assign]


def run(argv: Sequence[str]) -> int:
    return main(list(argv))


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
