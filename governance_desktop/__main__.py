"""`python -m governance_desktop` runs the same entry point as `governance-desktop`."""

from governance_desktop.cli import run

run()
