"""What the bundle leaves out: Python modules, Qt parts and system libraries the app never uses.

The app imports only QtCore, QtGui and QtWidgets and draws PNG icons. It needs the xcb, wayland
and offscreen platforms (offscreen for the smoke test and headless runs), the xdg portal theme,
input methods, and the SVG icon engine (desktop icon themes are SVG). Everything else Qt ships
serves embedded boards, networking, QML or other formats. The app's UI is English, so Qt's
translations go too. Used by governance-desktop.spec; `python packaging/bundle_filters.py
DIST_DIR` lists what a built bundle holds that these rules would drop (expected: nothing).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

EXCLUDED_MODULES = [
    # Development tools that pydantic's and other packages' optional plugins would drag in.
    "mypy",
    "pydantic.mypy",
    "pydantic.v1.mypy",
    "hypothesis",
    "_hypothesis_ftz_detector",
    "_hypothesis_pytestplugin",
    "pydantic._hypothesis_plugin",
    "pydantic.v1._hypothesis_plugin",
    "pytest",
    "_pytest",
    "pytestqt",
    "ast_serialize",
    # Interactive and GUI-toolkit stdlib parts.
    "tkinter",
    "_tkinter",
    "readline",
    "curses",
    "pydoc",
    # Qt modules the app does not import (the hooks would otherwise pull in some of them).
    "PySide6.QtNetwork",
    "PySide6.QtDBus",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtPrintSupport",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
    # Never exclude `mako`: Alembic imports it.
]

_QT = "PySide6/Qt/"
# Qt plugins that are dropped, as path prefixes under PySide6/Qt/plugins/.
_DROPPED_PLUGINS = (
    "platforms/libqeglfs",  # embedded boards (EGLFS, framebuffer, VNC, Vulkan display)
    "platforms/libqlinuxfb",
    "platforms/libqminimalegl",
    "platforms/libqvkkhrdisplay",
    "platforms/libqvnc",
    "egldeviceintegrations/",
    "generic/",  # evdev and TUIO input for boards without a window system
    "networkinformation/",  # QtNetwork only
    "tls/",
    "platformthemes/libqgtk3",  # would bundle GTK's cairo/pango next to the system's GTK
    "imageformats/libqgif",  # the app shows PNG (built into QtGui) and theme SVGs only
    "imageformats/libqicns",
    "imageformats/libqico",
    "imageformats/libqjpeg",
    "imageformats/libqtga",
    "imageformats/libqtiff",
    "imageformats/libqwbmp",
    "imageformats/libqwebp",
    "wayland-graphics-integration-client/libvulkan-server",
    "wayland-graphics-integration-client/libdrm-egl-server",
    "wayland-graphics-integration-client/libdmabuf-server",
    "wayland-graphics-integration-client/libshm-emulation-server",
    "wayland-shell-integration/libivi-shell",  # in-car IVI compositors
    "wayland-shell-integration/libfullscreen-shell-v1",
    "wayland-shell-integration/libwl-shell-plugin",  # obsolete protocol
)
# Libraries found on every desktop that must come from the system, not the bundle: libdbus
# (Qt loads it at run time; the .deb depends on libdbus-1-3) and its systemd chain.
_SYSTEM_LIBS = re.compile(r"^(libdbus-1|libsystemd|libgcrypt|libgpg-error|liblz4|libcap)\.so")


def _plugin_dropped(dest: str) -> bool:
    prefix = _QT + "plugins/"
    return dest.startswith(prefix) and dest[len(prefix) :].startswith(_DROPPED_PLUGINS)


def keep_binary(dest: str) -> bool:
    """Whether a binary at this bundle path stays (before the unreferenced-library pass)."""
    dest = dest.replace("\\", "/")
    if _plugin_dropped(dest):
        return False
    return not _SYSTEM_LIBS.match(Path(dest).name)


def keep_data(dest: str) -> bool:
    """Whether a data file stays: Qt's translations (the UI is English) and caches do not."""
    dest = dest.replace("\\", "/")
    if dest.startswith(_QT + "translations/") or "/__pycache__/" in dest:
        return False
    return keep_binary(dest)


def _needed(path: str) -> set[str]:
    out = subprocess.run(
        ["readelf", "-d", path], capture_output=True, text=True, check=False
    ).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


def _is_plain_library(dest: str) -> bool:
    """A shared library loaded only because another binary names it (not a plugin/module)."""
    name = Path(dest).name
    in_lib_dir = "/" not in dest or dest.startswith(_QT + "lib/")
    return in_lib_dir and name.startswith("lib") and ".so" in name and "python" not in name


def keep_link(entry: tuple[str, str, str], kept: set[str]) -> bool:
    """A SYMLINK entry (`dest`, `target`, "SYMLINK") stays only if its target stays."""
    dest, target, kind = entry
    if kind != "SYMLINK":
        return True
    return os.path.normpath(str(Path(dest).parent / target)).replace("\\", "/") in kept


def prune_unreferenced(binaries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop bundled libraries that no kept binary needs any more (Linux ELF only)."""
    entries = [entry for entry in binaries if entry[2] != "SYMLINK"]
    if not sys.platform.startswith("linux"):
        return entries
    needed_by = {dest: _needed(src) for dest, src, _kind in entries}
    roots = [dest for dest, _src, _kind in entries if not _is_plain_library(dest)]
    by_name = {Path(dest).name: dest for dest, _src, _kind in entries if _is_plain_library(dest)}
    kept: set[str] = set()
    todo = list(roots)
    while todo:
        dest = todo.pop()
        if dest in kept:
            continue
        kept.add(dest)
        todo.extend(by_name[lib] for lib in needed_by.get(dest, ()) if lib in by_name)
    return [entry for entry in entries if entry[0] in kept]


def main(argv: list[str]) -> int:
    """List files in a built bundle that the rules above would drop."""
    internal = Path(argv[1]) / "_internal"
    strays = [
        str(p.relative_to(internal))
        for p in sorted(internal.rglob("*"))
        if p.is_file() and not keep_data(str(p.relative_to(internal)))
    ]
    print("\n".join(strays) if strays else "nothing to drop")
    return 1 if strays else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
