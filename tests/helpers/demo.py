"""A data folder filled as `governance-desktop demo` fills it."""

from __future__ import annotations

from pathlib import Path

from governance_desktop.app import open_app
from governance_desktop.config import load_settings
from tests.helpers.actors import ME
from tests.helpers.identity import signer


def seed(data_dir: Path) -> None:
    """The demo users, policies and example workflows in `data_dir`, acted by ME."""
    ctx = open_app(load_settings(data_dir=data_dir))
    try:
        ctx.load_demo(ME, signer(ctx, ME))
    finally:
        ctx.close()
