"""The app's own commands: gui (the default), worker and demo."""

from __future__ import annotations

import argparse

from governance_desktop.app import AppContext
from governance_desktop.cli.declare import Group, Needs, arg
from governance_desktop.cli.identity import signer
from governance_desktop.config import Settings
from governance_desktop.domain.errors import GovernanceError

COMMANDS = Group()


def open_window_data(settings: Settings) -> AppContext:
    """open_app, but a damaged database gets the window's restore dialog."""
    from governance_desktop.ui.launch import open_for_gui

    return open_for_gui(settings)


@COMMANDS.command(
    "gui",
    "open the window (the default)",
    arg(
        "--no-worker",
        action="store_true",
        help="do not run the embedded worker (a separate worker serves it; the default in "
        "team mode unless GOVERNANCE_WINDOW_WORKER=true)",
    ),
    needs=Needs.WINDOW,
    opener=open_window_data,
)
def gui(ctx: AppContext, args: argparse.Namespace) -> int:
    from governance_desktop.ui.launch import run_gui

    return run_gui(
        ctx,
        ctx.queue,
        args.actor,
        embedded_worker=False if args.no_worker else None,
        acting_as_other=getattr(args, "acting_as_other", False),
    )


@COMMANDS.command(
    "worker",
    "run a background worker",
    arg("--workers", type=int, default=None, help="worker threads"),
    arg("--burst", action="store_true", help="exit when no job is due"),
    needs=Needs.WORKER,
)
def worker(ctx: AppContext, args: argparse.Namespace) -> int:
    assert ctx.queue is not None
    if args.workers is not None and not 1 <= args.workers <= 32:
        raise GovernanceError(f"--workers {args.workers}: use 1 to 32")
    return ctx.queue.run_worker(burst=args.burst, has_due_work=ctx.tracker.has_due_work)


@COMMANDS.command(
    "demo",
    "load demo users, policies and workflows (admins only; idempotent)",
    needs=Needs.QUEUE,  # a demo policy may start a workflow imported earlier
)
def demo(ctx: AppContext, args: argparse.Namespace) -> int:
    report = ctx.load_demo(args.actor, signer(ctx, args, "loading the demo data"))
    changed = [w.name for w in report.workflows if w.changed]
    print(
        f"demo data in {ctx.settings.data_dir}: "
        f"{len(report.users_added)} users, {len(report.policies_added)} policies, "
        f"{len(changed)} workflows added (existing ones left as they were)"
    )
    if report.initial_passwords:
        print("initial passwords (shown once; each user changes theirs at first use):")
        for username, password in report.initial_passwords.items():
            print(f"  {username:<8} {password}")
    return 0
