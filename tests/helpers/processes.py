"""Starting `governance-desktop worker` in its own process, as an administrator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.actors import ME

#: The checkout's root: a worker started from a test module (not the installed entry point)
#: needs it on its import path to import `tests`.
ROOT = Path(__file__).resolve().parents[2]


def start_worker(
    data_dir: Path,
    *extra: str,
    workers: int = 2,
    env: dict[str, str] | None = None,
    module: str = "governance_desktop",
) -> subprocess.Popen[bytes]:
    """`python -m MODULE --data-dir DATA_DIR --actor ME worker --workers N EXTRA…`, its stderr
    appended to DATA_DIR/logs/worker-stderr.log; `env` adds to this process's environment."""
    child_env = {**os.environ, **(env or {})}
    if module != "governance_desktop":
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), child_env.get("PYTHONPATH", "")) if p
        )
    argv = ["--data-dir", str(data_dir), "--actor", ME, "worker", "--workers", str(workers)]
    with (data_dir / "logs" / "worker-stderr.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", module, *argv, *extra],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=child_env,
        )
