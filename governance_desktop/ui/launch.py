"""Building and running the window around an opened data dir and its queue."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

from governance_desktop.app import AppContext, attach_queue, open_app, restore_data_dir
from governance_desktop.config import Settings, load_settings
from governance_desktop.domain.errors import AuthenticationError, GovernanceError
from governance_desktop.jobs.runtime import QueueRuntime
from governance_desktop.services.users import os_username
from governance_desktop.store.integrity import DamagedDatabaseError
from governance_desktop.ui.background import Background
from governance_desktop.ui.bridge import JobEventBridge
from governance_desktop.ui.context import UiContext
from governance_desktop.ui.gc_guard import collect_on_gui_thread
from governance_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 5.0
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The app's icon in every shipped size (also inside a frozen bundle)."""
    folder = resources.files("governance_desktop") / "resources" / "icons"
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(folder / f"governance-desktop-{size}.png"))
    return icon


def build_window(
    ctx: AppContext,
    runtime: QueueRuntime | None,
    actor: str,
    *,
    embedded_worker: bool | None = None,
) -> MainWindow:
    """A ready main window; `window.shutdown()` stops its worker and closes everything.
    `embedded_worker`: start the window's own worker (None: as the settings say,
    ``Settings.starts_window_worker``: not in team mode unless ``window_worker`` asks)."""
    if embedded_worker is None:
        embedded_worker = ctx.settings.starts_window_worker
    if QApplication.instance() is None:
        raise RuntimeError("create the QApplication first")
    collect_on_gui_thread()  # before the worker, read pool and writer threads exist
    background = Background()
    bridge = JobEventBridge(runtime.bus if runtime is not None else None)
    if runtime is not None and embedded_worker:
        runtime.start()
    mark = ctx.change_watch.mark()  # before any page loads: nothing slips between the two
    window = MainWindow(UiContext(ctx, runtime, actor, background, bridge), mark)
    done = False

    def shutdown() -> None:
        nonlocal done
        if done:
            return
        done = True
        window.close()
        if runtime is not None and not runtime.stop(timeout=STOP_TIMEOUT_S):
            log.warning("worker threads still busy after %.0f s", STOP_TIMEOUT_S)
        background.wait()
        bridge.close()
        if runtime is not None:
            runtime.close()
        ctx.close()

    window.shutdown = shutdown  # type: ignore[attr-defined]
    return window


def create_main_window(
    data_dir: Path, *, embedded_worker: bool | None = None, actor: str | None = None
) -> MainWindow:
    """Open `data_dir` and return a ready MainWindow (needs a QApplication).

    Call ``window.shutdown()`` to stop its worker and close the data dir cleanly.
    """
    ctx = open_app(load_settings(data_dir=data_dir))
    runtime = attach_queue(ctx, background_dispatch=True, embedded=True)
    try:
        return build_window(ctx, runtime, actor or os_username(), embedded_worker=embedded_worker)
    except BaseException:
        runtime.close()
        ctx.close()
        raise


def no_display_reason() -> str | None:
    """Why a window cannot open here (Qt would abort the process instead of saying so)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display: DISPLAY and WAYLAND_DISPLAY are not set, so the window cannot open; "
        "start it from a desktop session, or use the command line (see --help)"
    )


def open_for_gui(settings: Settings) -> AppContext:
    """open_app, but a damaged database gets a dialog offering the latest automatic backup
    (Restore / Quit) instead of a crash. Quit (or no display) re-raises the one-line error."""
    try:
        return open_app(settings)
    except DamagedDatabaseError as error:
        if no_display_reason() is not None:
            raise
        from governance_desktop.ui.damaged_dialog import DamagedDatabaseDialog

        if QApplication.instance() is None:
            QApplication(sys.argv[:1])
        collect_on_gui_thread()
        dialog = DamagedDatabaseDialog(error)
        dialog.exec()
        if not dialog.wants_restore() or error.backup is None:
            raise
        password, given = QInputDialog.getText(
            None,
            "Restore is a signed act",
            f"Your password as {os_username()} in the backup (a first password if you had "
            'none there) signs this restore: "Restored from backup".',
            QLineEdit.EchoMode.Password,
        )
        if not given or not password:
            raise
        log.warning("restoring %s from %s at the user's request", error.path, error.backup)
        try:
            # The window acts as the OS user: the first admin of a new register.
            restore_data_dir(settings, error.backup, os_username(), password, first_password=True)
        except Exception as exc:  # e.g. a worker still holds the data dir: say so, then exit
            QMessageBox.critical(None, "Governance Desktop", f"Could not restore: {exc}")
            raise
        return open_app(settings)


def freeze_startup_objects() -> None:
    """Take what startup built (modules, Qt wrappers, ORM mappers: ~100,000 objects) out of
    the cyclic garbage collector's sight. Its full collections (run on the GUI thread by
    gc_guard) otherwise walk all of it, holding the GIL for 100–160 ms."""
    gc.freeze()


def sign_in_first(ctx: AppContext, actor: str) -> None:
    """`gui --actor NAME` for a user other than the OS account's: NAME signs in (the sign-in
    dialog) before the window acts as them. Cancelled: one line, and the app exits 1."""
    from governance_desktop.ui.signing.switch import SwitchUserDialog

    dialog = SwitchUserDialog(ctx, os_username(), os_username(), fixed=actor)
    dialog.setWindowIcon(app_icon())
    if dialog.exec() != SwitchUserDialog.DialogCode.Accepted or dialog.username != actor:
        raise AuthenticationError(
            f"acting as '{actor}' needs their password: sign-in cancelled, nothing opened "
            "(rule: identity)"
        )


def run_gui(
    ctx: AppContext,
    runtime: QueueRuntime | None,
    actor: str,
    *,
    embedded_worker: bool | None = None,
    acting_as_other: bool = False,
) -> int:
    """The event loop. SIGINT/SIGTERM quit it cleanly; the worker stops after the loop.
    ``acting_as_other``: ``actor`` is not the OS account's user and signs in first."""
    reason = no_display_reason()
    if reason is not None:
        raise GovernanceError(reason)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    collect_on_gui_thread()
    app.setApplicationName("Governance Desktop")
    app.setOrganizationName("governance-desktop")
    app.setDesktopFileName("governance-desktop")  # ties the window to the .desktop entry
    app.setWindowIcon(app_icon())
    if acting_as_other:
        sign_in_first(ctx, actor)  # before the worker starts: nothing runs if cancelled
    # Handlers go in before the embedded worker starts: a SIGTERM that arrives while the
    # window is still being built (jobs already running) must quit gracefully too.
    quit_requested = False

    def request_quit() -> None:
        nonlocal quit_requested
        quit_requested = True
        app.quit()  # does nothing before exec(); the ticker repeats it once the loop runs

    previous = _quit_on_signals(request_quit)
    window: MainWindow | None = None
    ticker = QTimer(interval=200)  # Python signal handlers only run when the loop yields
    try:
        window = build_window(ctx, runtime, actor, embedded_worker=embedded_worker)
        ticker.timeout.connect(lambda: app.quit() if quit_requested else None)
        ticker.start()
        window.show()
        freeze_startup_objects()
        return int(app.exec())
    finally:
        ticker.stop()
        if window is not None:
            window.shutdown()  # type: ignore[attr-defined]
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _quit_on_signals(quit_app: Callable[[], None]) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, lambda *_: quit_app())
    return previous
