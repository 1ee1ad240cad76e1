"""The team-mode soak (bench/team_soak.py), short: three real `worker` processes and two
CLI workstations on the test's PostgreSQL database and Redis queue, two workers killed with
SIGKILL by PID mid-work. The harness's own checks decide: nothing lost, nothing applied
twice, `audit verify` passes, no error line shown to a person but the listed refusals.

The lead runs the long version (`python -m bench.team_soak`, 300 s, 10 kills).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 40
KILLS = 2
#: A dead worker's jobs came back only after its 300 s lease before issue 18's lease fix;
#: the drain may wait that long, and the test with it.
DRAIN_TIMEOUT = 420

pytestmark = pytest.mark.team_only("worker processes on one PostgreSQL and Redis")


@pytest.mark.slow
@pytest.mark.timeout(SECONDS + DRAIN_TIMEOUT + 120)
def test_team_soak_with_kill_9_loses_duplicates_and_shows_nothing(tmp_path: Path) -> None:
    argv = [
        *(sys.executable, "-m", "bench.team_soak", "--seconds", str(SECONDS)),
        *("--kills", str(KILLS), "--policies", "16", "--drain-timeout", str(DRAIN_TIMEOUT)),
        *("--database-url", os.environ["GOVERNANCE_DATABASE_URL"]),
        *("--queue-url", os.environ["GOVERNANCE_QUEUE_URL"], "--dir", str(tmp_path)),
    ]
    done = subprocess.run(
        argv,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SECONDS + DRAIN_TIMEOUT + 90,
        check=False,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "RESULT: PASS" in done.stdout
    assert f"{KILLS} kill -9 of workers" in done.stdout
    assert "lost=0 duplicated=0" in done.stdout
    assert "errors shown to a user: 0" in done.stdout
