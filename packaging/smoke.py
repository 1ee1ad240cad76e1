"""Smoke test of the built artefacts (run `python packaging/build.py` first).

Installs the .deb for real (`dpkg -i`, as root) or, with `--extract` or when not root, unpacks
it with `dpkg -x` into a temporary root. Then, as a new user (fresh HOME, no PYTHONPATH, Qt
offscreen), it runs the installed launcher: `check`, `demo`, the window with its embedded worker
until a workflow's jobs succeed, SIGTERM; a change served by `worker --burst`; `audit verify`.
Any stderr line outside ALLOWED_STDERR fails the run. Then it removes the package and checks
nothing of it is left, unpacks the .tar.xz and runs `check` from it, and compiles the NSIS and
MSI installers from a stand-in Windows bundle tree (a structural check: the Windows bundle
itself needs Windows). Prints the time each stage took.
"""

from __future__ import annotations

import argparse
import json
import os
import plistlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
NAME = "governance-desktop"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
WAIT_S = 180  # generous: CI shares 2 cores with the rest of the run
# Passwords the smoke test chooses: the OS user's first one, and alice's after her initial one.
ADMIN_PASSWORD = "Smoke-Admin-2026"
ALICE = "Smoke-Officer-2026"
ALICE_IN = f"{ALICE}\n"

# stderr lines that are expected; anything else fails the smoke test.
ALLOWED_STDERR = [
    # Qt's offscreen platform cannot pass window size hints to a window manager it lacks.
    re.compile(r"^This plugin does not support propagateSizeHints\(\)$"),
    # Offscreen has no system tray; the app logs once that notifications stay in the window.
    re.compile(r".*no system tray here; desktop notifications are off$"),
]


class SmokeError(Exception):
    """A check failed; the message says which."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeError(message)


def clean_env(home: Path) -> dict[str, str]:
    """A new user's environment: nothing from the source tree, the venv or this session."""
    drop = ("PYTHON", "GOVERNANCE_", "XDG_", "VIRTUAL_ENV", "QT_", "DISPLAY", "WAYLAND_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", LC_ALL="C.UTF-8")
    return env


class Launcher:
    """Runs the installed launcher and collects every unexpected stderr line."""

    def __init__(self, exe: str, env: dict[str, str], cwd: Path) -> None:
        self.exe, self.env, self.cwd = exe, env, cwd
        self.unexpected: list[str] = []

    def note_stderr(self, label: str, text: str) -> None:
        for line in text.splitlines():
            if line.strip() and not any(p.match(line) for p in ALLOWED_STDERR):
                self.unexpected.append(f"{label}: {line}")

    def run(self, *args: str, actor: str | None = None, stdin: str | None = None) -> str:
        """Run the launcher; ``stdin``: passwords, one a line (`--password-stdin`)."""
        acting = ["--actor", actor] if actor else []
        passing = ["--password-stdin"] if stdin is not None else []
        cmd = [self.exe, *acting, *passing, *args]
        proc = subprocess.run(
            cmd,
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
            input=stdin,
        )
        self.note_stderr(" ".join(args), proc.stderr)
        check(proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr}")
        return proc.stdout

    def json(self, *args: str) -> object:
        return json.loads(self.run(*args, "--json"))


def wait_for(what: str, probe: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not probe():
        check(time.monotonic() < deadline, f"timed out after {WAIT_S} s waiting for {what}")
        time.sleep(0.5)


def jobs_done_for(app: Launcher, entity: str) -> bool:
    """True once `entity` has jobs and all of them succeeded (a failed one fails the run)."""
    jobs = [j for j in app.json("jobs", "list") if j["entity"] == entity]  # type: ignore[attr-defined]
    failed = [j for j in jobs if j["state"] == "failed"]
    check(not failed, f"jobs failed for {entity}: {failed}")
    return bool(jobs) and all(j["state"] == "succeeded" for j in jobs)


def execution_status(app: Launcher, entity: str) -> str | None:
    runs = [e for e in app.json("executions", "list") if e["entity"] == entity]  # type: ignore[attr-defined]
    return str(runs[-1]["status"]) if runs else None


def exercise(app: Launcher, home: Path) -> None:
    """Every mode of the installed app, as a new user would meet it."""
    check(app.run("--version").startswith(f"{NAME} "), "--version")
    report = app.json("check")
    assert isinstance(report, dict)
    check(report["schema_revision"] is not None, f"check: no schema revision: {report}")
    check(str(home) in report["data_dir"], f"check: data dir not under HOME: {report}")
    check(report["migrated_from"] is None, f"check: {report}")
    # Loading the demo is signed: the OS user chooses a first password; alice's initial one,
    # printed once, is changed at first use before she acts from the command line.
    shown = app.run("demo", stdin=f"{ADMIN_PASSWORD}\n")
    check(len(app.json("workflows", "list")) >= 4, "demo: workflows missing")  # type: ignore[arg-type]
    initial = re.search(r"^\s+alice\s+(\S+)$", shown, re.MULTILINE)
    check(initial is not None, f"demo: no initial password shown for alice: {shown}")
    assert initial is not None
    app.run("users", "set-password", "alice", actor="alice", stdin=f"{initial[1]}\n{ALICE}\n")
    app.run("check")

    # The window with its embedded worker: a change from the command line is served by it.
    gui = subprocess.Popen(
        [app.exe, "gui"], env=app.env, cwd=app.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        time.sleep(3)  # let the window open and its worker start
        _still_running(gui)
        app.run("policies", "set-status", "POL-003", "in_review", actor="alice", stdin=ALICE_IN)
        wait_for(
            "POL-003's workflow jobs to succeed",
            lambda: _still_running(gui) and jobs_done_for(app, "POL-003"),
        )
        status = execution_status(app, "POL-003")
        check(status == "awaiting_approval", f"POL-003's workflow is {status}")
        gui.send_signal(signal.SIGTERM)
        _out, err = gui.communicate(timeout=60)
    finally:
        if gui.poll() is None:
            gui.kill()
            gui.communicate()
    app.note_stderr("gui", err.decode())
    check(gui.returncode == 0, f"the window exited {gui.returncode} after SIGTERM: {err!r}")

    # The separate worker mode (a frozen app has no huey_consumer).
    app.run("policies", "set-status", "POL-009", "in_review", actor="alice", stdin=ALICE_IN)
    app.run("worker", "--burst")
    check(jobs_done_for(app, "POL-009"), "worker --burst left POL-009's jobs unfinished")
    verify = app.json("audit", "verify")
    check(isinstance(verify, dict) and verify.get("ok") is True, f"audit verify: {verify}")


def _still_running(gui: subprocess.Popen[bytes]) -> bool:
    if gui.poll() is not None:
        _out, err = gui.communicate()
        raise SmokeError(f"the window exited early with {gui.returncode}: {err.decode()}")
    return True


def installed_paths(root: Path) -> list[Path]:
    share = root / "usr" / "share"
    icons = [
        share / "icons" / "hicolor" / f"{px}x{px}" / "apps" / f"{NAME}.png" for px in ICON_SIZES
    ]
    return [
        root / "opt" / NAME / NAME,
        root / "opt" / NAME / "_internal" / "governance_desktop" / "store" / "migrations",
        root / "usr" / "bin" / NAME,
        share / "applications" / f"{NAME}.desktop",
        share / "icons" / "hicolor" / "scalable" / "apps" / f"{NAME}.svg",
        *icons,
    ]


@contextmanager
def installed(deb: Path, real: bool, scratch: Path) -> Iterator[tuple[str, Path]]:
    """Install the .deb (really, or unpacked into a scratch root); yield (launcher, root)."""
    if not real:
        root = scratch / "root"
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
        missing = [p for p in installed_paths(root) if not (p.exists() or p.is_symlink())]
        check(not missing, f"not in the .deb: {missing}")
        launcher = os.readlink(root / "usr" / "bin" / NAME)
        check(launcher == f"/opt/{NAME}/{NAME}", f"the launcher points at {launcher}")
        yield str(root / "opt" / NAME / NAME), root
        return
    status = subprocess.run(["dpkg", "-s", NAME], capture_output=True, check=False)
    check(status.returncode != 0, f"{NAME} is already installed here; remove it first")
    subprocess.run(["dpkg", "-i", str(deb)], check=True, stdout=subprocess.DEVNULL)
    try:
        missing = [p for p in installed_paths(Path("/")) if not p.exists()]
        check(not missing, f"not installed: {missing}")
        check(shutil.which(NAME) == f"/usr/bin/{NAME}", "the launcher is not on the PATH")
        yield NAME, Path("/")
    finally:
        subprocess.run(["dpkg", "-r", NAME], check=True, stdout=subprocess.DEVNULL)
    left = [p for p in [*installed_paths(Path("/")), Path("/opt") / NAME] if p.exists()]
    check(not left, f"left behind after dpkg -r: {left}")


def smoke_deb(deb: Path, real: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="gd-smoke-") as tmp:
        scratch = Path(tmp)
        home = scratch / "home"
        home.mkdir()
        with installed(deb, real, scratch) as (exe, _root):
            exe_path = shutil.which(exe) or exe
            app = Launcher(exe_path, clean_env(home), scratch)
            exercise(app, home)
            check(not app.unexpected, "unexpected stderr:\n" + "\n".join(app.unexpected))
        data = home / ".local" / "share" / NAME / "governance.db"
        check(data.exists(), "the user's data did not survive removing the package")


def smoke_tarball(tarball: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="gd-tar-") as tmp:
        scratch = Path(tmp)
        subprocess.run(["tar", "-xJf", str(tarball), "-C", str(scratch)], check=True)
        (scratch / "home").mkdir()
        app = Launcher(str(scratch / NAME / NAME), clean_env(scratch / "home"), scratch)
        report = app.json("check")
        check(isinstance(report, dict) and bool(report["schema_revision"]), "tar.xz: check")
        check(not app.unexpected, "unexpected stderr:\n" + "\n".join(app.unexpected))


def windows_tree(bundle: Path, scratch: Path) -> Path:
    """A stand-in for the Windows bundle: the same _internal tree and two placeholder .exe."""
    tree = scratch / "win" / NAME
    shutil.copytree(bundle / "_internal", tree / "_internal", symlinks=False, copy_function=os.link)
    for exe in (f"{NAME}.exe", f"{NAME}-cli.exe"):
        (tree / exe).write_bytes(b"MZ placeholder: the real one is built on Windows\n")
    return tree


def compile_windows_installers(bundle: Path) -> None:
    """makensis and wixl both compile from a bundle tree (the structure, not a Windows run)."""
    ver = _version()
    with tempfile.TemporaryDirectory(prefix="gd-win-") as tmp:
        tree = windows_tree(bundle, Path(tmp))
        nsis = Path(tmp) / f"{NAME}-{ver}-setup.exe"
        subprocess.run(
            [
                "makensis",
                "-V2",
                "-DNOCOMPRESS",  # a structural check: compressing 130 MB again adds minutes
                f"-DBUNDLE_DIR={tree}",
                f"-DVERSION={ver}",
                f"-DOUTFILE={nsis}",
                str(PACKAGING / "windows" / f"{NAME}.nsi"),
            ],
            check=True,
        )
        check(nsis.stat().st_size > 10_000_000, "the NSIS installer is suspiciously small")
        msi = Path(tmp) / f"{NAME}-{ver}.msi"
        subprocess.run(
            [sys.executable, str(PACKAGING / "windows" / "build_msi.py"), str(tree), str(msi)],
            check=True,
        )
        info = subprocess.run(
            ["msiinfo", "export", str(msi), "Shortcut"], capture_output=True, text=True, check=True
        )
        check("Governance Desktop" in info.stdout, "the MSI has no Start menu shortcut")
        sizes = f"NSIS {nsis.stat().st_size / 1e6:.0f} MB, MSI {msi.stat().st_size / 1e6:.0f} MB"
        print(f"{sizes} (NSIS uncompressed here)")
    plist = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    check(plist["CFBundleExecutable"] == NAME, "Info.plist: CFBundleExecutable")
    subprocess.run(["bash", "-n", str(PACKAGING / "macos" / "make_dmg.sh")], check=True)


def _version() -> str:
    sys.path.insert(0, str(ROOT))
    from governance_desktop import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "packaging")
    parser.add_argument("--extract", action="store_true", help="dpkg -x instead of dpkg -i")
    parser.add_argument("--skip-windows", action="store_true", help="skip makensis and wixl")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    ver = _version()
    deb = out / f"{NAME}_{ver}_amd64.deb"
    tarball = out / f"{NAME}-{ver}-linux-x86_64.tar.xz"
    real = not args.extract and os.geteuid() == 0 and shutil.which("dpkg") is not None
    stages: list[tuple[str, Callable[[], None]]] = [
        (f".deb ({'dpkg -i / -r' if real else 'dpkg -x'})", lambda: smoke_deb(deb, real))
    ]
    if tarball.exists():
        stages.append((".tar.xz", lambda: smoke_tarball(tarball)))
    if not args.skip_windows:
        stages.append(
            (
                "NSIS + MSI compile, macOS files",
                lambda: compile_windows_installers(out / "dist" / NAME),
            )
        )
    try:
        for label, stage in stages:
            started = time.monotonic()
            stage()
            print(f"smoke ok: {label} in {time.monotonic() - started:.0f} s", flush=True)
    except (SmokeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        sys.stderr.write(f"error: smoke test failed: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
