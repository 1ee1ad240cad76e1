"""The frozen app's entry point: the same `run()` as the `governance-desktop` script.

One executable serves every mode: the window (no command or `gui`), `worker`, `check` and the
other commands; a frozen app has no `huey_consumer` script, so its worker is `worker`.
"""

from governance_desktop.cli import run

run()
