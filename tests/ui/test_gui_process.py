"""The `gui` command as a person starts it: window up, embedded worker running, SIGTERM quits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from tests.helpers.demo import seed
from tests.helpers.identity import PASSWORD
from tests.ui.signing import password_for

MOVE = ("policies", "set-status", "POL-003", "in_review")


def test_gui_runs_work_and_quits_cleanly_on_sigterm(data_dir: Path) -> None:
    """The window's embedded worker runs a workflow; SIGTERM ends the process with code 0."""
    seed(data_dir)
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        password_for(ctx, "alice")  # acting as alice from the CLI needs her password
    finally:
        ctx.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    base = [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir)]
    proc = subprocess.Popen([*base, "gui"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(3)  # let it open; then a change from another process
        subprocess.run(
            [*base, "--actor", "alice", "--password-stdin", *MOVE],
            input=f"{PASSWORD}\n".encode(),
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        engine = create_engine(f"sqlite:///{data_dir / 'governance.db'}")
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != "awaiting_approval":
            with engine.connect() as conn:
                status = conn.execute(text("select status from workflow_executions")).scalar()
            time.sleep(0.1)
        engine.dispose()
        assert status == "awaiting_approval"
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    lines = [ln for ln in err.decode().splitlines() if ln.strip()]
    assert not [ln for ln in lines if "Traceback" in ln or ln.startswith("error")], lines


def test_no_display_is_one_clear_line(data_dir: Path) -> None:
    """Without a display the window command says so in one line instead of Qt aborting."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = subprocess.run(
        [sys.executable, "-m", "governance_desktop", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: no display:") and proc.stderr.count("\n") == 1
