"""Build the one-folder bundle, and on Linux the .deb and the .tar.xz, into build/packaging/.

Usage: `python packaging/build.py [--bundle-only | --no-tarball] [--out DIR]` from the
repository root, with the `package` extra installed (`pip install -e '.[package]'`). Linux also
needs `dpkg-deb`, `readelf` and `strip` (binutils) and `xz`. Prints the build time and sizes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "governance_desktop" / "resources" / "icons"
NAME = "governance-desktop"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from governance_desktop import __version__

    return __version__


def run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir()) / 1e6


def build_bundle(out: Path) -> Path:
    """PyInstaller one-folder build: out/dist/governance-desktop/."""
    run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "work"),
            str(PACKAGING / f"{NAME}.spec"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return out / "dist" / NAME


def build_tarball(bundle: Path, out: Path, ver: str) -> Path:
    """A plain archive of the bundle, for distributions other than Debian's family."""
    target = out / f"{NAME}-{ver}-linux-x86_64.tar.xz"
    run(
        [
            "tar",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-C",
            str(bundle.parent),
            "-cJf",
            str(target),
            bundle.name,
        ],
        env={**os.environ, "XZ_OPT": "-6 -T0"},
    )
    return target


def build_deb(bundle: Path, out: Path, ver: str) -> Path:
    """The bundle under /opt, a launcher on the PATH, the desktop entry and hicolor icons."""
    root = out / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    opt = root / "opt" / NAME
    shutil.copytree(bundle, opt, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / NAME).symlink_to(f"/opt/{NAME}/{NAME}")
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy(PACKAGING / "linux" / f"{NAME}.desktop", apps)
    hicolor = root / "usr" / "share" / "icons" / "hicolor"
    for px in ICON_SIZES:
        folder = hicolor / f"{px}x{px}" / "apps"
        folder.mkdir(parents=True)
        shutil.copy(ICONS / f"{NAME}-{px}.png", folder / f"{NAME}.png")
    (hicolor / "scalable" / "apps").mkdir(parents=True)
    shutil.copy(ICONS / f"{NAME}.svg", hicolor / "scalable" / "apps" / f"{NAME}.svg")
    doc = root / "usr" / "share" / "doc" / NAME
    doc.mkdir(parents=True)
    shutil.copy(PACKAGING / "linux" / "copyright", doc / "copyright")
    for path in root.rglob("*"):  # dpkg wants 0755 folders and no group/world write bits
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    control = (PACKAGING / "linux" / "control.in").read_text()
    installed_kb = int(size_mb(root) * 1e6 / 1024) + 1
    control = control.replace("@VERSION@", ver).replace("@INSTALLED_SIZE@", str(installed_kb))
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(control)
    target = out / f"{NAME}_{ver}_amd64.deb"
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(target)])
    shutil.rmtree(root)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "packaging")
    parser.add_argument("--bundle-only", action="store_true", help="skip the .deb and .tar.xz")
    parser.add_argument("--no-tarball", action="store_true", help="skip the .tar.xz")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    ver = version()
    started = time.monotonic()
    bundle = build_bundle(out)
    bundle_s = time.monotonic() - started
    artefacts = [bundle]
    if sys.platform.startswith("linux") and not args.bundle_only:
        artefacts.append(build_deb(bundle, out, ver))
        if not args.no_tarball:
            artefacts.append(build_tarball(bundle, out, ver))
    total_s = time.monotonic() - started
    print(f"bundle built in {bundle_s:.0f} s; everything in {total_s:.0f} s")
    for path in artefacts:
        print(f"{size_mb(path):8.1f} MB  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
